"""Request bodies for properties, members, room types, rooms. Outputs are built in ``catalog.views``."""

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

from innkeeper.kit.money import known_currencies

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
#: A money value as sent: {"amount": "150.00", "currency": "EUR"} or "150.00"; parsed by the service
#: against the property's currency (Money.parse), so a wrong currency is a 422 there.
MoneyIn = dict[str, Any] | str | int
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
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=3, max_length=320)]
    role: Literal["manager", "front_desk", "housekeeping", "moderator"]


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
