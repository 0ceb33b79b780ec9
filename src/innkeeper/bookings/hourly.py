"""The hourly allocation: a slot takes a buffered time range of a resource (``resource_allocations``).

No two active allocations of one resource overlap: the database refuses it (an exclusion constraint on
PostgreSQL, triggers under SQLite's write lock; ``inventory.allocations``). A hold and a sale occupy the
same row, so confirming moves nothing. Lapsed holds whose time a request needs are expired in the
same transaction, before the insert, so they never block a sale (invariant 3).

Lock order: the booking's own row, then the resource's row (``allocations.lock_resource``: one writer
of a resource's allocations at a time, so concurrent overlapping inserts queue instead of deadlocking
in the exclusion check), then the lapsed holds in the way (``SKIP LOCKED``), then the allocation rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings import lifecycle
from innkeeper.bookings.models import HOLD_STATES, Booking
from innkeeper.catalog.models import Property, Resource
from innkeeper.inventory import allocations
from innkeeper.inventory.errors import SlotUnavailable
from innkeeper.inventory.events import ResourceTimeClosing
from innkeeper.inventory.hourly import MAX_ALLOCATION, covers, load_plan
from innkeeper.inventory.hourly_models import ExceptionKind, ResourceAllocation, ResourceException
from innkeeper.kit import events
from innkeeper.kit.clock import utcnow

HOLD_VALUES = frozenset(s.value for s in HOLD_STATES)


def _span(b: Booking) -> tuple[datetime, datetime]:
    assert b.start_at is not None and b.end_at is not None, b.id
    return b.start_at, b.end_at


async def _resource(session: AsyncSession, b: Booking, seen: Any = None) -> Resource:
    """The booking's resource: the one the quote read (``seen``) when it is that one, else from the
    database (the session keeps loaded rows only while something holds them)."""
    if isinstance(seen, Resource) and seen.id == b.resource_id:
        return seen
    resource = await session.get(Resource, b.resource_id)
    assert resource is not None, b.resource_id
    return resource


async def lapsed_in_the_way(
    session: AsyncSession,
    resource: Resource,
    wanted_from: datetime,
    wanted_to: datetime,
    *,
    exclude: Booking | None = None,
) -> list[Booking]:
    """Lapsed holds whose buffered time overlaps ``[wanted_from, wanted_to)`` of ``resource`` (other than
    ``exclude``), locked (skipping the ones another transaction is handling)."""
    statement = (
        select(Booking)
        .join(ResourceAllocation, ResourceAllocation.booking_id == Booking.id)
        .where(
            ResourceAllocation.resource_id == resource.id,
            ResourceAllocation.active.is_(True),
            ResourceAllocation.starts_at < wanted_to,
            ResourceAllocation.starts_at > wanted_from - MAX_ALLOCATION,
            ResourceAllocation.ends_at > wanted_from,
            Booking.status.in_([s.value for s in HOLD_STATES]),
            Booking.expires_at <= utcnow(),
        )
        .order_by(Booking.id)
        .with_for_update(of=Booking, skip_locked=True)
    )
    if exclude is not None:
        statement = statement.where(Booking.id != exclude.id)
    return list((await session.scalars(statement)).all())


async def _expire_lapsed(session: AsyncSession, lapsed: Iterable[Booking]) -> None:
    for booking in lapsed:
        await allocations.release(session, booking.id)
        await lifecycle.mark_expired(session, booking)


#: what stands in a slot's way, read under the resource's lock in one round trip: the bookings holding
#: part of its buffered range (other than itself; ``closed`` 0), and closures of its own time committed
#: since the request checked availability (``closed`` 1; ``inventory.schedule`` takes the same lock
#: before it closes time). Built once, run by every slot booking and move.
_IN_THE_WAY: Any = union_all(
    select(literal_column("0").label("closed"), Booking.status, Booking.expires_at)
    .join(ResourceAllocation, ResourceAllocation.booking_id == Booking.id)
    .where(
        ResourceAllocation.resource_id == bindparam("resource_id"),
        ResourceAllocation.active.is_(True),
        ResourceAllocation.starts_at < bindparam("high"),
        ResourceAllocation.starts_at > bindparam("earliest"),
        ResourceAllocation.ends_at > bindparam("low"),
        Booking.id != bindparam("id"),
    ),
    select(literal_column("1"), null(), null()).where(
        ResourceException.resource_id == bindparam("resource_id"),
        ResourceException.kind == ExceptionKind.closed.value,
        ResourceException.starts_at < bindparam("end"),
        ResourceException.ends_at > bindparam("start"),
    ),
)


async def _clear_the_way(session: AsyncSession, b: Booking, resource: Resource, *, reclaim: bool) -> None:
    """Under the resource's lock (no other writer of its allocations until commit): 409 when the time
    ``b`` needs was closed meanwhile, or a live booking holds part of it, buffers included, before
    anything is written; lapsed holds in the way expire first (invariant 3). One statement when nothing
    has lapsed; the exclusion constraint stays the backstop."""
    start, end = _span(b)
    low, high = allocations.held_range(resource, start, end)
    params = {
        "resource_id": resource.id,
        "start": start,
        "end": end,
        "low": low,
        "high": high,
        "earliest": low - MAX_ALLOCATION,
        "id": b.id,
    }
    rows = (await session.execute(_IN_THE_WAY, params)).all()
    if any(closed for closed, _, _ in rows):
        raise SlotUnavailable(f"{resource.name} was closed at this time meanwhile")
    now = utcnow()
    lapsed = [
        status in HOLD_VALUES and expires_at is not None and expires_at <= now
        for _, status, expires_at in rows
    ]
    if not all(lapsed) or (rows and not reclaim):
        raise SlotUnavailable(f"{resource.name} is already booked at this time (buffers included)")
    if rows:
        await _expire_lapsed(session, await lapsed_in_the_way(session, resource, low, high, exclude=b))


@events.on(ResourceTimeClosing)
async def expire_holds_in_closed_time(session: AsyncSession, event: ResourceTimeClosing) -> None:
    """A closure is not refused by a hold nobody paid for in time: such holds expire first."""
    await _expire_lapsed(session, await lapsed_in_the_way(session, event.resource, event.start, event.end))


class HourlyAllocation:
    """:class:`~innkeeper.bookings.allocation.Allocation` for slots: ``[start_at, end_at)`` of
    ``resource_id``, widened by the resource's buffers."""

    kind = "slot"

    def footprint(self, b: Booking) -> Any:
        return (b.resource_id, b.start_at, b.end_at)

    async def hold(self, session: AsyncSession, b: Booking, *, seen: Any = None) -> None:
        """``seen``: the resource the quote read. A 409 here ends the request (the late-payment path
        wraps :meth:`retake` in its own SAVEPOINT), so the write needs none."""
        resource = await _resource(session, b, seen)
        await allocations.lock_resource(session, resource.id)
        await _clear_the_way(session, b, resource, reclaim=True)
        start, end = _span(b)
        await allocations.take(session, resource, b.id, start, end, locked=True, recoverable=False)

    async def confirm(self, session: AsyncSession, b: Booking) -> None:
        """Held and sold occupy the same row: nothing moves."""

    async def release(self, session: AsyncSession, bookings: Iterable[Booking]) -> None:
        for b in sorted(bookings, key=lambda x: x.id):
            await allocations.release(session, b.id)

    async def move(self, session: AsyncSession, b: Booking, before: Any, *, reclaim: bool = True) -> None:
        if before == self.footprint(b):
            return  # the time did not change (a no-show, say): nothing to give back or take
        resource = await _resource(session, b)
        await allocations.lock_resource(session, resource.id)
        await _clear_the_way(session, b, resource, reclaim=reclaim)
        start, end = _span(b)
        await allocations.move(session, resource, b.id, start, end, locked=True, recoverable=False)

    async def retake(self, session: AsyncSession, b: Booking) -> None:
        """Hold an expired booking's time again (its payment arrived late) if it is still open (a
        closure added since the hold lapsed wins, as a closed night does for a stay) and still free.
        Refused with 409 ``slot.unavailable`` (an :class:`~innkeeper.inventory.errors.Unavailable`, which
        the late-payment path catches before it gives the money back)."""
        resource = await _resource(session, b)
        prop = await session.get(Property, b.property_id)
        assert prop is not None, b.property_id
        start, end = _span(b)
        tz = ZoneInfo(prop.timezone)
        if not covers((await load_plan(session, resource, start.astimezone(tz).date(), tz)).open, start, end):
            raise SlotUnavailable(f"{resource.name} is no longer open at this time")
        await self.hold(session, b)
