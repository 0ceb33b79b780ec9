"""Revenue as the books have it: every figure is a sum over ``folio_entries`` charges, dated by rules
that need nothing but the booking, folio and inventory rows (docs/reports.md, "Revenue").

Revenue is net of tax and discounts: ``vat`` and ``city_tax`` rows never count, a discount (``loyalty``,
``promo``, negative rows) lowers the revenue it was given on, and VAT included in the price (the
quote's ``vat`` line with ``included_in_price``) is taken out. Four streams:

* **room** — stays that were sold (confirmed, checked in, checked out, no-show): per night, the night's
  ``accommodation`` charge (``service_date``), plus the booking's share of its discounts and less its
  share of included VAT, split over its nights in proportion to their charges (:func:`split`). A night
  charged but given back (early departure, no-show) is still revenue of its date.
* **hourly** — sold slots: ``time``, ``addon`` and ``travel`` less discounts and included VAT, dated
  on the slot's property-local start date.
* **service** — every other charge but ``cancellation`` (the service categories of ``extras``:
  airport_transfer, cab, laundry, spa, food, room_service, other; ``fee``), whatever the booking's
  status, dated by its ``service_date``, else the property-local date it was posted.
* **cancellation** — cancellation charges, dated the property-local date they were posted.

Held (unconfirmed), expired and cancelled bookings bring no room or hourly revenue (a cancellation
reverses those charges anyway). Amounts in another currency than the property's are left out: a
property's figures are never added across currencies.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.billing.folio import BOOKED_CATEGORIES
from innkeeper.billing.models import FolioEntry, FolioKind
from innkeeper.bookings.models import SOLD_STATES, Booking
from innkeeper.catalog.models import Property
from innkeeper.extras.models import ServiceOrder
from innkeeper.kit.money import Money
from innkeeper.reports.source import DateRange

SOLD = sorted(s.value for s in SOLD_STATES)
DISCOUNTS = ("loyalty", "promo")
ROOM_CATEGORIES = ("accommodation", *DISCOUNTS)
SLOT_CATEGORIES = ("time", "addon", "travel", *DISCOUNTS)
TAXES = ("vat", "city_tax")
#: the categories ``extras`` posts a delivered service order under
SERVICE_CATEGORIES = ("airport_transfer", "cab", "laundry", "spa", "food", "room_service", "other")
ONE_DAY = timedelta(days=1)


class Stream:
    room = "room"
    hourly = "hourly"
    service = "service"
    cancellation = "cancellation"


@dataclass(frozen=True, slots=True)
class Line:
    """Revenue of one booking on one property-local date, in the property's currency."""

    booking_id: uuid.UUID
    day: date
    stream: str
    category: str
    amount: int


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What the groupings need to know of a booking."""

    id: uuid.UUID
    kind: str
    source: str
    room_type_id: uuid.UUID | None
    resource_id: uuid.UUID | None
    status: str


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` (either sign) in parts proportional to ``weights`` that add up to it exactly: each
    part rounded toward zero, the units left over one each to the first parts (the earliest nights).
    Weights that are all zero (or none positive) share equally."""
    if not weights:
        return []
    positive = [max(0, w) for w in weights]
    if sum(positive) == 0:
        positive = [1] * len(weights)
    parts = Money(abs(amount), "XXX").allocate(positive)
    sign = -1 if amount < 0 else 1
    return [sign * p.minor for p in parts]


def included_vat(quote_lines: Any, currency: str) -> int:
    """VAT inside the price (shown on the quote, never posted to the folio)."""
    total = 0
    for line in quote_lines or []:
        if isinstance(line, dict) and line.get("kind") == "vat" and line.get("included_in_price"):
            total += Money.from_decimal(line["amount"]["amount"], currency).minor
    return total


def _sold_stays(prop: Property, rng: DateRange) -> Any:
    return and_(
        Booking.property_id == prop.id,
        Booking.kind == "stay",
        Booking.status.in_(SOLD),
        Booking.currency == prop.currency,
        Booking.checkin < rng.end,
        Booking.checkout > rng.start,
    )


async def room_lines(session: AsyncSession, prop: Property, rng: DateRange) -> list[Line]:
    """Room revenue per booking and night, for the nights in ``rng`` (see the module docstring)."""
    sums: dict[uuid.UUID, dict[tuple[str, date | None], int]] = defaultdict(dict)
    rows = await session.execute(
        select(
            FolioEntry.booking_id,
            FolioEntry.category,
            FolioEntry.service_date,
            func.sum(FolioEntry.amount_minor),
        )
        .join(Booking, Booking.id == FolioEntry.booking_id)
        .where(
            _sold_stays(prop, rng),
            FolioEntry.kind == FolioKind.charge.value,
            FolioEntry.category.in_(ROOM_CATEGORIES),
        )
        .group_by(FolioEntry.booking_id, FolioEntry.category, FolioEntry.service_date)
    )
    for booking_id, category, day, total in rows:
        sums[booking_id][(category, day)] = int(total or 0)
    facts = await session.execute(
        select(Booking.id, Booking.checkin, Booking.checkout, Booking.quote["lines"]).where(
            _sold_stays(prop, rng)
        )
    )
    out: list[Line] = []
    for booking_id, checkin, checkout, lines in facts:
        nightly = _nights(sums.get(booking_id, {}), checkin, checkout)
        if not nightly:
            continue
        charged = sums.get(booking_id, {})
        adjust = sum(v for (cat, _), v in charged.items() if cat in DISCOUNTS)
        adjust -= included_vat(lines, prop.currency)
        days = sorted(nightly)
        shares = split(adjust, [nightly[d] for d in days])
        for day, share in zip(days, shares, strict=True):
            amount = nightly[day] + share
            if day in rng and amount:
                out.append(Line(booking_id, day, Stream.room, "accommodation", amount))
    return out


def _nights(charged: dict[tuple[str, date | None], int], checkin: date, checkout: date) -> dict[date, int]:
    """The accommodation charged per night; an undated charge (a quote that could not be broken
    down) is spread evenly over the booked nights."""
    nightly: dict[date, int] = {d: v for (cat, d), v in charged.items() if cat == "accommodation" and d}
    undated = charged.get(("accommodation", None), 0)
    if undated:
        days = [checkin + timedelta(days=i) for i in range((checkout - checkin).days)]
        for day, part in zip(days, split(undated, [1] * len(days)), strict=True):
            nightly[day] = nightly.get(day, 0) + part
    return {d: v for d, v in nightly.items() if v}


def _sold_slots(prop: Property, rng: DateRange) -> Any:
    return and_(
        Booking.property_id == prop.id,
        Booking.kind == "slot",
        Booking.status.in_(SOLD),
        Booking.currency == prop.currency,
        Booking.checkin >= rng.start,
        Booking.checkin < rng.end,
    )


async def slot_lines(session: AsyncSession, prop: Property, rng: DateRange) -> list[Line]:
    """Hourly revenue per sold slot starting (property-local) in ``rng``."""
    sums: dict[uuid.UUID, int] = defaultdict(int)
    rows = await session.execute(
        select(FolioEntry.booking_id, func.sum(FolioEntry.amount_minor))
        .join(Booking, Booking.id == FolioEntry.booking_id)
        .where(
            _sold_slots(prop, rng),
            FolioEntry.kind == FolioKind.charge.value,
            FolioEntry.category.in_(SLOT_CATEGORIES),
        )
        .group_by(FolioEntry.booking_id)
    )
    for booking_id, total in rows:
        sums[booking_id] = int(total or 0)
    facts = await session.execute(
        select(Booking.id, Booking.checkin, Booking.quote["lines"]).where(_sold_slots(prop, rng))
    )
    out = []
    for booking_id, day, lines in facts:
        amount = sums.get(booking_id, 0) - included_vat(lines, prop.currency)
        if amount:
            out.append(Line(booking_id, day, Stream.hourly, "time", amount))
    return out


async def other_lines(session: AsyncSession, prop: Property, rng: DateRange) -> list[Line]:
    """Service charges and cancellation charges, dated by service date, else by posting date. A
    service order priced VAT-inclusive posts its subtotal with the VAT inside: that VAT comes off."""
    tz = ZoneInfo(prop.timezone)
    lo, hi = rng.instants(tz)
    rows = await session.execute(
        select(
            FolioEntry.booking_id,
            FolioEntry.category,
            FolioEntry.service_date,
            FolioEntry.created_at,
            FolioEntry.amount_minor,
            FolioEntry.service_order_id,
        ).where(
            FolioEntry.property_id == prop.id,
            FolioEntry.kind == FolioKind.charge.value,
            FolioEntry.currency == prop.currency,
            FolioEntry.category.not_in(BOOKED_CATEGORIES),
            or_(
                and_(FolioEntry.service_date >= rng.start, FolioEntry.service_date < rng.end),
                and_(
                    FolioEntry.service_date.is_(None),
                    FolioEntry.created_at >= lo,
                    FolioEntry.created_at < hi,
                ),
            ),
        )
    )
    rows_list = list(rows)
    inside = await _included_service_tax({r[5] for r in rows_list if r[5] is not None}, session)
    acc: dict[tuple[uuid.UUID, date, str], int] = defaultdict(int)
    for booking_id, category, service_date, created_at, amount, order_id in rows_list:
        day = service_date or _local_date(created_at, tz)
        acc[(booking_id, day, category)] += int(amount) - inside.get(order_id, 0)
    return [
        Line(bid, day, Stream.cancellation if cat == "cancellation" else Stream.service, cat, amount)
        for (bid, day, cat), amount in sorted(acc.items())
        if amount
    ]


async def _included_service_tax(order_ids: set[uuid.UUID], session: AsyncSession) -> dict[Any, int]:
    """The VAT inside the price of these service orders (0 for those that add it on top)."""
    wanted = sorted(order_ids)
    out: dict[Any, int] = {}
    for i in range(0, len(wanted), 1000):
        rows = await session.execute(
            select(ServiceOrder.id, ServiceOrder.tax_minor).where(
                ServiceOrder.id.in_(wanted[i : i + 1000]), ServiceOrder.tax_included.is_(True)
            )
        )
        out.update({order_id: int(tax) for order_id, tax in rows})
    return out


def _local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


async def all_lines(session: AsyncSession, prop: Property, rng: DateRange) -> list[Line]:
    return [
        *await room_lines(session, prop, rng),
        *await slot_lines(session, prop, rng),
        *await other_lines(session, prop, rng),
    ]


async def facts_of(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, BookingFacts]:
    """The groupings' facts of these bookings, in chunks (a year of a big hotel is many ids)."""
    wanted = sorted(set(ids))
    out: dict[uuid.UUID, BookingFacts] = {}
    for i in range(0, len(wanted), 1000):
        rows = await session.execute(
            select(
                Booking.id,
                Booking.kind,
                Booking.source,
                Booking.room_type_id,
                Booking.resource_id,
                Booking.status,
            ).where(Booking.id.in_(wanted[i : i + 1000]))
        )
        for row in rows:
            out[row[0]] = BookingFacts(*row)
    return out
