"""What an hourly booking holds: one ``resource_allocations`` row per booking, with the buffered range
``[start - buffer_before, end + buffer_after)``.

The database refuses two active rows of a resource that overlap (PostgreSQL's exclusion constraint,
SQLite's triggers: migration 0010), whatever the number of processes; nothing here reads first and
writes later. Each write runs in a SAVEPOINT (``session.begin_nested()``), so a refused one becomes
409 ``slot.unavailable`` and the caller's transaction goes on as if it had not been tried.

Expired holds standing in the way are the booking engine's business (``bookings``): it releases them
and tries again; :func:`in_the_way` tells it which allocations overlap.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Resource
from innkeeper.inventory.errors import SlotUnavailable
from innkeeper.inventory.hourly import held_between
from innkeeper.inventory.hourly_models import OVERLAP_CONSTRAINT, OVERLAP_MESSAGE, ResourceAllocation


def held_range(resource: Resource, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The range a booking of ``[start, end)`` holds: its buffers included."""
    return (
        start - timedelta(minutes=resource.buffer_before_minutes),
        end + timedelta(minutes=resource.buffer_after_minutes),
    )


def is_overlap(exc: IntegrityError) -> bool:
    """Whether the database refused the row for overlapping another active allocation."""
    text = str(exc.orig)
    return OVERLAP_MESSAGE in text or OVERLAP_CONSTRAINT in text


async def allocation_of(session: AsyncSession, booking_id: uuid.UUID) -> ResourceAllocation | None:
    return await session.scalar(select(ResourceAllocation).where(ResourceAllocation.booking_id == booking_id))


async def lock_resource(session: AsyncSession, resource_id: uuid.UUID) -> None:
    """Take the resource's row lock (``FOR NO KEY UPDATE``: bookings referencing it may still be
    inserted) before touching its allocations. Two transactions inserting overlapping ranges would
    otherwise each wait on the other's uncommitted row in the exclusion check: PostgreSQL then
    aborts one as a deadlock. Serialised per resource, the second sees the first's committed row
    and gets its 409; the constraint stays the backstop. (SQLite: writers are serialised already.)"""
    await session.execute(
        select(Resource.id).where(Resource.id == resource_id).with_for_update(key_share=True)
    )


async def _hold(
    session: AsyncSession, resource: Resource, booking_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    low, high = held_range(resource, start, end)
    await lock_resource(session, resource.id)
    try:
        async with session.begin_nested():
            row = await allocation_of(session, booking_id)
            if row is None:
                session.add(
                    ResourceAllocation(
                        resource_id=resource.id,
                        booking_id=booking_id,
                        starts_at=low,
                        ends_at=high,
                        active=True,
                    )
                )
            else:
                row.resource_id, row.starts_at, row.ends_at, row.active = resource.id, low, high, True
            await session.flush()
    except IntegrityError as exc:
        if not is_overlap(exc):
            raise
        raise SlotUnavailable(f"{resource.name} is already booked at this time (buffers included)") from exc


async def take(
    session: AsyncSession, resource: Resource, booking_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    """Hold ``[start, end)`` of ``resource`` (buffers added) for the booking; 409 ``slot.unavailable``
    when it overlaps another active allocation. A booking holds one range: taking again (a lapsed
    booking paid late) makes its row active again with the new range."""
    await _hold(session, resource, booking_id, start, end)


async def move(
    session: AsyncSession, resource: Resource, booking_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    """Move the booking's range (to another time or resource): all-or-nothing, 409 ``slot.unavailable``
    leaves the old range held. The booking's own old range never blocks the new one."""
    await _hold(session, resource, booking_id, start, end)


async def release(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """Give the booking's range back (cancelled, expired, no-show): the row stays, inactive."""
    await session.execute(
        update(ResourceAllocation)
        .where(ResourceAllocation.booking_id == booking_id, ResourceAllocation.active)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )


async def in_the_way(
    session: AsyncSession,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    exclude_booking: uuid.UUID | None = None,
) -> list[ResourceAllocation]:
    """The active allocations a booking of ``[start, end)`` would overlap (buffers included)."""
    low, high = held_range(resource, start, end)
    rows = await held_between(session, resource.id, low, high)
    return [a for a in rows if a.booking_id != exclude_booking]
