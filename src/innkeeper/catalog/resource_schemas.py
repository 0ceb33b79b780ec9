"""Request bodies and answer shapes for hourly resources (halls, meeting rooms, professionals) and their
add-ons. Money inputs are :class:`MoneyIn`, resolved against the property's currency by
``catalog.resources``; durations, steps, buffers and notice are minutes."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from innkeeper.catalog.schemas import Amenities, Name
from innkeeper.identity.schemas import Email
from innkeeper.kit.outputs import DecimalText, Instant, Out
from innkeeper.kit.schemas import MoneyIn, MoneyOut

ResourceKindIn = Literal["hall", "meeting_room", "professional"]
#: a bookable length is at most a day; a step or buffer at most a day too
DayMinutes = Annotated[int, Field(ge=1, le=24 * 60)]
Buffer = Annotated[int, Field(ge=0, le=24 * 60)]
Notice = Annotated[int, Field(ge=0, le=60 * 24 * 90)]
Horizon = Annotated[int, Field(ge=1, le=730)]
Capacity = Annotated[int, Field(ge=1, le=100_000)]
Category = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=5000)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class TravelIn(BaseModel):
    """A professional who travels to the customer: a base fee, a price per km, and how far at most."""

    model_config = ConfigDict(extra="forbid")
    base_fee: MoneyIn
    per_km: MoneyIn
    max_km: Decimal = Field(gt=0, le=1000, max_digits=5, decimal_places=1, examples=["25"])


class ResourceFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    capacity: Capacity | None = None
    category: Category | None = None
    description: Description | None = None
    amenities: Amenities | None = None
    max_duration_minutes: DayMinutes | None = None
    travel: TravelIn | None = None
    latitude: Latitude | None = Field(None, description="Where a professional travels from")
    longitude: Longitude | None = None
    user_email: Email | None = Field(
        None,
        description="Links a professional's own account: a member of the property with role "
        "'professional' (invite them through POST /properties/{id}/members first)",
    )


class ResourceIn(ResourceFields):
    kind: ResourceKindIn
    name: Name
    hourly_price: MoneyIn
    min_duration_minutes: DayMinutes = 60
    slot_step_minutes: DayMinutes = 30
    buffer_before_minutes: Buffer = 0
    buffer_after_minutes: Buffer = 0
    min_notice_minutes: Notice = 0
    horizon_days: Horizon = 180
    online: bool = False


class ResourcePatch(ResourceFields):
    """Only the fields sent change; ``null`` clears an optional one (``travel``, ``user_email``, ...)."""

    name: Name | None = None
    hourly_price: MoneyIn | None = None
    min_duration_minutes: DayMinutes | None = None
    slot_step_minutes: DayMinutes | None = None
    buffer_before_minutes: Buffer | None = None
    buffer_after_minutes: Buffer | None = None
    min_notice_minutes: Notice | None = None
    horizon_days: Horizon | None = None
    online: bool | None = None
    is_active: bool | None = None


class AddonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$", examples=["projector"])]
    name: Name
    price: MoneyIn
    unit: Literal["per_booking", "per_hour", "per_person"]


# -- answers ---------------------------------------------------------------------------------------------


class AddonOut(Out):
    id: uuid.UUID
    code: str
    name: str
    price: MoneyOut
    unit: str = Field(examples=["per_person"])


class TravelOut(Out):
    base_fee: MoneyOut
    per_km: MoneyOut
    max_km: DecimalText


class ResourceCommonOut(Out):
    id: uuid.UUID
    kind: str = Field(examples=["hall"])
    name: str
    category: str | None
    description: str | None
    capacity: int | None
    hourly_price: MoneyOut
    min_duration_minutes: int
    max_duration_minutes: int | None
    slot_step_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    horizon_days: int
    amenities: list[str]
    images: list[str]
    travel: TravelOut | None
    online: bool
    modes: list[str] = Field(description="How it may be booked: on_site, and travel / online when offered")
    addons: list[AddonOut]


class ResourceOut(ResourceCommonOut):
    """A resource as its property's staff see it."""

    property_id: uuid.UUID
    latitude: float | None
    longitude: float | None
    user_id: uuid.UUID | None = Field(description="The linked professional's account")
    user_email: str | None
    is_active: bool
    created_at: Instant


class ResourcePropertyOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    city: str
    country: str
    address: str | None
    latitude: float | None
    longitude: float | None
    timezone: str
    currency: str


class PublicResourceOut(ResourceCommonOut):
    """An active resource of an active property, as anyone may see it."""

    property: ResourcePropertyOut
