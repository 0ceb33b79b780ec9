"""The stay itself: room assignment, check-in, check-out (early departure), room moves.

Automatic assignment priority, per room of the booking's type that is in service and free for the
whole period: housekeeping ``inspected`` first, then ``clean``, then ``dirty``; then the lowest floor;
then the room number. A room never holds two overlapping active stays: PostgreSQL enforces it with an
exclusion constraint (``EXCLUDE USING gist (room_id WITH =, daterange(start_date, end_date) WITH &&)
WHERE (active)``), SQLite by the check below under its write lock.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import IllegalTransition, RoomNotReady, RoomUnavailable
from innkeeper.bookings.models import Booking, RoomAssignment, Status
from innkeeper.catalog.errors import RoomNotFound
from innkeeper.catalog.models import Housekeeping, Property, Room, RoomStatus
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.money import Money

READY = {Housekeeping.clean.value, Housekeeping.inspected.value}


def _busy(start: date, end: date) -> Select[Any]:
    """Rooms with an active stay overlapping [start, end)."""
    return select(RoomAssignment.room_id).where(
        RoomAssignment.active.is_(True), RoomAssignment.start_date < end, RoomAssignment.end_date > start
    )


async def active_assignments(session: AsyncSession, booking_id: uuid.UUID) -> list[RoomAssignment]:
    return list(
        (
            await session.scalars(
                select(RoomAssignment)
                .where(RoomAssignment.booking_id == booking_id, RoomAssignment.active.is_(True))
                .order_by(RoomAssignment.start_date)
            )
        ).all()
    )


async def _place(
    session: AsyncSession, b: Booking, room: Room, start: date, end: date, reason: str
) -> RoomAssignment:
    if room.room_type_id != b.room_type_id or room.property_id != b.property_id:
        raise RoomUnavailable("That room is not of the booked room type")
    if room.status != RoomStatus.available.value:
        raise RoomUnavailable(f"Room {room.number} is out of order")
    clash = await session.scalar(
        select(RoomAssignment.id).where(
            RoomAssignment.room_id == room.id,
            RoomAssignment.active.is_(True),
            RoomAssignment.start_date < end,
            RoomAssignment.end_date > start,
            RoomAssignment.booking_id != b.id,
        )
    )
    if clash is not None:
        raise RoomUnavailable(f"Room {room.number} is taken on some of these nights")
    assignment = RoomAssignment(
        booking_id=b.id, room_id=room.id, start_date=start, end_date=end, reason=reason
    )
    try:
        async with session.begin_nested():  # PostgreSQL's exclusion constraint settles races
            session.add(assignment)
            await session.flush()
    except IntegrityError as exc:
        raise RoomUnavailable(f"Room {room.number} was just taken for these nights") from exc
    return assignment


async def auto_pick(session: AsyncSession, b: Booking, start: date, end: date, count: int) -> list[Room]:
    priority = case(
        {Housekeeping.inspected.value: 0, Housekeeping.clean.value: 1}, value=Room.housekeeping, else_=2
    )
    rooms = (
        await session.scalars(
            select(Room)
            .where(
                Room.room_type_id == b.room_type_id,
                Room.status == RoomStatus.available.value,
                Room.id.not_in(_busy(start, end)),
            )
            .order_by(priority, Room.floor.is_(None), Room.floor, Room.number)
            .limit(count)
            # two desks assigning at once must not both pick the best free room (the loser would get a
            # 409 from the exclusion constraint while other rooms are free): rooms another transaction
            # is placing right now are skipped. SQLite serialises writers and ignores this.
            .with_for_update(of=Room, skip_locked=True)
        )
    ).all()
    if len(rooms) < count:
        raise RoomUnavailable("No free room of this type for the whole stay")
    return list(rooms)


async def assign(
    session: AsyncSession, b: Booking, actor: Actor, *, room_id: uuid.UUID | None, reason: str | None = None
) -> list[RoomAssignment]:
    """Give the booking its rooms: ``room_id`` by hand (one room), else automatically (all missing)."""
    lifecycle.require(b, Status.confirmed, Status.checked_in, action="assign rooms to")
    start = max(b.checkin, local_today(await _tz(session, b))) if b.status == Status.checked_in else b.checkin
    end = b.sold_until
    current = await active_assignments(session, b.id)
    missing = b.rooms - len(current)
    if missing <= 0:
        raise RoomUnavailable("The booking has all its rooms; move a room instead")
    if room_id is not None:
        room = await session.scalar(select(Room).where(Room.id == room_id, Room.property_id == b.property_id))
        if room is None:
            raise RoomNotFound()
        rooms = [room]
        placed = [await _place(session, b, room, start, end, reason or "manual")]
    else:
        # A room another desk placed and committed between our pick's snapshot and its lock looks free
        # to the pick (the room row itself did not change) and then clashes: pick again, with a fresh
        # snapshot that sees that placement. Each attempt is all-or-nothing.
        for attempt in range(3):
            rooms = await auto_pick(session, b, start, end, missing)
            try:
                async with session.begin_nested():
                    placed = [
                        await _place(session, b, room, start, end, reason or "automatic") for room in rooms
                    ]
                break
            except RoomUnavailable:
                if attempt == 2:
                    raise
    await lifecycle.event(
        session,
        b,
        actor,
        "rooms_assigned",
        from_status=b.status,
        data={"rooms": [str(r.id) for r in rooms], "by": "hand" if room_id else "auto"},
    )
    return placed


async def move(
    session: AsyncSession,
    b: Booking,
    actor: Actor,
    *,
    from_room_id: uuid.UUID,
    to_room_id: uuid.UUID | None,
    reason: str | None,
) -> RoomAssignment:
    """Move one room of the stay from today (or from arrival, before it) on; the history stays."""
    lifecycle.require(b, Status.confirmed, Status.checked_in, action="move rooms of")
    today = local_today(await _tz(session, b))
    start = max(b.checkin, today)
    old = next((a for a in await active_assignments(session, b.id) if a.room_id == from_room_id), None)
    if old is None:
        raise RoomNotFound("The booking does not have that room")
    if old.start_date >= start:
        old.active = False
    else:
        old.end_date = start
    old.ended_at = utcnow()
    await session.flush()
    if to_room_id is None:
        target = (await auto_pick(session, b, start, b.sold_until, 1))[0]
    else:
        found = await session.scalar(
            select(Room).where(Room.id == to_room_id, Room.property_id == b.property_id)
        )
        if found is None:
            raise RoomNotFound()
        target = found
    if b.status == Status.checked_in and target.housekeeping not in READY:
        raise RoomNotReady(f"Room {target.number} is not clean yet")
    placed = await _place(session, b, target, start, b.sold_until, reason or "room move")
    await lifecycle.event(
        session,
        b,
        actor,
        "room_moved",
        from_status=b.status,
        data={"from": str(from_room_id), "to": str(target.id), "from_date": start.isoformat()},
    )
    return placed


async def _tz(session: AsyncSession, b: Booking) -> str:
    tz = await session.scalar(select(Property.timezone).where(Property.id == b.property_id))
    assert tz is not None
    return tz


async def check_in(session: AsyncSession, b: Booking, actor: Actor, *, room_id: uuid.UUID | None) -> None:
    lifecycle.require(b, Status.confirmed, action="check in")
    today = local_today(await _tz(session, b))
    if not b.checkin <= today < b.checkout:
        raise IllegalTransition(
            f"Check-in is possible from {b.checkin.isoformat()} until the day before departure",
            code="booking.not_arrival_day",
        )
    current = await active_assignments(session, b.id)
    if b.room_type_id is None:  # a slot: the hall or meeting room is the resource booked, no room to place
        if room_id is not None:
            raise IllegalTransition("A slot has no room to assign", code="booking.no_rooms")
    elif room_id is not None and all(a.room_id != room_id for a in current):
        await assign(session, b, actor, room_id=room_id)
    if b.room_type_id is not None and len(await active_assignments(session, b.id)) < b.rooms:
        await assign(session, b, actor, room_id=None)
    rooms = (
        await session.scalars(
            select(Room).where(Room.id.in_([a.room_id for a in await active_assignments(session, b.id)]))
        )
    ).all()
    dirty = [r.number for r in rooms if r.housekeeping not in READY]
    if dirty:
        raise RoomNotReady(f"Room(s) {', '.join(dirty)} not clean or inspected yet")
    b.checked_in_at = utcnow()
    await lifecycle.move(
        session, b, Status.checked_in, actor, "checked_in", data={"rooms": [r.number for r in rooms]}
    )


async def check_out(session: AsyncSession, b: Booking, actor: Actor) -> None:
    """Check out; leaving before the booked departure gives the remaining nights back to inventory
    (the night of arrival stays sold). Rooms become dirty."""
    lifecycle.require(b, Status.checked_in, action="check out")
    await folio.sync_charges(session, b, actor)
    due = (await folio.totals(session, b)).balance_due
    if due > 0:
        raise IllegalTransition(
            f"The folio has {Money(due, b.currency)} to pay: settle it first (check-out with settle)",
            code="booking.balance_due",
            balance_due=Money(due, b.currency).to_api(),
        )
    today = local_today(await _tz(session, b))
    departure = min(max(today, b.checkin + timedelta(days=1)), b.checkout)
    assignments = await active_assignments(session, b.id)
    # rooms before inventory rows (the order a room status change uses), so the two never deadlock
    rooms = (
        await session.scalars(
            select(Room)
            .where(Room.id.in_([a.room_id for a in assignments]))
            .order_by(Room.id)
            .with_for_update()
        )
    ).all()
    if departure < b.checkout:
        allocation = allocation_for(b)
        before = allocation.footprint(b)
        b.release_from = departure
        await allocation.move(session, b, before, reclaim=False)
    for a in assignments:
        if a.end_date > departure:
            a.end_date = max(departure, a.start_date + timedelta(days=1))
        a.ended_at = utcnow()
    for room in rooms:
        room.housekeeping = Housekeeping.dirty.value
    b.checked_out_at = utcnow()
    await lifecycle.move(
        session,
        b,
        Status.checked_out,
        actor,
        "checked_out",
        data={"departure": departure.isoformat(), "early": departure < b.checkout},
    )
