"""The database itself refuses two active allocations of one resource that overlap (buffers are part of
the stored range), on SQLite (triggers) and PostgreSQL (exclusion constraint); ``inventory.allocations``
turns that refusal into 409 ``slot.unavailable`` without spoiling the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from innkeeper.catalog.models import Resource
from innkeeper.context import AppContext
from innkeeper.inventory import allocations
from innkeeper.inventory.errors import SlotUnavailable
from innkeeper.inventory.hourly_models import ResourceAllocation, ResourceException
from tests.catalog_support import freeze
from tests.hourly.support import add_resource, booking_ids, venue

T0 = datetime(2030, 3, 11, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


async def _setup(
    client: httpx.AsyncClient, ctx: AppContext, n: int = 3, **fields: object
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    freeze()
    owner, prop = await venue(client)
    resource = await add_resource(client, owner, prop["id"], **fields)
    return uuid.UUID(resource["id"]), await booking_ids(ctx, prop["id"], n)


async def _insert(
    ctx: AppContext, rid: uuid.UUID, bid: uuid.UUID, start: datetime, end: datetime, active: bool = True
) -> None:
    async with ctx.db.unit_of_work() as session:
        session.add(
            ResourceAllocation(resource_id=rid, booking_id=bid, starts_at=start, ends_at=end, active=active)
        )


async def test_the_database_refuses_overlapping_active_rows(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, b2, b3) = await _setup(client, ctx)
    await _insert(ctx, rid, b1, at(0), at(2))
    for start, end in ((at(1), at(3)), (at(-1), at(0.5)), (at(0.5), at(1)), (at(-1), at(3))):
        with pytest.raises(IntegrityError):
            await _insert(ctx, rid, b2, start, end)
    # touching ranges do not overlap ([start, end)), on either side
    await _insert(ctx, rid, b2, at(2), at(3))
    await _insert(ctx, rid, b3, at(-1), at(0))
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (
            await session.scalars(select(ResourceAllocation).order_by(ResourceAllocation.starts_at))
        ).all()
    assert [(r.starts_at, r.ends_at) for r in rows] == [(at(-1), at(0)), (at(0), at(2)), (at(2), at(3))]


async def test_an_inactive_row_blocks_nothing_and_cannot_come_back_over_another(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, b2, b3) = await _setup(client, ctx)
    await _insert(ctx, rid, b1, at(0), at(2), active=False)
    await _insert(ctx, rid, b2, at(1), at(3))  # over the inactive one: accepted
    await _insert(ctx, rid, b3, at(0), at(1), active=False)
    # making an inactive row active again over an active row is refused, and so is moving one onto it
    with pytest.raises(IntegrityError):
        async with ctx.db.unit_of_work() as session:
            await session.execute(
                update(ResourceAllocation).where(ResourceAllocation.booking_id == b1).values(active=True)
            )
    with pytest.raises(IntegrityError):
        async with ctx.db.unit_of_work() as session:
            await session.execute(
                update(ResourceAllocation)
                .where(ResourceAllocation.booking_id == b3)
                .values(starts_at=at(2.5), ends_at=at(4), active=True)
            )
    # moving a row within its own range is fine (it never collides with itself), and away from the
    # other one too
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(ResourceAllocation)
            .where(ResourceAllocation.booking_id == b2)
            .values(starts_at=at(1.5), ends_at=at(3))
        )
        await session.execute(
            update(ResourceAllocation)
            .where(ResourceAllocation.booking_id == b1)
            .values(starts_at=at(5), ends_at=at(6), active=True)
        )


async def test_other_resources_do_not_collide(client: httpx.AsyncClient, ctx: AppContext) -> None:
    freeze()
    owner, prop = await venue(client)
    r1 = uuid.UUID((await add_resource(client, owner, prop["id"]))["id"])
    r2 = uuid.UUID((await add_resource(client, owner, prop["id"], name="Hall B"))["id"])
    b1, b2 = await booking_ids(ctx, prop["id"], 2)
    await _insert(ctx, r1, b1, at(0), at(2))
    await _insert(ctx, r2, b2, at(0), at(2))


async def test_take_adds_buffers_and_a_refusal_keeps_the_transaction(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, b2, b3) = await _setup(client, ctx, buffer_before_minutes=15, buffer_after_minutes=30)
    async with ctx.db.unit_of_work() as session:
        resource = await session.get(Resource, rid)
        assert resource is not None
        await allocations.take(session, resource, b1, at(0), at(1))
        # starts 30 minutes after b1 ends: b1's buffer after and its own buffer before overlap
        with pytest.raises(SlotUnavailable) as refused:
            await allocations.take(session, resource, b2, at(1.5), at(2.5))
        assert refused.value.status == 409 and refused.value.code == "slot.unavailable"
        # the caller's transaction goes on: this write and the next take commit
        session.add(ResourceException(resource_id=rid, starts_at=at(10), ends_at=at(11), kind="closed"))
        await allocations.take(session, resource, b3, at(1.75), at(2.75))
    async with ctx.db.unit_of_work(write=False) as session:
        rows = {r.booking_id: r for r in await session.scalars(select(ResourceAllocation))}
        assert await session.scalar(select(ResourceException.id)) is not None
    assert set(rows) == {b1, b3}
    assert (rows[b1].starts_at, rows[b1].ends_at) == (at(-0.25), at(1.5))
    assert (rows[b3].starts_at, rows[b3].ends_at) == (at(1.5), at(3.25))


async def test_move_is_all_or_nothing_and_release_frees_the_time(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    rid, (b1, b2, b3) = await _setup(client, ctx)
    async with ctx.db.unit_of_work() as session:
        resource = await session.get(Resource, rid)
        assert resource is not None
        await allocations.take(session, resource, b1, at(0), at(2))
        await allocations.take(session, resource, b2, at(3), at(4))
        with pytest.raises(SlotUnavailable):
            await allocations.move(session, resource, b2, at(1), at(2))
        row = await allocations.allocation_of(session, b2)
        assert row is not None and (row.starts_at, row.ends_at, row.active) == (at(3), at(4), True)
        await allocations.move(session, resource, b2, at(3.5), at(5))  # overlaps only its own old range
        assert [a.booking_id for a in await allocations.in_the_way(session, resource, at(1), at(4))] == [
            b1,
            b2,
        ]
        await allocations.release(session, b1)
        assert await allocations.in_the_way(session, resource, at(0), at(2)) == []
        await allocations.take(session, resource, b3, at(0), at(2))
        # a released booking taken again (paid late) is refused while its time is someone else's
        with pytest.raises(SlotUnavailable):
            await allocations.take(session, resource, b1, at(1), at(2))
        await allocations.take(session, resource, b1, at(6), at(7))
    async with ctx.db.unit_of_work(write=False) as session:
        rows = {
            r.booking_id: (r.starts_at, r.ends_at, r.active)
            for r in await session.scalars(select(ResourceAllocation))
        }
    assert rows == {b1: (at(6), at(7), True), b2: (at(3.5), at(5), True), b3: (at(0), at(2), True)}
