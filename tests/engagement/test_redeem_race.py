"""Redeeming loyalty points under real parallel clients: ``innkeeper serve --workers 2`` on PostgreSQL
(two API processes, one database). The balance never goes below zero, no redemption is paid twice, and
no client sees a 5xx."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.billing.models import WalletAccount
from innkeeper.engagement.models import LoyaltyAccount, LoyaltyEntry
from innkeeper.kit.clock import utcnow
from innkeeper.kit.ids import new_id
from tests.concurrency.server import Server, db_context
from tests.concurrency.support import assert_no_5xx, gather_responses, tally
from tests.conftest import PG_URL, REDIS_URL, truncate_postgres
from tests.helpers import API, bearer, signup

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL part skipped: INNKEEPER_TEST_DATABASE_URL is not set"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    url: str = request.getfixturevalue("postgres_schema")
    asyncio.run(truncate_postgres(url))
    server = Server(url, Path(tmp_path_factory.mktemp("redeem")), workers=2, redis_url=REDIS_URL)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def http(live: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base, timeout=httpx.Timeout(60.0)) as client:
        yield client


async def give_points(db: Any, user_id: uuid.UUID, points: int) -> None:
    """Points as if earned (an account and its ledger row; the earning itself is tested elsewhere)."""
    async with db.unit_of_work() as session:
        session.add(LoyaltyAccount(user_id=user_id, points=points, updated_at=utcnow()))
        session.add(
            LoyaltyEntry(id=new_id(), user_id=user_id, kind="earn", points=points, created_at=utcnow())
        )


async def state(db: Any, user_id: uuid.UUID) -> tuple[int, int, int]:
    """(balance, sum of the ledger, wallet balance in minor units)."""
    async with db.unit_of_work(write=False) as session:
        balance = await session.scalar(select(LoyaltyAccount.points).where(LoyaltyAccount.user_id == user_id))
        ledger = await session.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(LoyaltyEntry.user_id == user_id)
        )
        wallet = await session.scalar(
            select(func.coalesce(func.sum(WalletAccount.balance_minor), 0)).where(
                WalletAccount.user_id == user_id
            )
        )
    return int(balance or 0), int(ledger or 0), int(wallet or 0)


async def test_parallel_redemptions_never_overdraw_nor_repeat(live: Server, http: httpx.AsyncClient) -> None:
    ctx = db_context(live.database_url)
    try:
        tokens = await signup(http)
        user_id = uuid.UUID(tokens["user"]["id"])
        headers = bearer(tokens)
        await give_points(ctx.db, user_id, 100)
        redeem = f"{API}/users/me/loyalty/redeem"
        # 12 clients, each with its own key, want 30 of the 100 points: exactly three get them
        responses = await gather_responses(
            http.post(redeem, json={"points": 30}, headers={**headers, "Idempotency-Key": f"race-{i}"})
            for i in range(12)
        )
        assert_no_5xx(responses, live.log_tail())
        assert tally(responses) == {(201, ""): 3, (409, "loyalty.insufficient_points"): 9}
        assert await state(ctx.db, user_id) == (10, 10, 90)
        # 8 clients retry one request with one key: it is redeemed once
        same = {**headers, "Idempotency-Key": "one-request"}
        responses = await gather_responses(
            http.post(redeem, json={"points": 10}, headers=same) for _ in range(8)
        )
        assert_no_5xx(responses, live.log_tail())
        codes = tally(responses)
        assert set(codes) <= {(201, ""), (409, "idempotency.in_flight")} and codes[(201, "")] >= 1, codes
        assert await state(ctx.db, user_id) == (0, 0, 100)
    finally:
        await ctx.db.dispose()
