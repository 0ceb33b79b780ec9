"""A property's day at a glance (property-local date ``D``), each figure the same as its report's:

* ``arrivals``, ``departures``, ``in_house`` — the lengths of the front-desk lists of ``D``;
* ``occupancy``, ``rooms_sold``, ``rooms_available`` — the night of ``D`` (the occupancy report's day);
* ``room_revenue`` — room revenue of night ``D``; ``revenue`` — every stream dated ``D``;
* ``open_service_orders`` — service orders requested, accepted or in progress, whatever their date
  (the queue the desk works through);
* ``rooms`` — rooms in service by housekeeping status, and those out of order (their status now);
* ``hourly_bookings``, ``hourly_booked_hours`` — sold slots overlapping ``D`` and their time in ``D``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Housekeeping, Property, Room, RoomStatus
from innkeeper.extras.models import OPEN_STATUSES, ServiceOrder
from innkeeper.kit.money import Money
from innkeeper.reports import frontdesk, occupancy, revenue, utilization
from innkeeper.reports.revenue_report import streams
from innkeeper.reports.source import ONE_DAY, DateRange, hours, ratio


async def room_status(session: AsyncSession, prop: Property) -> dict[str, int]:
    out = {h.value: 0 for h in Housekeeping} | {RoomStatus.out_of_order.value: 0}
    rows = await session.execute(
        select(Room.status, Room.housekeeping, func.count(Room.id))
        .where(Room.property_id == prop.id)
        .group_by(Room.status, Room.housekeeping)
    )
    for status, housekeeping, n in rows:
        key = RoomStatus.out_of_order.value if status == RoomStatus.out_of_order.value else housekeeping
        out[key] = out.get(key, 0) + int(n)
    return out


async def open_service_orders(session: AsyncSession, prop: Property) -> int:
    """Orders requested, accepted or in progress (those that keep a booking from checking out)."""
    stmt = select(func.count(ServiceOrder.id)).where(
        ServiceOrder.property_id == prop.id,
        ServiceOrder.status.in_([s.value for s in OPEN_STATUSES]),
    )
    return int(await session.scalar(stmt) or 0)


async def dashboard(session: AsyncSession, prop: Property, day: date) -> dict[str, Any]:
    rng = DateRange(day, day + ONE_DAY)
    night = (await occupancy.nightly(session, prop, rng)).get(day, occupancy.Figures())
    lines = await revenue.all_lines(session, prop, rng)
    tz = ZoneInfo(prop.timezone)
    booked = await utilization.booked_minutes(session, prop, *rng.instants(tz))
    slots = await utilization.slot_count(session, prop, *rng.instants(tz))
    m = lambda minor: Money(minor, prop.currency).to_api()  # noqa: E731
    return {
        "date": day.isoformat(),
        "arrivals": await frontdesk.count(session, prop, frontdesk.DeskList.arrivals, day),
        "departures": await frontdesk.count(session, prop, frontdesk.DeskList.departures, day),
        "in_house": await frontdesk.count(session, prop, frontdesk.DeskList.in_house, day),
        "occupancy": ratio(night.rooms_sold, night.rooms_available),
        "rooms_sold": night.rooms_sold,
        "rooms_available": night.rooms_available,
        "room_revenue": m(streams(lines)[revenue.Stream.room]),
        "revenue": m(sum(line.amount for line in lines)),
        "open_service_orders": await open_service_orders(session, prop),
        "rooms": await room_status(session, prop),
        "hourly_bookings": slots,
        "hourly_booked_hours": hours(sum(booked.values())),
    }
