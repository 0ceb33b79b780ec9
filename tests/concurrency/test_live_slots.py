"""Real parallel clients booking one hall against ``innkeeper serve --workers 2`` (invariants 1 and 2 for
slots): the database, not luck, keeps two active bookings of a resource from overlapping, buffers
included. A 5xx reaching a client fails the test."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.inventory.hourly_models import ResourceAllocation
from tests.catalog_support import create_property, user
from tests.concurrency.server import Server, db_context
from tests.concurrency.support import assert_no_5xx, day, gather_responses, tally
from tests.helpers import API

pytestmark = pytest.mark.slow


@pytest.fixture
async def http(live: Server) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=live.base, timeout=httpx.Timeout(60.0), limits=limits) as client:
        yield client


async def live_hall(http: httpx.AsyncClient, *, buffer_after: int = 0) -> str:
    owner = await user(http)
    prop = await create_property(http, owner, name=f"Race Venue {uuid.uuid4().hex[:6]}", kind="venue")
    assert (await http.post(f"{API}/properties/{prop['id']}/activate", headers=owner)).status_code == 200
    r = await http.post(
        f"{API}/properties/{prop['id']}/resources",
        headers=owner,
        json={
            "kind": "hall",
            "name": "Race Hall",
            "capacity": 100,
            "hourly_price": "80.00",
            "buffer_after_minutes": buffer_after,
        },
    )
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    windows = [{"weekday": d, "start": "08:00", "end": "22:00"} for d in range(7)]
    r = await http.put(
        f"{API}/properties/{prop['id']}/resources/{rid}/availability",
        json={"windows": windows},
        headers=owner,
    )
    assert r.status_code == 200, r.text
    return rid


def slot(rid: str, start_minute: int, minutes: int, i: int) -> dict[str, Any]:
    """A slot on the race day, as naive local times (read in the venue's time zone)."""

    def local(minute: int) -> str:
        hours, minutes_ = divmod(minute, 60)
        return f"{day(0).isoformat()}T{hours:02d}:{minutes_:02d}:00"

    return {
        "resource_id": rid,
        "start": local(start_minute),
        "end": local(start_minute + minutes),
        "contact": {"name": f"Racer {i}", "email": f"racer{i}@example.com"},
    }


async def active_ranges(database_url: str, rid: str) -> list[tuple[Any, Any]]:
    ctx = db_context(database_url)
    try:
        async with ctx.db.unit_of_work(write=False) as session:
            rows = await session.execute(
                select(ResourceAllocation.starts_at, ResourceAllocation.ends_at).where(
                    ResourceAllocation.resource_id == uuid.UUID(rid), ResourceAllocation.active.is_(True)
                )
            )
            return [(a, b) for a, b in rows.all()]
    finally:
        await ctx.db.dispose()


async def test_forty_clients_for_the_same_hour_get_exactly_one_booking(
    live: Server, http: httpx.AsyncClient
) -> None:
    rid = await live_hall(http)
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=slot(rid, 10 * 60, 60, i)) for i in range(40)
    )
    assert_no_5xx(responses, live.log_tail())
    assert tally(responses) == {(201, ""): 1, (409, "slot.unavailable"): 39}, tally(responses)
    assert len(await active_ranges(live.database_url, rid)) == 1


async def test_overlapping_ranges_with_buffers_never_both_win(live: Server, http: httpx.AsyncClient) -> None:
    rid = await live_hall(http, buffer_after=30)
    # 40 requests: starts every 30 minutes from 09:00, 60 to 150 minutes long: many overlap
    wanted = [(9 * 60 + 30 * (i % 16), 60 + 30 * (i % 4)) for i in range(40)]
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=slot(rid, start, length, i))
        for i, (start, length) in enumerate(wanted)
    )
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert set(counts) <= {(201, ""), (409, "slot.unavailable")}, counts
    ranges = await active_ranges(live.database_url, rid)
    assert len(ranges) == counts[(201, "")] >= 3, counts
    for (a_start, a_end), (b_start, b_end) in itertools.combinations(ranges, 2):
        assert a_end <= b_start or b_end <= a_start, ((a_start, a_end), (b_start, b_end))
