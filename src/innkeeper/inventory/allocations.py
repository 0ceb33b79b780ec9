"""What an hourly booking holds: one ``resource_allocations`` row per booking, with the buffered range
``[start - buffer_before, end + buffer_after)``.

The database refuses two active rows of a resource that overlap (PostgreSQL's exclusion constraint,
SQLite's triggers: migration 0010), whatever the number of processes. A write is one upsert; a refused
one becomes 409 ``slot.unavailable``, inside a SAVEPOINT when the caller goes on after it
(``recoverable``).

Expired holds standing in the way are the booking engine's business (``bookings``): it releases them
and tries again; :func:`in_the_way` tells it which allocations overlap.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Resource
from innkeeper.inventory.errors import SlotUnavailable
from innkeeper.inventory.hourly import held_between
from innkeeper.inventory.hourly_models import OVERLAP_CONSTRAINT, OVERLAP_MESSAGE, ResourceAllocation
from innkeeper.kit.db import dialect_insert, dialect_name
from innkeeper.kit.ids import new_id


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


_LOCK_RESOURCE = (
    select(Resource.id).where(Resource.id == bindparam("resource_id")).with_for_update(key_share=True)
)


async def lock_resource(session: AsyncSession, resource_id: uuid.UUID) -> None:
    """Take the resource's row lock (``FOR NO KEY UPDATE``: bookings referencing it may still be
    inserted) before touching its allocations. Two transactions inserting overlapping ranges would
    otherwise each wait on the other's uncommitted row in the exclusion check: PostgreSQL then
    aborts one as a deadlock. Serialised per resource, the second sees the first's committed row
    and gets its 409; the constraint stays the backstop. (SQLite: writers are serialised already.)"""
    await session.execute(_LOCK_RESOURCE, {"resource_id": resource_id})


@lru_cache(maxsize=1)
def _pg_upsert() -> Any:
    """INSERT the booking's range, or move its row there (one row per booking): one statement."""
    insert = dialect_insert("postgresql")(ResourceAllocation)
    return insert.on_conflict_do_update(
        index_elements=["booking_id"],
        set_={name: insert.excluded[name] for name in ("resource_id", "starts_at", "ends_at", "active")},
    )


async def _write(session: AsyncSession, values: dict[str, Any]) -> None:
    """The booking's one row, inserted or moved. PostgreSQL: an upsert, checked by the exclusion
    constraint on the row it leaves. SQLite: its overlap trigger fires before an INSERT (an upsert's
    too) and would count the booking's own old row, so the row is updated, or inserted when absent."""
    if dialect_name(session) == "postgresql":
        await session.execute(_pg_upsert().values(id=new_id(), **values))
        return
    moved = await session.execute(
        update(ResourceAllocation)
        .where(ResourceAllocation.booking_id == values["booking_id"])
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        await session.execute(insert(ResourceAllocation).values(id=new_id(), **values))


async def _hold(
    session: AsyncSession,
    resource: Resource,
    booking_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    locked: bool,
    recoverable: bool,
) -> None:
    low, high = held_range(resource, start, end)
    if not locked:
        await lock_resource(session, resource.id)
    values = {"resource_id": resource.id, "booking_id": booking_id, "starts_at": low, "ends_at": high}
    values["active"] = True
    try:
        if recoverable:
            async with session.begin_nested():
                await _write(session, values)
        else:
            await _write(session, values)
    except IntegrityError as exc:
        if not is_overlap(exc):
            raise
        raise SlotUnavailable(f"{resource.name} is already booked at this time (buffers included)") from exc


async def take(
    session: AsyncSession,
    resource: Resource,
    booking_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    locked: bool = False,
    recoverable: bool = True,
) -> None:
    """Hold ``[start, end)`` of ``resource`` (buffers added) for the booking; 409 ``slot.unavailable``
    when it overlaps another active allocation. A booking holds one range: taking again (a lapsed
    booking paid late) makes its row active again with the new range.

    ``locked``: the caller holds :func:`lock_resource` already. ``recoverable``: the write runs in a
    SAVEPOINT, so after a 409 the caller's transaction goes on (two round trips more); a caller whose
    409 ends the request anyway passes False."""
    await _hold(session, resource, booking_id, start, end, locked=locked, recoverable=recoverable)


async def move(
    session: AsyncSession,
    resource: Resource,
    booking_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    locked: bool = False,
    recoverable: bool = True,
) -> None:
    """Move the booking's range (to another time or resource): all-or-nothing, 409 ``slot.unavailable``
    leaves the old range held. The booking's own old range never blocks the new one."""
    await _hold(session, resource, booking_id, start, end, locked=locked, recoverable=recoverable)


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
