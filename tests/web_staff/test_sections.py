"""The console's other sections over ASGI: reports drawn as SVG with CSV downloads, members and
invitations, reviews moderation and the ticket inbox; each refused to a role that may not (403)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.context import AppContext
from innkeeper.engagement.models import Review
from tests.catalog_support import d, freeze
from tests.helpers import API, bearer, signup
from tests.web_staff.support import browser_for, get, post, staffed_hotel, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def test_reports_members_and_refusals(client: httpx.AsyncClient, app: Any) -> None:
    h = await staffed_hotel(client, ("front_desk", "housekeeping"))
    base = f"/staff/p/{h['pid']}"
    owner = await browser_for(app, h["emails"]["owner"], "198.51.100.20")
    report = await get(owner, f"{base}/reports", start=d(0), end=d(7), group_by="day")
    assert report.status_code == 200 and report.text.count("<svg") >= 2 and 'role="img"' in report.text
    assert "occupancy.csv?start=" in report.text
    csv = await owner.get(f"{base}/reports/occupancy.csv", params={"start": d(0), "end": d(7)})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("period,") and len(csv.text.splitlines()) == 8
    bad = await get(owner, f"{base}/reports", start=d(7), end=d(0))
    assert bad.status_code == 422 and 'role="alert"' in bad.text

    members = await get(owner, f"{base}/members")
    assert members.status_code == 200 and h["emails"]["front_desk"] in members.text
    token = token_of(members.text)
    r = await post(owner, f"{base}/members", token, email="new.hand@example.com", role="moderator")
    assert r.status_code == 303
    page = await get(owner, f"{base}/members")
    assert "new.hand@example.com" in page.text and "invited" in page.text
    refused = await post(owner, f"{base}/members", token, email="not-an-email", role="moderator")
    assert refused.status_code == 422

    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.21")
    assert (await get(desk, f"{base}/reports")).status_code == 200  # reports are read-only for the desk
    for url in ("/members",):
        assert (await get(desk, base + url)).status_code == 403
    r = await post(
        desk,
        f"{base}/members",
        token_of((await get(desk, f"{base}/desk")).text),
        email="x@example.com",
        role="manager",
    )
    assert r.status_code == 403
    maid = await browser_for(app, h["emails"]["housekeeping"], "198.51.100.22")
    assert (await get(maid, f"{base}/reports")).status_code == 403
    assert (await maid.get(f"{base}/reports/revenue.csv")).status_code == 403


async def test_reviews_moderation_and_ticket_inbox(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("moderator", "front_desk"))
    base = f"/staff/p/{h['pid']}"
    guest = await signup(client)
    booked = await client.post(
        f"{API}/bookings",
        json={"room_type_id": h["rt"]["id"], "checkin": d(3), "checkout": d(4)},
        headers={**bearer(guest), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert booked.status_code == 201, booked.text
    async with ctx.db.unit_of_work() as session:
        session.add(
            Review(
                booking_id=uuid.UUID(booked.json()["id"]),
                property_id=uuid.UUID(h["pid"]),
                user_id=uuid.UUID(guest["user"]["id"]),
                rating=4,
                title="Lovely",
                body="Quiet room, kind staff.",
                author_name="Test",
            )
        )
    moderator = await browser_for(app, h["emails"]["moderator"], "198.51.100.23")
    home = await get(moderator, base)
    assert home.status_code == 303 and home.headers["location"] == f"{base}/reviews"
    page = await get(moderator, f"{base}/reviews")
    assert "Quiet room" in page.text
    token = token_of(page.text)
    review_id = str(await _one(ctx, select(Review.id).where(Review.property_id == uuid.UUID(h["pid"]))))
    refused = await post(
        moderator, f"{base}/reviews/{review_id}/moderate", token, decision="reject", status="pending"
    )
    assert refused.status_code == 422  # a rejection needs a reason
    r = await post(
        moderator, f"{base}/reviews/{review_id}/moderate", token, decision="publish", status="pending"
    )
    assert r.status_code == 303
    r = await post(
        moderator, f"{base}/reviews/{review_id}/reply", token, body="Thank you!", status="published"
    )
    assert r.status_code == 303
    public = await client.get(f"{API}/properties/{h['pid']}/reviews")
    published = await get(moderator, f"{base}/reviews", status="published")
    assert "Thank you!" in published.text, public.text
    assert (await get(moderator, f"{base}/tickets")).status_code == 403

    ticket = await client.post(
        f"{API}/support/tickets",
        json={"subject": "Parking?", "body": "Is there parking?", "booking_id": booked.json()["id"]},
        headers=bearer(guest),
    )
    assert ticket.status_code == 201, ticket.text
    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.24")
    inbox = await get(desk, f"{base}/tickets")
    assert "Parking?" in inbox.text
    url = f"{base}/tickets/{ticket.json()['id']}"
    r = await post(desk, url, token_of(inbox.text), body="Yes, in the garage.", status="pending")
    assert r.status_code == 303
    thread = await get(desk, url)
    assert "Yes, in the garage." in thread.text and "(desk)" in thread.text
    mine = await client.get(f"{API}/support/tickets/{ticket.json()['id']}", headers=bearer(guest))
    assert mine.json()["status"] == "pending"
    assert (await get(desk, f"{base}/reviews")).status_code == 403


async def _one(ctx: AppContext, stmt: Any) -> Any:
    async with ctx.db.unit_of_work() as session:
        return await session.scalar(stmt)
