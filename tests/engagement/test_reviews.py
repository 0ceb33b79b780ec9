"""Reviews: who may write one and when, bad input, moderation permissions, the owner's one reply, and
the property's rating and review count following the published reviews (public view, list, search)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.context import AppContext
from innkeeper.engagement import reviews
from innkeeper.engagement.events import ReviewPublished
from innkeeper.engagement.models import Review
from innkeeper.kit import events
from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book, hotel
from tests.catalog_support import add_member, d, freeze, user
from tests.engagement.support import finished_guests, paid_today, stay_and_leave
from tests.helpers import API, assert_problem, signup


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def published() -> Any:
    seen: list[ReviewPublished] = []

    async def listen(session: Any, event: ReviewPublished) -> None:
        seen.append(event)

    events.on(ReviewPublished)(listen)
    yield seen
    events.remove(ReviewPublished, listen)


async def review_count(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Review)) or 0)


async def search_item(client: httpx.AsyncClient, pid: str, **params: Any) -> dict[str, Any]:
    r = await client.get(
        f"{API}/search", params={"city": "Lisbon", "checkin": d(30), "checkout": d(31), **params}
    )
    assert r.status_code == 200, r.text
    return next(i for i in r.json()["items"] if i["property"]["id"] == pid)


async def test_the_review_gate_and_bad_input(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    guest = await user(client)
    b, _ = await paid_today(client, runner, h, guest)
    path = f"{API}/bookings/{b['id']}/review"
    good = {"rating": 5, "title": "Lovely", "body": "Quiet room, kind staff."}
    # not before check-out
    assert_problem(await client.post(path, json=good, headers=guest), 409, "review.not_allowed")
    await stay_and_leave(client, h, [b])
    # someone else's booking does not exist for a stranger; staff who can see it may not write it
    assert_problem(await client.post(path, json=good, headers=await user(client)), 404, "booking.not_found")
    assert_problem(await client.post(path, json=good), 404, "booking.not_found")
    assert_problem(await client.post(path, json=good, headers=h["owner"]), 409, "review.not_allowed")
    missing = f"{API}/bookings/{uuid.uuid4()}/review"
    assert_problem(await client.post(missing, json=good, headers=guest), 404, "booking.not_found")
    # bad input: 4xx, nothing written
    for bad in (
        {**good, "rating": 0},
        {**good, "rating": 6},
        {**good, "rating": "5"},
        {**good, "body": ""},
        {**good, "body": "   "},
        {**good, "title": "x" * 201},
        {"rating": 4},
        {**good, "body": "x" * 100_000},
    ):
        r = await client.post(path, json=bad, headers=guest)
        assert 400 <= r.status_code < 500, (bad.keys(), r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert await review_count(ctx) == 0
    # the booker, once
    r = await client.post(path, json=good, headers=guest)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["author_name"] == "Test U."
    assert_problem(await client.post(path, json=good, headers=guest), 409, "review.not_allowed")
    mine = (await client.get(f"{API}/users/me/reviews", headers=guest)).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == r.json()["id"]
    assert await review_count(ctx) == 1


async def test_moderation_rating_and_reply(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner, published: list[ReviewPublished]
) -> None:
    h = await hotel(client)
    pid, slug = h["pid"], h["prop"]["slug"]
    moderator, desk = await signup(client), await signup(client)
    await add_member(client, h["owner"], pid, moderator, "moderator")
    await add_member(client, h["owner"], pid, desk, "front_desk")
    mod = {"Authorization": f"Bearer {moderator['access_token']}"}
    (g1, b1, _), (g2, b2, _) = await finished_guests(client, runner, h, 2)
    r1 = (
        await client.post(
            f"{API}/bookings/{b1['id']}/review", json={"rating": 5, "body": "Great"}, headers=g1
        )
    ).json()
    r2 = (
        await client.post(f"{API}/bookings/{b2['id']}/review", json={"rating": 4, "body": "Good"}, headers=g2)
    ).json()
    # pending reviews count nowhere
    page = (await client.get(f"{API}/properties/{slug}/reviews")).json()
    assert page == {"items": [], "total": 0, "rating": None, "review_count": 0}
    queue = await client.get(
        f"{API}/properties/{pid}/manage/reviews", params={"status": "pending"}, headers=mod
    )
    assert queue.json()["total"] == 2
    # who may moderate: not the author, not a stranger (404), not the front desk (403)
    decide = f"{API}/reviews/{r1['id']}/moderate"
    assert_problem(
        await client.post(decide, json={"decision": "publish"}, headers=g1), 404, "review.not_found"
    )
    desk_h = {"Authorization": f"Bearer {desk['access_token']}"}
    assert_problem(await client.post(decide, json={"decision": "publish"}, headers=desk_h), 403, "auth.role")
    assert_problem(await client.post(decide, json={"decision": "reject"}, headers=mod), 422)
    assert_problem(await client.post(decide, json={"decision": "maybe"}, headers=mod), 422)
    assert not published
    # the moderator publishes both: the rating is their average, everywhere
    for review in (r1, r2):
        r = await client.post(
            f"{API}/reviews/{review['id']}/moderate", json={"decision": "publish"}, headers=mod
        )
        assert r.status_code == 200 and r.json()["status"] == "published", r.text
    assert [e.review.id for e in published] == [uuid.UUID(r1["id"]), uuid.UUID(r2["id"])]
    assert_problem(
        await client.post(decide, json={"decision": "publish"}, headers=mod), 409, "review.already_moderated"
    )
    page = (await client.get(f"{API}/properties/{slug}/reviews")).json()
    assert (page["total"], page["rating"], page["review_count"]) == (2, "4.5", 2)
    view = (await client.get(f"{API}/properties/{slug}")).json()
    assert (view["rating"], view["review_count"]) == ("4.5", 2)
    found = await search_item(client, pid)
    assert (found["property"]["rating"], found["property"]["review_count"]) == ("4.5", 2)
    # the property answers once
    reply = f"{API}/reviews/{r1['id']}/reply"
    assert_problem(await client.post(reply, json={"body": "Thanks!"}, headers=desk_h), 403, "auth.role")
    r = await client.post(reply, json={"body": "Thank you!"}, headers=h["owner"])
    assert r.status_code == 200 and r.json()["reply"]["body"] == "Thank you!", r.text
    assert_problem(
        await client.post(reply, json={"body": "Again"}, headers=mod), 409, "review.reply_not_allowed"
    )
    # taking one down (rejected, with a reason) takes it out of the rating
    r = await client.post(decide, json={"decision": "reject", "reason": "Off topic"}, headers=mod)
    assert r.status_code == 200 and r.json()["rejection_reason"] == "Off topic", r.text
    page = (await client.get(f"{API}/properties/{slug}/reviews")).json()
    assert (page["total"], page["rating"], page["review_count"]) == (1, "4.0", 1)
    assert [i["id"] for i in page["items"]] == [r2["id"]]
    # a pending review cannot be answered
    assert_problem(
        await client.post(reply, json={"body": "Hm"}, headers=h["owner"]), 409, "review.reply_not_allowed"
    )


async def test_search_sorts_by_the_published_rating(client: httpx.AsyncClient, runner: JobRunner) -> None:
    better = await hotel(client)
    plain = await hotel(client, price="50.00")
    ((g, b, _),) = await finished_guests(client, runner, better)
    r = await client.post(f"{API}/bookings/{b['id']}/review", json={"rating": 5, "body": "Top"}, headers=g)
    await client.post(
        f"{API}/reviews/{r.json()['id']}/moderate", json={"decision": "publish"}, headers=better["owner"]
    )
    by_price = await client.get(
        f"{API}/search", params={"city": "Lisbon", "checkin": d(30), "checkout": d(31)}
    )
    by_rating = await client.get(
        f"{API}/search", params={"city": "Lisbon", "checkin": d(30), "checkout": d(31), "sort": "rating"}
    )
    assert [i["property"]["id"] for i in by_price.json()["items"]] == [plain["pid"], better["pid"]]
    assert [i["property"]["id"] for i in by_rating.json()["items"]] == [better["pid"], plain["pid"]]


@pytest.mark.parametrize("settings_overrides", [{"reviews_require_moderation": False}])
async def test_without_moderation_a_review_is_published_at_once(
    client: httpx.AsyncClient, runner: JobRunner, published: list[ReviewPublished]
) -> None:
    h = await hotel(client)
    ((g, b, _),) = await finished_guests(client, runner, h)
    r = await client.post(f"{API}/bookings/{b['id']}/review", json={"rating": 3, "body": "Fine"}, headers=g)
    assert r.status_code == 201 and r.json()["status"] == "published", r.text
    assert len(published) == 1
    view = (await client.get(f"{API}/properties/{h['prop']['slug']}")).json()
    assert (view["rating"], view["review_count"]) == ("3.0", 1)


async def test_updating_the_rating_does_not_hold_bookings_back(
    client: httpx.AsyncClient, ctx: AppContext, backend: str
) -> None:
    """A moderation's transaction that has just rewritten the property's rating (row updated, not yet
    committed) does not block a booking of that property."""
    if backend != "postgres":
        pytest.skip("SQLite serialises every writer: row locks are PostgreSQL's")
    h = await hotel(client)
    guest = await user(client)
    async with ctx.db.unit_of_work() as session:
        await reviews.refresh_rating(session, uuid.UUID(h["pid"]))
        created = await asyncio.wait_for(book(client, h, guest, start=5, end=6), timeout=20)
        assert created["status"] in ("reserved", "confirmed")
