"""Booking statistics of the bookings *created* in a range (a cohort: later events of those bookings
count, bookings created outside the range do not), stays and slots alike.

* ``created`` — bookings made (property-local date of ``created_at`` in the range), holds that
  lapsed included; ``expired`` — of those, holds that lapsed unpaid.
* ``confirmed`` — ever confirmed (``confirmed_at`` set), whatever happened after.
* ``cancelled``, ``no_show`` — their status now.
* ``cancellation_rate = cancelled / (created - expired)`` (4 decimals).
* ``average_lead_days`` — over confirmed bookings, days from the local booking date to arrival (a
  slot's arrival is its local start date); ``average_length`` — over confirmed stays, nights booked.
  Both with 2 decimals, half-up.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property
from innkeeper.reports.source import DateRange, ratio


async def booking_stats(session: AsyncSession, prop: Property, rng: DateRange) -> dict[str, Any]:
    tz = ZoneInfo(prop.timezone)
    lo, hi = rng.instants(tz)
    rows = await session.execute(
        select(
            Booking.kind,
            Booking.status,
            Booking.created_at,
            Booking.confirmed_at,
            Booking.checkin,
            Booking.checkout,
        ).where(Booking.property_id == prop.id, Booking.created_at >= lo, Booking.created_at < hi)
    )
    created = expired = confirmed = cancelled = no_show = 0
    lead_days = stay_nights = stays = 0
    for kind, status, created_at, confirmed_at, checkin, checkout in rows:
        created += 1
        expired += status == Status.expired
        cancelled += status == Status.cancelled
        no_show += status == Status.no_show
        if confirmed_at is None:
            continue
        confirmed += 1
        lead_days += (checkin - created_at.astimezone(tz).date()).days
        if kind == "stay":
            stays += 1
            stay_nights += (checkout - checkin).days
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "created": created,
        "confirmed": confirmed,
        "cancelled": cancelled,
        "no_show": no_show,
        "expired": expired,
        "cancellation_rate": ratio(cancelled, created - expired),
        "average_lead_days": ratio(lead_days, confirmed, 2),
        "average_length": ratio(stay_nights, stays, 2),
    }
