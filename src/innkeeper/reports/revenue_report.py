"""Revenue of a date range grouped by booking source, room type, service category or hourly resource.

What each grouping adds up (the lines of :mod:`innkeeper.reports.revenue` dated in the range):

* ``source`` — every stream (room, hourly, service, cancellation), by the booking's source;
* ``room_type`` — room revenue, by the stay's room type;
* ``service_category`` — service revenue, by folio category;
* ``resource`` — hourly revenue, by the slot's resource.

Each item: ``key``, a readable ``label``, ``bookings`` (distinct bookings with revenue in the item) and
``revenue``. Items are ordered by revenue, highest first, then by key.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property, Resource, RoomType
from innkeeper.kit.money import Money
from innkeeper.reports.revenue import Line, Stream, all_lines, facts_of, room_lines, slot_lines
from innkeeper.reports.revenue import other_lines as service_and_cancellation_lines
from innkeeper.reports.source import DateRange


class RevenueGroup(StrEnum):
    source = "source"
    room_type = "room_type"
    service_category = "service_category"
    resource = "resource"


async def lines_for(
    session: AsyncSession, prop: Property, rng: DateRange, group_by: RevenueGroup
) -> list[Line]:
    if group_by is RevenueGroup.source:
        return await all_lines(session, prop, rng)
    if group_by is RevenueGroup.room_type:
        return await room_lines(session, prop, rng)
    if group_by is RevenueGroup.resource:
        return await slot_lines(session, prop, rng)
    lines = await service_and_cancellation_lines(session, prop, rng)
    return [line for line in lines if line.stream == Stream.service]


async def _keys(session: AsyncSession, lines: list[Line], group_by: RevenueGroup) -> dict[uuid.UUID, str]:
    """Each booking's key under ``group_by`` (service category is the line's own)."""
    if group_by is RevenueGroup.service_category:
        return {}
    facts = await facts_of(session, (line.booking_id for line in lines))
    if group_by is RevenueGroup.source:
        return {bid: f.source for bid, f in facts.items()}
    if group_by is RevenueGroup.room_type:
        return {bid: str(f.room_type_id) for bid, f in facts.items()}
    return {bid: str(f.resource_id) for bid, f in facts.items()}


async def _labels(session: AsyncSession, prop: Property, group_by: RevenueGroup) -> dict[str, str]:
    if group_by is RevenueGroup.room_type:
        rows = await session.execute(
            select(RoomType.id, RoomType.name).where(RoomType.property_id == prop.id)
        )
        return {str(i): name for i, name in rows}
    if group_by is RevenueGroup.resource:
        rows = await session.execute(
            select(Resource.id, Resource.name).where(Resource.property_id == prop.id)
        )
        return {str(i): name for i, name in rows}
    return {}


async def revenue_report(
    session: AsyncSession, prop: Property, rng: DateRange, group_by: RevenueGroup
) -> dict[str, Any]:
    lines = await lines_for(session, prop, rng, group_by)
    keys = await _keys(session, lines, group_by)
    labels = await _labels(session, prop, group_by)
    amounts: dict[str, int] = defaultdict(int)
    bookings: dict[str, set[uuid.UUID]] = defaultdict(set)
    for line in lines:
        key = line.category if group_by is RevenueGroup.service_category else keys[line.booking_id]
        amounts[key] += line.amount
        bookings[key].add(line.booking_id)
    m = lambda minor: Money(minor, prop.currency).to_api()  # noqa: E731
    items = [
        {
            "key": key,
            "label": labels.get(key, key.replace("_", " ")),
            "bookings": len(bookings[key]),
            "revenue": m(amount),
        }
        for key, amount in sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "group_by": group_by.value,
        "items": items,
        "total": len(items),
        "revenue": m(sum(amounts.values())),
        "bookings": len({line.booking_id for line in lines}),
    }


def streams(lines: list[Line]) -> dict[str, int]:
    """Revenue per stream (room, hourly, service, cancellation), every stream present."""
    out = dict.fromkeys((Stream.room, Stream.hourly, Stream.service, Stream.cancellation), 0)
    for line in lines:
        out[line.stream] += line.amount
    return out
