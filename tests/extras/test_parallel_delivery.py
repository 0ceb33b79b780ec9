"""Two desks (two API processes) pressing "deliver" on one order at once: the charge lands on the folio
exactly once, every press is answered with the delivered order, none with a 5xx. PostgreSQL only (the
row lock under real parallel transactions is the claim; SQLite serialises writers anyway)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.billing.models import FolioEntry
from innkeeper.extras.models import ServiceOrderEvent
from tests.catalog_support import add_member
from tests.concurrency.server import Server, db_context
from tests.concurrency.support import assert_no_5xx, body, live_hotel, tally
from tests.conftest import PG_URL, truncate_postgres
from tests.helpers import API, bearer, signup

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL part skipped: INNKEEPER_TEST_DATABASE_URL is not set"),
]


@pytest.fixture(scope="module")
def live_pg(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = request.getfixturevalue("postgres_schema")
    asyncio.run(truncate_postgres(url))
    server = Server(url, tmp_path_factory.mktemp("live-extras"), workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def http(live_pg: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_pg.base, timeout=httpx.Timeout(60.0)) as client:
        yield client


async def test_parallel_delivers_post_the_charge_once(live_pg: Server, http: httpx.AsyncClient) -> None:
    h = await live_hotel(http, rooms=1, at_property=True)
    owner = h["owner"]
    desk_tokens = await signup(http)
    await add_member(http, owner, h["pid"], desk_tokens, "front_desk")
    desk = bearer(desk_tokens)
    r = await http.post(
        f"{API}/properties/{h['pid']}/services",
        headers=owner,
        json={"code": "SPA", "name": "Massage", "category": "spa", "price": "80.00"},
    )
    assert r.status_code == 201, r.text
    r = await http.post(
        f"{API}/properties/{h['pid']}/bookings",
        headers=owner,
        json={**body(h["rt"][0], 0, 2, 1), "confirm": True},
    )
    assert r.status_code == 201 and r.json()["status"] == "confirmed", r.text
    booking_id = r.json()["id"]
    orders = []
    for _ in range(3):
        r = await http.post(
            f"{API}/bookings/{booking_id}/service-orders",
            headers={**desk, "Idempotency-Key": uuid.uuid4().hex},
            json={"service_code": "SPA"},
        )
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]
        for verb in ("accept", "start"):
            assert (
                await http.post(f"{API}/service-orders/{order_id}/{verb}", headers=desk)
            ).status_code == 200
        orders.append(order_id)
    presses = [
        http.post(f"{API}/service-orders/{order_id}/deliver", headers=who)
        for order_id in orders
        for who in (owner, desk) * 4
    ]
    responses = list(await asyncio.gather(*presses))
    assert_no_5xx(responses, live_pg.log_tail())
    assert [r.status_code for r in responses] == [200] * len(responses), tally(responses)
    assert all(r.json()["status"] == "delivered" for r in responses)
    ctx: Any = db_context(live_pg.database_url)
    try:
        async with ctx.db.unit_of_work(write=False) as session:
            ids = [uuid.UUID(o) for o in orders]
            rows = (
                await session.execute(
                    select(FolioEntry.service_order_id, FolioEntry.category).where(
                        FolioEntry.service_order_id.in_(ids)
                    )
                )
            ).all()
            delivered = (
                await session.scalars(
                    select(ServiceOrderEvent.order_id).where(
                        ServiceOrderEvent.order_id.in_(ids), ServiceOrderEvent.action == "delivered"
                    )
                )
            ).all()
    finally:
        await ctx.db.dispose()
    assert sorted((str(o), c) for o, c in rows) == sorted((o, "spa") for o in orders)  # no VAT set
    assert sorted(map(str, delivered)) == sorted(orders)  # one "delivered" in each history
