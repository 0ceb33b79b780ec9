"""Utilization of hourly resources: booked hours / available hours over property-local dates.

* ``available_hours`` — open time of each local day of the range: the weekly windows and ``open``
  exceptions less ``closed`` exceptions, cut to the day (the same rules as slot booking,
  :func:`innkeeper.inventory.hourly.plan_day`; windows keep their wall-clock hours across a DST
  change, so such a day's window is an hour shorter or longer).
* ``booked_hours`` — the time of sold slots (confirmed, checked in, completed, no-show), buffers not
  included, that lies in the range. Holds waiting for payment are not booked yet.
* ``utilization = booked / available`` (4 decimals); above 1 when bookings stand outside windows
  that were narrowed after they were made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Property, Resource
from innkeeper.inventory.hourly import day_bounds, exceptions_between, plan_day, windows_of
from innkeeper.reports.revenue import SOLD
from innkeeper.reports.source import ONE_DAY, DateRange, hours, ratio


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds()) // 60


async def open_minutes(session: AsyncSession, resource: Resource, rng: DateRange, tz: ZoneInfo) -> int:
    lo, hi = rng.instants(tz)
    windows = await windows_of(session, resource.id)
    exceptions = await exceptions_between(session, resource.id, lo - 2 * ONE_DAY, hi + 2 * ONE_DAY)
    total = 0
    for day in rng.dates():
        start, end = day_bounds(day, tz)
        plan = plan_day(windows, exceptions, day, tz)
        total += sum(_minutes(min(e, end) - max(s, start)) for s, e in plan.open if s < end and e > start)
    return total


async def booked_minutes(session: AsyncSession, prop: Property, lo: datetime, hi: datetime) -> dict[Any, int]:
    rows = await session.execute(
        select(Booking.resource_id, Booking.start_at, Booking.end_at).where(
            Booking.property_id == prop.id,
            Booking.kind == "slot",
            Booking.status.in_(SOLD),
            Booking.start_at < hi,
            Booking.end_at > lo,
        )
    )
    out: dict[Any, int] = {}
    for resource_id, start, end in rows:
        if start is None or end is None:  # a slot always has both (a CHECK constraint)
            continue
        out[resource_id] = out.get(resource_id, 0) + _minutes(min(end, hi) - max(start, lo))
    return out


async def slot_count(session: AsyncSession, prop: Property, lo: datetime, hi: datetime) -> int:
    """Sold slots of the property overlapping ``[lo, hi)``."""
    stmt = select(func.count(Booking.id)).where(
        Booking.property_id == prop.id,
        Booking.kind == "slot",
        Booking.status.in_(SOLD),
        Booking.start_at < hi,
        Booking.end_at > lo,
    )
    return int(await session.scalar(stmt) or 0)


async def utilization_report(session: AsyncSession, prop: Property, rng: DateRange) -> dict[str, Any]:
    tz = ZoneInfo(prop.timezone)
    lo, hi = rng.instants(tz)
    resources = (
        await session.scalars(
            select(Resource).where(Resource.property_id == prop.id).order_by(Resource.name, Resource.id)
        )
    ).all()
    booked = await booked_minutes(session, prop, lo, hi)
    items = []
    for resource in resources:
        available = await open_minutes(session, resource, rng, tz)
        used = booked.get(resource.id, 0)
        items.append(
            {
                "resource_id": str(resource.id),
                "name": resource.name,
                "kind": resource.kind,
                "available_hours": hours(available),
                "booked_hours": hours(used),
                "utilization": ratio(used, available),
            }
        )
    return {"from": rng.start.isoformat(), "to": rng.end.isoformat(), "items": items, "total": len(items)}
