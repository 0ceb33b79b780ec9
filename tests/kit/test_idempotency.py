"""Idempotency-Key: replay, 422 on another body, 409 while in flight, retry after failure, scoping."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.errors import Conflict
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from tests.bookings.support import hotel, stay
from tests.catalog_support import freeze
from tests.helpers import API, assert_problem, bearer, client_at, signup

gate: dict[str, asyncio.Event] = {}
#: Set when a waiting request has reached the endpoint (its key is claimed by then).
entered: dict[str, asyncio.Event] = {}


class Thing(BaseModel):
    name: str
    fail: bool = False
    wait: bool = False


router = APIRouter(route_class=UnitOfWorkRoute)


@router.post("/__things", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def create(thing: Thing, session: DbSession) -> dict[str, str]:
    if thing.wait:
        entered[thing.name].set()
        await asyncio.wait_for(gate[thing.name].wait(), timeout=60)
    thing_id = uuid.uuid4()
    record(session, Actor(user_id=None), "thing.created", "thing", thing_id, after={"n": thing.name})
    await session.flush()
    if thing.fail:
        raise Conflict("no capacity", code="thing.unavailable")
    return {"id": str(thing_id), "name": thing.name}


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    """/__things joins the app when it is built (tests/conftest.py reuses it, re-analysing no routes)."""
    return (router,)


@pytest.fixture
def idem_app(app: Any) -> Any:
    return app


async def created(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "thing.created")
            )
            or 0
        )


async def test_same_key_same_body_replays(idem_app: Any, client: httpx.AsyncClient, ctx: AppContext) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post("/__things", json={"name": "a"}, headers=headers)
    assert first.status_code == 201
    again = await client.post(
        "/__things", content=b'{ "name" :  "a" }', headers={**headers, "content-type": "application/json"}
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await created(ctx) == 1


async def test_same_key_other_body_is_422(idem_app: Any, client: httpx.AsyncClient, ctx: AppContext) -> None:
    headers = {"Idempotency-Key": "key-2"}
    assert (await client.post("/__things", json={"name": "a"}, headers=headers)).status_code == 201
    assert_problem(
        await client.post("/__things", json={"name": "b"}, headers=headers), 422, "idempotency.key_reused"
    )
    assert await created(ctx) == 1


async def test_in_flight_duplicate_is_409(idem_app: Any, client: httpx.AsyncClient, ctx: AppContext) -> None:
    gate["slow"], entered["slow"] = asyncio.Event(), asyncio.Event()
    headers = {"Idempotency-Key": "key-3"}
    body = {"name": "slow", "wait": True}
    first = asyncio.create_task(client.post("/__things", json=body, headers=headers))
    # the duplicate goes out once the first is in the endpoint: a fixed sleep was sometimes too short
    # on a busy machine, and then the duplicate took the key and waited at the gate forever
    await asyncio.wait_for(entered["slow"].wait(), timeout=60)
    duplicate = await client.post("/__things", json=body, headers=headers)
    assert_problem(duplicate, 409, "idempotency.in_flight")
    assert duplicate.headers["Retry-After"] == "1"
    gate["slow"].set()
    assert (await first).status_code == 201
    replay = await client.post("/__things", json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert await created(ctx) == 1


async def test_failed_request_releases_the_key(
    idem_app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    headers = {"Idempotency-Key": "key-4"}
    assert_problem(await client.post("/__things", json={"name": "x", "fail": True}, headers=headers), 409)
    assert await created(ctx) == 0  # rolled back
    # the same key may carry a corrected request
    assert (await client.post("/__things", json={"name": "x"}, headers=headers)).status_code == 201
    assert await created(ctx) == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there", "ünïcode"])
async def test_malformed_keys(idem_app: Any, client: httpx.AsyncClient, ctx: AppContext, key: str) -> None:
    r = await client.post("/__things", json={"name": "a"}, headers={"Idempotency-Key": key.encode("utf-8")})
    assert_problem(r, 422, "idempotency.key_invalid")
    assert await created(ctx) == 0


async def test_keys_are_scoped_to_the_caller(
    idem_app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    alice, bob = await signup(client), await signup(client)
    for who in (alice, bob):
        r = await client.post(
            "/__things", json={"name": "same"}, headers={**bearer(who), "Idempotency-Key": "k"}
        )
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert await created(ctx) == 2


async def test_anonymous_callers_at_other_addresses_do_not_share_keys(
    app: Any, client: httpx.AsyncClient
) -> None:
    """The same key and body from two anonymous guests: each gets a booking of their own (once the key
    was shared, the second guest was handed the first one's booking, guest token included)."""
    freeze()  # the stay's dates are relative to the catalog tests' "now"
    h = await hotel(client)
    body = {**stay(h), "contact": {"name": "Gina Guest", "email": "gina@example.com"}}
    headers = {"Idempotency-Key": "checkout-1"}
    mine = await client.post(f"{API}/bookings", json=body, headers=headers)
    async with client_at(app, "198.51.100.20") as neighbour:
        theirs = await neighbour.post(f"{API}/bookings", json=body, headers=headers)
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine.json()["guest_token"] != theirs.json()["guest_token"]
    again = await client.post(f"{API}/bookings", json=body, headers=headers)  # a retry still replays
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == mine.json()["id"]


async def test_a_guest_tokens_keys_are_the_tokens(
    idem_app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Holders of different guest tokens never share a key; one holder's retry replays from anywhere."""
    for token in ("token-one", "token-two"):
        r = await client.post(
            "/__things", json={"name": "t"}, headers={"X-Guest-Token": token, "Idempotency-Key": "k"}
        )
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    async with client_at(idem_app, "198.51.100.21") as elsewhere:
        retry = await elsewhere.post(
            "/__things", json={"name": "t"}, headers={"X-Guest-Token": "token-one", "Idempotency-Key": "k"}
        )
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await created(ctx) == 2


async def test_keys_expire_after_a_day(idem_app: Any, client: httpx.AsyncClient, ctx: AppContext) -> None:
    clock.freeze()
    headers = {"Idempotency-Key": "key-5"}
    assert (await client.post("/__things", json={"name": "a"}, headers=headers)).status_code == 201
    clock.advance(timedelta(hours=23))
    assert (await client.post("/__things", json={"name": "a"}, headers=headers)).headers.get(
        "Idempotent-Replayed"
    )
    clock.advance(timedelta(hours=2))
    r = await client.post("/__things", json={"name": "b"}, headers=headers)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert await created(ctx) == 2


async def test_without_a_key_nothing_is_deduplicated(
    idem_app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    for _ in range(2):
        assert (await client.post("/__things", json={"name": "a"})).status_code == 201
    assert await created(ctx) == 2


async def test_concurrent_duplicates_create_once(
    idem_app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    headers = {"Idempotency-Key": "key-burst"}
    responses = await asyncio.gather(
        *(client.post("/__things", json={"name": "burst"}, headers=headers) for _ in range(12))
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    assert await created(ctx) == 1
    winners = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(winners) == 1  # every 201 is the same booking, first or replayed
