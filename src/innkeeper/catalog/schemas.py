"""Request bodies for properties, members, room types, rooms, and the answers' shapes (built as dicts
by ``catalog.service`` and ``catalog.rooms``)."""

from __future__ import annotations

import re
import unicodedata
import uuid
import zoneinfo
from datetime import time
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from babel import Locale
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from innkeeper.identity.schemas import Email, Phone
from innkeeper.kit.money import known_currencies
from innkeeper.kit.outputs import ClockTime, DecimalText, Instant, Out
from innkeeper.kit.schemas import MoneyIn, MoneyOut

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Slugs that would shadow fixed paths under /properties.
RESERVED_SLUGS = frozenset({"mine", "new", "search", "admin"})


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


def check_slug(value: str) -> str:
    if not (3 <= len(value) <= 80) or not SLUG_RE.match(value):
        raise ValueError("a slug is 3-80 characters of a-z, 0-9 and single hyphens")
    if value in RESERVED_SLUGS:
        raise ValueError("this slug is reserved")
    return value


def check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("unknown IANA time zone")
    return value


def check_country(value: str) -> str:
    value = value.upper()
    if value not in _countries():
        raise ValueError("unknown ISO 3166 country code")
    return value


def check_currency_code(value: str) -> str:
    value = value.upper()
    if value not in known_currencies():
        raise ValueError("unknown ISO 4217 currency")
    return value


def fold_city(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _clean_amenities(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = v.strip().lower()
        if not v or len(v) > 50:
            raise ValueError("each amenity is 1-50 characters")
        if v not in out:
            out.append(v)
    return out


Slug = Annotated[str, AfterValidator(check_slug)]
TimeZone = Annotated[str, AfterValidator(check_timezone)]
Country = Annotated[str, AfterValidator(check_country)]
Currency = Annotated[str, AfterValidator(check_currency_code)]
Amenities = Annotated[list[str], Field(max_length=60), AfterValidator(_clean_amenities)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class PaymentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["prepay", "deposit", "at_property"]
    deposit_percent: int | None = Field(None, ge=1, le=100)

    @model_validator(mode="after")
    def _deposit(self) -> PaymentPolicy:
        if self.mode == "deposit" and self.deposit_percent is None:
            raise ValueError("deposit_percent is required for mode 'deposit'")
        return self


class RefundTier(BaseModel):
    hours_before: int = Field(ge=0, le=24 * 365)
    refund_percent: int = Field(ge=0, le=100)


class CancellationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    preset: Literal["flexible", "moderate", "strict", "non_refundable", "hall_tiers"]
    free_until_hours: int | None = Field(None, ge=0, le=24 * 365)
    tiers: list[RefundTier] | None = Field(None, max_length=10)


class PropertyFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    address: str | None = Field(None, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    check_in_time: time | None = None
    check_out_time: time | None = None
    star_rating: int | None = Field(None, ge=1, le=5)
    amenities: Amenities | None = None
    description: str | None = Field(None, max_length=5000)
    payment_policy: PaymentPolicy | None = None
    cancellation_policy: CancellationPolicy | None = None
    refund_destination: Literal["card", "wallet"] | None = None
    vat_percent: Percent | None = None
    vat_included: bool | None = None
    city_tax: MoneyIn | None = None
    city_tax_max_nights: int | None = Field(None, ge=1, le=365)
    contact_email: Email | None = None
    contact_phone: Phone | None = None

    @field_validator("latitude", "longitude", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and value != value:  # NaN
            raise ValueError("not a number")
        return value


class PropertyIn(PropertyFields):
    name: Name
    kind: Literal["hotel", "venue", "practice"]
    city: Annotated[str, Field(min_length=1, max_length=120)]
    country: Country
    timezone: TimeZone
    currency: Currency
    slug: Slug | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> PropertyIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give latitude and longitude together")
        return self


class PropertyPatch(PropertyFields):
    name: Name | None = None
    city: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    country: Country | None = None
    timezone: TimeZone | None = None
    slug: Slug | None = None


class MemberIn(BaseModel):
    """An invitation to work at the property; the member is active once the invitee accepts."""

    model_config = ConfigDict(extra="forbid")
    email: Email
    role: Literal["manager", "front_desk", "housekeeping", "moderator", "professional"]


class RoomTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    capacity: int = Field(ge=1, le=50)
    base_price: MoneyIn
    bed_config: str | None = Field(None, max_length=120)
    size_sqm: int | None = Field(None, ge=1, le=10_000)
    amenities: Amenities | None = None
    description: str | None = Field(None, max_length=5000)


class RoomTypePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    capacity: int | None = Field(None, ge=1, le=50)
    base_price: MoneyIn | None = None
    bed_config: str | None = Field(None, max_length=120)
    size_sqm: int | None = Field(None, ge=1, le=10_000)
    amenities: Amenities | None = None
    description: str | None = Field(None, max_length=5000)


class RoomIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    room_type_id: uuid.UUID
    number: Annotated[str, Field(min_length=1, max_length=20)]
    floor: int | None = Field(None, ge=-10, le=300)


class RoomPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["available", "out_of_order"] | None = None
    housekeeping: Literal["clean", "dirty", "inspected"] | None = None
    floor: int | None = Field(None, ge=-10, le=300)


# -- answers: the shapes ``catalog.service.property_to_api`` and friends build ------------------------------


class PaymentPolicyOut(Out):
    mode: str = Field(examples=["prepay"])
    deposit_percent: int | None = None


class CancellationPolicyOut(Out):
    preset: str = Field(examples=["moderate"])
    free_until_hours: int | None = None
    tiers: list[RefundTier] | None = None


class ImageOut(Out):
    id: uuid.UUID
    url: str = Field(examples=["/api/v1/images/0190d7a4-0000-7000-8000-000000000000"])
    content_type: str
    size_bytes: int
    position: int


class PublicPropertyFields(Out):
    """A property as anyone may see it. Policies are stored as sent: only the keys given appear."""

    id: uuid.UUID
    slug: str
    kind: str = Field(examples=["hotel"])
    name: str
    city: str
    country: str
    address: str | None
    latitude: float | None
    longitude: float | None
    timezone: str
    currency: str
    check_in_time: ClockTime
    check_out_time: ClockTime
    star_rating: int | None
    rating: DecimalText | None = Field(description="Average of published reviews, one decimal")
    review_count: int = Field(description="Published reviews behind the rating")
    amenities: list[str]
    description: str | None
    payment_policy: PaymentPolicyOut | None
    cancellation_policy: CancellationPolicyOut | None
    refund_destination: str
    vat_percent: DecimalText
    vat_included: bool
    city_tax: MoneyOut
    city_tax_max_nights: int | None
    contact_email: str | None = Field(description="How guests reach the property")
    contact_phone: str | None = Field(description="E.164")
    images: list[ImageOut]


class PropertyOut(PublicPropertyFields):
    """A property as its staff see it."""

    is_active: bool
    created_at: Instant


class StaffPropertyOut(PropertyOut):
    role: str | None = Field(description="The caller's role there (none for a platform admin)")


class RoomTypeOut(Out):
    id: uuid.UUID
    property_id: uuid.UUID
    code: str
    name: str
    capacity: int
    base_price: MoneyOut
    bed_config: str | None
    size_sqm: int | None
    amenities: list[str]
    description: str | None
    images: list[ImageOut] = Field(
        default_factory=list, description="The room type's own images (upload: POST …/images)"
    )


class RoomTypeWithRoomsOut(RoomTypeOut):
    rooms: int = Field(description="Rooms of this type in service")


class PropertyManageOut(PropertyOut):
    room_types: list[RoomTypeWithRoomsOut]


class RoomOut(Out):
    id: uuid.UUID
    property_id: uuid.UUID
    room_type_id: uuid.UUID
    number: str
    floor: int | None
    status: str = Field(examples=["available"])
    housekeeping: str = Field(examples=["clean"])


class InvitationOut(Out):
    """The answer to an invitation: the same whether or not the address has an account."""

    id: uuid.UUID
    email: str
    role: str
    status: Literal["invited"]
    expires_at: Instant


class MemberOut(Out):
    """An active member, or a pending invitation (``status: "invited"``: no user, no name)."""

    id: uuid.UUID = Field(description="The membership, or the invitation (to revoke it)")
    user_id: uuid.UUID | None
    email: str | None
    full_name: str | None
    role: str
    status: Literal["active", "invited"]
    created_at: Instant
    expires_at: Instant | None = Field(description="When a pending invitation lapses")
