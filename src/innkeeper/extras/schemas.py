"""Request bodies and answer shapes of the service catalog and service orders. Money inputs are
:class:`MoneyIn`, resolved against the property's currency by ``extras.catalog``; times of day are
property-local ``HH:MM``."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from innkeeper.kit.outputs import ClockTime, Instant, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyIn, MoneyOut

CategoryIn = Literal["airport_transfer", "cab", "laundry", "spa", "food", "room_service", "other"]
UnitIn = Literal["per_item", "per_person", "per_trip", "per_hour"]
DepartmentIn = Literal["front_desk", "concierge", "housekeeping", "kitchen", "spa"]
StatusIn = Literal["requested", "accepted", "in_progress", "delivered", "rejected", "cancelled"]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
ServiceName = Annotated[str, Field(min_length=1, max_length=120)]
Description = Annotated[str, Field(max_length=5000)]
LeadTime = Annotated[int, Field(ge=0, le=60 * 24 * 30, description="Minutes of notice an order needs")]
Images = Annotated[list[AnyHttpUrl], Field(max_length=10)]
#: at most 99 of anything on one order (10,000 towels is a typo, not an order)
Quantity = Annotated[int, Field(ge=1, le=99)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: Description | None = None
    department: DepartmentIn | None = Field(
        None, description="Who delivers (the queue filters on it); by default from the category"
    )
    opens_at: time | None = Field(None, description="Local opening time; with closes_at", examples=["07:00"])
    closes_at: time | None = Field(
        None, description="Local closing time; before opens_at means open past midnight", examples=["23:00"]
    )
    order_cutoff: time | None = Field(
        None, description="Local time after which no order is taken for the same day", examples=["10:00"]
    )
    images: Images | None = None


class ServiceIn(ServiceFields):
    code: Code
    name: ServiceName
    category: CategoryIn
    price: MoneyIn
    unit: UnitIn = "per_item"
    pre_stay: bool = True
    in_stay: bool = True
    needs_time: bool = False
    lead_time_minutes: LeadTime = 0
    is_active: bool = True


class ServicePatch(ServiceFields):
    """Only the fields sent change; ``null`` clears an optional one (opening hours, cut-off, ...)."""

    name: ServiceName | None = None
    category: CategoryIn | None = None
    price: MoneyIn | None = None
    unit: UnitIn | None = None
    pre_stay: bool | None = None
    in_stay: bool | None = None
    needs_time: bool | None = None
    lead_time_minutes: LeadTime | None = None
    is_active: bool | None = None


class ServiceOut(Out):
    id: uuid.UUID
    property_id: uuid.UUID
    code: str
    name: str
    description: str | None
    category: CategoryIn
    department: DepartmentIn
    price: MoneyOut
    unit: UnitIn
    pre_stay: bool
    in_stay: bool
    needs_time: bool
    lead_time_minutes: int
    opens_at: ClockTime | None
    closes_at: ClockTime | None
    order_cutoff: ClockTime | None
    images: list[str]
    is_active: bool


# -- orders -------------------------------------------------------------------------------------------


class OrderDetails(BaseModel):
    """What a category needs to be delivered: a flight for an airport transfer, an address for a cab."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    flight_number: str | None = Field(
        None, pattern=r"^[A-Za-z0-9]{2}\s?\d{1,4}[A-Za-z]?$", examples=["TP1234"]
    )
    terminal: str | None = Field(None, min_length=1, max_length=20, examples=["T1"])
    direction: Literal["pickup", "drop"] | None = Field(
        None, description="Airport transfer: from the airport to the hotel (pickup) or back (drop)"
    )
    pickup_address: str | None = Field(None, min_length=3, max_length=300)
    destination: str | None = Field(None, min_length=1, max_length=300)
    passengers: int | None = Field(None, ge=1, le=50)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_code: Code
    quantity: Quantity = 1
    scheduled_for: datetime | None = Field(
        None, description="When to deliver; a naive time is read in the property's time zone"
    )
    notes: str | None = Field(None, max_length=1000)
    details: OrderDetails | None = None


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Reason | None = None


class OrderOut(Out):
    id: uuid.UUID
    booking_id: uuid.UUID
    booking_reference: str
    property_id: uuid.UUID
    service_id: uuid.UUID
    service_code: str
    service_name: str
    category: CategoryIn
    department: DepartmentIn
    unit: UnitIn
    quantity: int
    unit_price: MoneyOut
    subtotal: MoneyOut
    tax: MoneyOut
    tax_included: bool
    total: MoneyOut
    stage: Literal["pre_stay", "in_stay"]
    scheduled_for: Instant | None
    notes: str | None
    details: dict[str, str | int] | None
    status: StatusIn
    reason: str | None
    delivered_at: Instant | None
    created_at: Instant
    updated_at: Instant


class OrderEventOut(Out):
    at: Instant
    action: str
    from_status: str | None
    to_status: str
    actor_user_id: uuid.UUID | None
    data: dict[str, str | None] | None


class OrderDetailOut(OrderOut):
    history: list[OrderEventOut]


class OrderListOut(ListOf[OrderOut]):
    pass
