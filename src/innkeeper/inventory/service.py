"""Nightly inventory: one row per room type and date over a rolling horizon.

``available = total - sold - held`` on open days; a closed or missing day is never sellable. The booking
engine takes rows with :func:`lock_days` (``SELECT … FOR UPDATE ORDER BY date``) and moves counters with
conditional UPDATEs; the ``CHECK (sold + held <= total)`` constraint backs it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Uuid, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property, Room, RoomStatus, RoomType
from innkeeper.catalog.rooms import room_type_of
from innkeeper.inventory.errors import BelowSold, OutsideHorizon
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.clock import local_today
from innkeeper.kit.db import insert_for
from innkeeper.kit.money import Money

INSERT_BATCH = 500


def daterange(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


async def rooms_in_service(session: AsyncSession, room_type_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Room)
            .where(Room.room_type_id == room_type_id, Room.status == RoomStatus.available.value)
        )
        or 0
    )


async def fill_days(session: AsyncSession, room_type: RoomType, start: date, end: date, total: int) -> int:
    """Insert the missing rows of [start, end) for ``room_type``; existing rows are left alone."""
    dates = daterange(start, end)
    for i in range(0, len(dates), INSERT_BATCH):
        rows = [
            {
                "id": uuid.uuid4(),
                "room_type_id": room_type.id,
                "property_id": room_type.property_id,
                "date": d,
                "total": total,
                "sold": 0,
                "held": 0,
                "closed": False,
                "price_minor": None,
                "currency": room_type.currency,
                "min_stay": 1,
                "max_stay": None,
                "closed_to_arrival": False,
                "closed_to_departure": False,
            }
            for d in dates[i : i + INSERT_BATCH]
        ]
        stmt = insert_for(session, InventoryDay).on_conflict_do_nothing(
            index_elements=["room_type_id", "date"]
        )
        await session.execute(stmt, rows)
    return len(dates)


def horizon_end(prop: Property, horizon_days: int) -> date:
    return local_today(prop.timezone) + timedelta(days=horizon_days)


async def ensure_horizon(
    session: AsyncSession, prop: Property, room_type: RoomType, horizon_days: int
) -> int:
    """Make sure rows exist from the property's today to today + horizon. Returns rows considered."""
    today = local_today(prop.timezone)
    last = await session.scalar(
        select(func.max(InventoryDay.date)).where(InventoryDay.room_type_id == room_type.id)
    )
    start = today if last is None or last < today else last + timedelta(days=1)
    end = today + timedelta(days=horizon_days)
    if start >= end:
        return 0
    total = await rooms_in_service(session, room_type.id)
    return await fill_days(session, room_type, start, end, total)


async def extend_all_horizons(session: AsyncSession, horizon_days: int) -> int:
    """The daily job's work: roll every room type's horizon forward."""
    created = 0
    rows = (
        await session.execute(select(RoomType, Property).join(Property, Property.id == RoomType.property_id))
    ).all()
    for room_type, prop in rows:
        created += await ensure_horizon(session, prop, room_type, horizon_days)
    return created


async def change_total(
    session: AsyncSession, prop: Property, room_type_id: uuid.UUID, delta: int, actor: Actor, reason: str
) -> int:
    """Add ``delta`` rooms to the sellable total of every day from the property's today on.

    Lowering is refused (409 ``inventory.below_sold``) where it would leave fewer rooms than are sold
    or held. Rows are locked in date order first, like a booking does, so this never deadlocks with one.
    """
    today = local_today(prop.timezone)
    days = await lock_days(session, room_type_id, today, None)
    if delta < 0:
        short = [d.date.isoformat() for d in days if d.total + delta < d.sold + d.held]
        if short:
            raise BelowSold(
                f"{len(short)} day(s) would have fewer rooms than sold or held, first {short[0]}",
                dates=short[:31],
            )
    result = await session.execute(
        update(InventoryDay)
        .where(
            InventoryDay.room_type_id == room_type_id,
            InventoryDay.date >= today,
            InventoryDay.total + delta >= InventoryDay.sold + InventoryDay.held,
        )
        .values(total=InventoryDay.total + delta)
        .execution_options(synchronize_session=False)
    )
    changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if changed != len(days):  # a concurrent sale slipped in between: refuse rather than half-apply
        raise BelowSold("Rooms were sold meanwhile; try again")
    record(
        session,
        actor,
        "inventory.total_changed",
        "room_type",
        room_type_id,
        property_id=prop.id,
        after={"delta": delta, "from": today.isoformat(), "days": changed, "reason": reason},
    )
    return changed


async def lock_rows(session: AsyncSession, keys: Sequence[tuple[uuid.UUID, date]]) -> None:
    """Lock the rows spanning these (room type, date) keys ``FOR UPDATE`` in (room type, date) order,
    the order every booking uses (one range per room type, so the statement stays small)."""
    spans: dict[uuid.UUID, list[date]] = defaultdict(list)
    for room_type_id, day in keys:
        spans[room_type_id].append(day)
    for room_type_id in sorted(spans):
        await lock_days(
            session, room_type_id, min(spans[room_type_id]), max(spans[room_type_id]) + timedelta(days=1)
        )


async def lock_days(
    session: AsyncSession, room_type_id: uuid.UUID, start: date, end: date | None
) -> list[InventoryDay]:
    """Lock rows of [start, end) in date order (``FOR UPDATE``; SQLite is serialised by BEGIN IMMEDIATE)."""
    stmt = select(InventoryDay).where(InventoryDay.room_type_id == room_type_id, InventoryDay.date >= start)
    if end is not None:
        stmt = stmt.where(InventoryDay.date < end)
    stmt = stmt.order_by(InventoryDay.date).with_for_update()
    return list((await session.scalars(stmt)).all())


#: built once (see ``get_days``): building the expression costs more CPU than running it
_DAYS = (
    select(InventoryDay)
    .where(
        InventoryDay.room_type_id.in_(bindparam("ids", expanding=True)),
        InventoryDay.date >= bindparam("start", type_=Date),
        InventoryDay.date < bindparam("end", type_=Date),
    )
    .order_by(InventoryDay.room_type_id, InventoryDay.date)
)
#: one room type (a quote): no expanding IN, whose SQL is rewritten at every execution
_DAYS_OF_ONE = (
    select(InventoryDay)
    .where(
        InventoryDay.room_type_id == bindparam("id", type_=Uuid()),
        InventoryDay.date >= bindparam("start", type_=Date),
        InventoryDay.date < bindparam("end", type_=Date),
    )
    .order_by(InventoryDay.date)
)


async def get_days(
    session: AsyncSession, room_type_ids: Sequence[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, dict[date, InventoryDay]]:
    """Rows of [start, end) for these room types, keyed by room type then date."""
    out: dict[uuid.UUID, dict[date, InventoryDay]] = defaultdict(dict)
    if not room_type_ids:
        return out
    if len(room_type_ids) == 1:
        statement, binds = _DAYS_OF_ONE, {"id": room_type_ids[0], "start": start, "end": end}
    else:
        statement, binds = _DAYS, {"ids": list(room_type_ids), "start": start, "end": end}
    for day in (await session.scalars(statement, binds)).all():
        out[day.room_type_id][day.date] = day
    return out


async def property_occupancy(
    session: AsyncSession, property_ids: Iterable[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, dict[date, tuple[int, int]]]:
    """(rooms sold + held, rooms in total) per property and night, over all its room types."""
    stmt = (
        select(
            InventoryDay.property_id,
            InventoryDay.date,
            func.sum(InventoryDay.sold + InventoryDay.held),
            func.sum(InventoryDay.total),
        )
        .where(
            InventoryDay.property_id.in_(list(property_ids)),
            InventoryDay.date >= start,
            InventoryDay.date < end,
        )
        .group_by(InventoryDay.property_id, InventoryDay.date)
    )
    out: dict[uuid.UUID, dict[date, tuple[int, int]]] = defaultdict(dict)
    for property_id, day, occupied, total in (await session.execute(stmt)).all():
        out[property_id][day] = (int(occupied or 0), int(total or 0))
    return out


def occupancy_from_days(days: Iterable[Any]) -> dict[date, tuple[int, int]]:
    occ: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for d in days:
        entry = occ[d.date]
        entry[0] += d.sold + d.held
        entry[1] += d.total
    return {k: (v[0], v[1]) for k, v in occ.items()}


@dataclass(frozen=True)
class StayCheck:
    ok: bool
    available: int  # rooms free on every night (0 when a night is closed or missing)
    reason: str | None = None


def check_stay(days: dict[date, Any], checkin: date, checkout: date, rooms: int) -> StayCheck:
    """Can ``rooms`` rooms be sold for the whole stay? Rules: every night exists, is open and has
    ``rooms`` free; the arrival day's min/max stay holds; arrival and departure days are not closed to
    arrival / departure. ``days`` must include the departure day when it exists."""
    nights = (checkout - checkin).days
    free: int | None = None
    d = checkin
    while d < checkout:
        row = days.get(d)
        if row is None:
            return StayCheck(False, 0, f"no inventory on {d.isoformat()}")
        avail = 0 if row.closed else row.total - row.sold - row.held
        free = avail if free is None else min(free, avail)
        d += timedelta(days=1)
    free = max(0, free or 0)
    first = days[checkin]
    if free < rooms:
        return StayCheck(False, free, "not enough rooms free")
    if nights < first.min_stay:
        return StayCheck(False, free, f"minimum stay is {first.min_stay} nights")
    if first.max_stay is not None and nights > first.max_stay:
        return StayCheck(False, free, f"maximum stay is {first.max_stay} nights")
    if first.closed_to_arrival:
        return StayCheck(False, free, "closed to arrival")
    departure = days.get(checkout)
    if departure is not None and departure.closed_to_departure:
        return StayCheck(False, free, "closed to departure")
    return StayCheck(True, free)


async def available_rooms(
    session: AsyncSession, room_type_id: uuid.UUID, checkin: date, checkout: date
) -> int:
    """Rooms of this type free on every night of [checkin, checkout) (restrictions aside)."""
    days = (await get_days(session, [room_type_id], checkin, checkout)).get(room_type_id, {})
    if len(days) != (checkout - checkin).days:
        return 0
    return max(0, min(d.available for d in days.values()))


# -- staff: read and bulk update -------------------------------------------------------------------------

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_to_api(day: InventoryDay) -> dict[str, Any]:
    return {
        "date": day.date.isoformat(),
        "total": day.total,
        "sold": day.sold,
        "held": day.held,
        "available": day.available,
        "closed": day.closed,
        "price": Money(day.price_minor, day.currency).to_api() if day.price_minor is not None else None,
        "min_stay": day.min_stay,
        "max_stay": day.max_stay,
        "closed_to_arrival": day.closed_to_arrival,
        "closed_to_departure": day.closed_to_departure,
    }


@dataclass
class DayChange:
    """One range of a bulk update, already validated and converted (money in minor units)."""

    room_type_id: uuid.UUID
    start: date
    end: date
    weekdays: frozenset[int] | None
    values: dict[str, Any]


async def bulk_update(
    session: AsyncSession, prop: Property, changes: list[DayChange], horizon_days: int, actor: Actor
) -> int:
    """Apply every change or none: all ranges are checked first (room type, horizon, past, overlap)."""
    today = local_today(prop.timezone)
    last = today + timedelta(days=horizon_days)
    errors = []
    for i, change in enumerate(changes):
        if change.start < today:
            errors.append(
                {
                    "field": f"items.{i}.from",
                    "message": "date is in the past at the property",
                    "type": "date_past",
                }
            )
        if change.end > last:
            errors.append(
                {
                    "field": f"items.{i}.to",
                    "message": f"beyond the horizon ({last.isoformat()})",
                    "type": "date_beyond_horizon",
                }
            )
        for j in range(i):
            other = changes[j]
            if (
                other.room_type_id == change.room_type_id
                and change.start < other.end
                and other.start < change.end
            ):
                errors.append({"field": f"items.{i}", "message": f"overlaps items.{j}", "type": "overlap"})
    if errors:
        raise OutsideHorizon("The ranges are not valid", code="inventory.invalid_range", errors=errors)
    planned: list[tuple[DayChange, list[date]]] = []
    for change in changes:
        await room_type_of(session, prop.id, change.room_type_id)
        dates = [
            d
            for d in daterange(change.start, change.end)
            if change.weekdays is None or d.weekday() in change.weekdays
        ]
        if dates and change.values:
            planned.append((change, dates))
    # Lock every row first, in the bookings' order (room type, date): a multi-row UPDATE takes its
    # row locks in whatever order the scan visits them, which deadlocks against a booking that holds
    # some of these nights and waits for others.
    await lock_rows(session, [(c.room_type_id, d) for c, dates in planned for d in dates])
    updated = 0
    for change, dates in planned:
        values = dict(change.values)
        if "min_stay" in values or "max_stay" in values:
            # the CHECK (max_stay >= min_stay) must hold row by row: validate against the stored values
            rows = (
                await session.execute(
                    select(InventoryDay.date, InventoryDay.min_stay, InventoryDay.max_stay).where(
                        InventoryDay.room_type_id == change.room_type_id, InventoryDay.date.in_(dates)
                    )
                )
            ).all()
            for row in rows:
                lo = values.get("min_stay", row.min_stay)
                hi = values["max_stay"] if "max_stay" in values else row.max_stay
                if hi is not None and hi < lo:
                    raise OutsideHorizon(
                        f"max_stay would be below min_stay on {row.date.isoformat()}",
                        code="inventory.invalid_stay_limits",
                    )
        result = await session.execute(
            update(InventoryDay)
            .where(and_(InventoryDay.room_type_id == change.room_type_id, InventoryDay.date.in_(dates)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count != len(dates):
            raise OutsideHorizon(
                f"{len(dates) - count} day(s) of the range have no inventory yet",
                code="inventory.outside_horizon",
            )
        updated += count
        audit_values = {k: v for k, v in values.items()}
        record(
            session,
            actor,
            "inventory.bulk_updated",
            "room_type",
            change.room_type_id,
            property_id=prop.id,
            after={
                "from": change.start.isoformat(),
                "to": change.end.isoformat(),
                "weekdays": sorted(change.weekdays) if change.weekdays is not None else None,
                "values": audit_values,
                "days": count,
            },
        )
    return updated
