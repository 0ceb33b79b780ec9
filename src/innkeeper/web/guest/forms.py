"""Reading the guest site's query strings and forms leniently: a mistyped value becomes a message on
the page (in the page's language), never an error page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from innkeeper.kit.clock import utcnow

#: results per search page
PAGE_SIZE = 10
#: the amenities offered as search filters (the demo's and the API's common vocabulary)
AMENITIES = ("wifi", "breakfast", "parking", "pool", "gym", "spa", "restaurant", "air_conditioning")
SORTS = ("price", "rating")


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_int(value: str | None, default: int, low: int = 1, high: int = 1000) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return min(max(number, low), high)


def parse_price(value: str | None) -> Decimal | None:
    try:
        price = Decimal(value) if value else None
    except InvalidOperation:
        return None
    return price if price is not None and price.is_finite() and 0 <= price <= 10**9 else None


def default_dates() -> tuple[date, date]:
    start = utcnow().date() + timedelta(days=14)
    return start, start + timedelta(days=2)


@dataclass
class StayForm:
    """Where and when: the home page's form, and the part of every later page that remembers it."""

    city: str = ""
    checkin: date | None = None
    checkout: date | None = None
    guests: int = 2
    rooms: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, params: Any, *, need_city: bool = False) -> StayForm:
        form = cls(
            city=(params.get("city") or "").strip()[:120],
            checkin=parse_date(params.get("checkin")),
            checkout=parse_date(params.get("checkout")),
            guests=parse_int(params.get("guests"), 2),
            rooms=parse_int(params.get("rooms"), 1),
        )
        if params.get("checkin") and form.checkin is None:
            form.errors["checkin"] = "Enter a date"
        if params.get("checkout") and form.checkout is None:
            form.errors["checkout"] = "Enter a date"
        if need_city and not form.city:
            form.errors["city"] = "Enter a city"
        return form

    def with_defaults(self) -> StayForm:
        start, _ = default_dates()
        self.checkin = self.checkin or start
        self.checkout = self.checkout or (self.checkin + timedelta(days=2))
        if self.checkout <= self.checkin and "checkout" not in self.errors:
            self.errors["checkout"] = "Check-out must be after check-in"
        return self

    def query(self, **extra: Any) -> str:
        values = {
            "city": self.city,
            "checkin": self.checkin.isoformat() if self.checkin else "",
            "checkout": self.checkout.isoformat() if self.checkout else "",
            "guests": self.guests,
            "rooms": self.rooms,
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v not in ("", None)}, doseq=True)

    @property
    def nights(self) -> int:
        return (self.checkout - self.checkin).days if self.checkin and self.checkout else 0


def field_messages(errors: list[dict[str, Any]] | None) -> dict[str, str]:
    """A 422's field list as {field: message} for the form (the first message of each field)."""
    out: dict[str, str] = {}
    for error in errors or []:
        out.setdefault(str(error.get("field", "")), str(error.get("message", "")))
    return out
