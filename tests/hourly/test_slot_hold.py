"""What a slot's hold reads under the resource's lock, in one statement (``bookings.hourly``): a closure
of the slot's own time committed after the request checked availability refuses it (409
``slot.unavailable``, "closed meanwhile"), a closure of its buffers only does not; a live booking in
its buffered range refuses it too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from innkeeper.bookings.hourly import HourlyAllocation
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.inventory.errors import SlotUnavailable
from innkeeper.inventory.hourly_models import ResourceAllocation, ResourceException
from tests.catalog_support import freeze
from tests.hourly.support import add_resource, booking_ids, venue

T0 = datetime(2030, 3, 11, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


async def _setup(client: httpx.AsyncClient, ctx: AppContext) -> tuple[uuid.UUID, list[uuid.UUID]]:
    freeze()
    owner, prop = await venue(client)
    resource = await add_resource(client, owner, prop["id"], buffer_after_minutes=30)
    return uuid.UUID(resource["id"]), await booking_ids(ctx, prop["id"], 2)


async def _hold(ctx: AppContext, rid: uuid.UUID, bid: uuid.UUID, start: datetime, end: datetime) -> None:
    """Hold ``[start, end)`` of the resource for booking ``bid`` (what a new slot booking does after its
    availability check), committing it."""
    async with ctx.db.unit_of_work() as session:
        b = await session.get(Booking, bid)
        assert b is not None
        b.kind, b.resource_id, b.start_at, b.end_at = "slot", rid, start, end
        await HourlyAllocation().hold(session, b)


async def _close(ctx: AppContext, rid: uuid.UUID, start: datetime, end: datetime) -> None:
    async with ctx.db.unit_of_work() as session:
        session.add(ResourceException(resource_id=rid, starts_at=start, ends_at=end, kind="closed"))


async def _held(ctx: AppContext, bid: uuid.UUID) -> bool:
    """Whether booking ``bid`` holds time (an active allocation)."""
    async with ctx.db.unit_of_work(write=False) as session:
        active = select(ResourceAllocation.active).where(ResourceAllocation.booking_id == bid)
        return bool(await session.scalar(active))


async def test_a_closure_committed_meanwhile_refuses_the_hold(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, _b2) = await _setup(client, ctx)
    await _close(ctx, rid, at(1), at(2))
    with pytest.raises(SlotUnavailable, match="closed at this time meanwhile"):
        await _hold(ctx, rid, b1, at(1.5), at(2.5))
    assert not await _held(ctx, b1)


async def test_a_closure_of_the_buffers_only_does_not(client: httpx.AsyncClient, ctx: AppContext) -> None:
    rid, (b1, _b2) = await _setup(client, ctx)
    await _close(ctx, rid, at(2), at(3))  # inside the 30-minute buffer after 1:00-2:00, not the slot
    await _hold(ctx, rid, b1, at(1), at(2))
    assert await _held(ctx, b1)


async def test_a_live_booking_in_the_buffered_range_refuses_it(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, b2) = await _setup(client, ctx)
    await _hold(ctx, rid, b1, at(0), at(1))  # held until 1:30 with its buffer
    with pytest.raises(SlotUnavailable, match="already booked"):
        await _hold(ctx, rid, b2, at(1.25), at(2))
    assert not await _held(ctx, b2)
    await _hold(ctx, rid, b2, at(1.5), at(2))  # after the buffer: free
    assert await _held(ctx, b2)
