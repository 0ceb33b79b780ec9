"""Customers of a range: who arrived (sold stays and slots with a property-local arrival date in the
range), how many came back, and the best ones.

* A customer is the booking's account (``user_id``), else its contact e-mail address (case folded):
  a guest who booked without an account and later with one counts twice.
* ``repeat_customers`` — customers of the range with at least two sold bookings at the property
  arriving before ``to`` (earlier stays count; later ones do not, so a past report does not change).
* ``top`` — the ten customers of the range with the most revenue: the net revenue (every stream,
  whatever its date) of their bookings arriving in the range; ties by bookings, then name.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.billing.models import FolioEntry, FolioKind
from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Property
from innkeeper.kit.money import Money
from innkeeper.reports.revenue import SOLD, TAXES, included_vat
from innkeeper.reports.source import DateRange, ratio

TOP = 10


@dataclass
class Customer:
    key: str
    name: str = ""
    email: str = ""
    bookings: set[uuid.UUID] = field(default_factory=set)
    revenue: int = 0


def customer_key(user_id: uuid.UUID | None, email: str) -> str:
    return f"user:{user_id}" if user_id else f"email:{email.strip().lower()}"


async def _net_revenue(session: AsyncSession, prop: Property, rng: DateRange) -> dict[uuid.UUID, int]:
    """Each arriving booking's charges less taxes, in one grouped query (VAT inside prices comes off
    in :func:`customers_report`)."""
    rows = await session.execute(
        select(FolioEntry.booking_id, func.sum(FolioEntry.amount_minor))
        .join(Booking, Booking.id == FolioEntry.booking_id)
        .where(
            Booking.property_id == prop.id,
            Booking.status.in_(SOLD),
            Booking.checkin >= rng.start,
            Booking.checkin < rng.end,
            FolioEntry.kind == FolioKind.charge.value,
            FolioEntry.category.not_in(TAXES),
            FolioEntry.currency == prop.currency,
        )
        .group_by(FolioEntry.booking_id)
    )
    return {bid: int(total or 0) for bid, total in rows}


async def customers_report(session: AsyncSession, prop: Property, rng: DateRange) -> dict[str, Any]:
    revenue = await _net_revenue(session, prop, rng)
    rows = await session.execute(
        select(
            Booking.id,
            Booking.user_id,
            Booking.contact_email,
            Booking.contact_name,
            Booking.checkin,
            Booking.currency,
            Booking.quote["lines"],
        )
        .where(Booking.property_id == prop.id, Booking.status.in_(SOLD), Booking.checkin < rng.end)
        .order_by(Booking.checkin, Booking.id)
    )
    visits: dict[str, int] = defaultdict(int)
    period: dict[str, Customer] = {}
    for bid, user_id, email, name, checkin, currency, lines in rows:
        key = customer_key(user_id, email)
        visits[key] += 1
        if checkin < rng.start:
            continue
        customer = period.setdefault(key, Customer(key))
        customer.name, customer.email = name, email  # the latest arrival's contact
        customer.bookings.add(bid)
        if currency == prop.currency:
            customer.revenue += revenue.get(bid, 0) - included_vat(lines, currency)
    repeat = sum(1 for key in period if visits[key] >= 2)
    best = sorted(period.values(), key=lambda c: (-c.revenue, -len(c.bookings), c.name, c.key))[:TOP]
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "customers": len(period),
        "repeat_customers": repeat,
        "repeat_rate": ratio(repeat, len(period)),
        "top": [
            {
                "name": c.name,
                "email": c.email,
                "bookings": len(c.bookings),
                "visits": visits[c.key],
                "revenue": Money(c.revenue, prop.currency).to_api(),
            }
            for c in best
        ],
    }
