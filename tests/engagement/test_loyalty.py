"""Loyalty: points at check-out per currency unit paid, the tier from the last 12 months (and pricing's
discount following it), redemption into wallet credit (idempotent, never below zero), and reversal of
the points of a refund."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.bookings.service.expiry import complete_ended
from innkeeper.context import AppContext
from innkeeper.engagement.models import LoyaltyEntry
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.billing.support import pay, simulate
from tests.bookings.support import hotel
from tests.catalog_support import d, day, freeze, make_admin
from tests.engagement.support import finished_guests
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, venue


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def loyalty(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get(f"{API}/users/me/loyalty", headers=headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def wallet_balance(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await client.get(f"{API}/users/me/wallet", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["balance"]["amount"])


async def loyalty_line(client: httpx.AsyncClient, h: dict[str, Any], headers: dict[str, str]) -> str | None:
    """The loyalty discount of a quote for the caller (None without one)."""
    r = await client.get(
        f"{API}/properties/{h['prop']['slug']}/quote",
        params={"room_type_id": h["rt_id"], "checkin": d(20), "checkout": d(21)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    lines = [line for line in r.json()["lines"] if line["kind"] == "loyalty"]
    return lines[0]["amount"]["amount"] if lines else None


async def test_points_tiers_redemption_and_reversal(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, price="1200.00")
    ((guest, booking, payment),) = await finished_guests(client, runner, h)
    # 1,200.00 EUR paid: 1,200 points, silver (and pricing's silver discount, 5 %)
    me = await loyalty(client, guest)
    assert (me["tier"], me["points"], me["points_12_months"]) == ("silver", 1200, 1200)
    assert (me["next_tier"], me["points_to_next_tier"]) == ("gold", 3800)
    assert me["redeem_rate"] == {"points": 1, "value": {"amount": "0.01", "currency": "EUR"}}
    assert [(i["kind"], i["points"], i["booking_id"]) for i in me["items"]] == [("earn", 1200, booking["id"])]
    assert (await client.get(f"{API}/users/me", headers=guest)).json()["loyalty_tier"] == "silver"
    assert await loyalty_line(client, h, guest) == "-60.00"
    # bad redemptions change nothing
    redeem = f"{API}/users/me/loyalty/redeem"
    for bad in ({"points": 0}, {"points": -5}, {"points": "10"}, {"points": 1.5}, {}):
        assert_problem(await client.post(redeem, json=bad, headers=guest), 422)
    assert_problem(
        await client.post(redeem, json={"points": 1201}, headers=guest), 409, "loyalty.insufficient_points"
    )
    assert (await loyalty(client, guest))["points"] == 1200
    assert await wallet_balance(client, guest) == "0.00"
    # 200 points are 2.00 EUR of wallet credit, once per Idempotency-Key
    key = {**guest, "Idempotency-Key": "redeem-1"}
    first = await client.post(redeem, json={"points": 200}, headers=key)
    assert first.status_code == 201, first.text
    assert (first.json()["credit"], first.json()["points"]) == ({"amount": "2.00", "currency": "EUR"}, 1000)
    again = await client.post(redeem, json={"points": 200}, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert_problem(
        await client.post(redeem, json={"points": 300}, headers=key), 422, "idempotency.key_reused"
    )
    assert (await loyalty(client, guest))["points"] == 1000
    assert await wallet_balance(client, guest) == "2.00"
    # a refund of 300.00 takes 300 points back: 900 earned over 12 months is bronze, no discount
    admin = await make_admin(ctx, client)
    r = await client.post(
        f"{API}/payments/{payment['id']}/refunds",
        json={"amount": "300.00", "destination": "wallet"},
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["status"] == "succeeded", r.text
    me = await loyalty(client, guest)
    assert (me["tier"], me["points"], me["points_12_months"]) == ("bronze", 700, 900)
    assert me["items"][0]["kind"] == "reversal" and me["items"][0]["points"] == -300
    assert await loyalty_line(client, h, guest) is None
    # refunding the rest would take 900 more, but 200 were redeemed already: the balance stops at zero
    r = await client.post(
        f"{API}/payments/{payment['id']}/refunds", json={"destination": "wallet"}, headers=admin
    )
    assert r.status_code == 201, r.text
    me = await loyalty(client, guest)
    assert (me["points"], me["points_12_months"]) == (0, 200)
    assert sum(i["points"] for i in me["items"]) == 0


async def test_a_completed_slot_earns_points(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    """A meeting room's slot completes after its end (the periodic job): the booker earns its points."""
    owner, prop = await venue(client)
    room = await add_resource(
        client, owner, prop["id"], kind="meeting_room", name="Room 1", hourly_price="80.00"
    )
    r = await set_windows(client, owner, prop["id"], room["id"], every_day("08:00", "22:00"))
    assert r.status_code == 200, r.text
    tokens = await signup(client)
    me = bearer(tokens)
    when = day(7)
    r = await client.post(
        f"{API}/bookings",
        json={"resource_id": room["id"], "start": f"{when}T10:00:00+00:00", "end": f"{when}T11:00:00+00:00"},
        headers=me,
    )
    assert r.status_code == 201, r.text
    b = r.json()
    await simulate(client, runner, (await pay(client, b["id"], me))["id"])
    assert (await loyalty(client, me))["points"] == 0
    clock.freeze(clock.now() + timedelta(days=8))
    async with ctx.db.unit_of_work() as session:
        assert await complete_ended(session) == 1
    # (the clock moved on past the access token's life: read the ledger directly)
    async with ctx.db.unit_of_work(write=False) as session:
        entries = (await session.scalars(select(LoyaltyEntry))).all()
    assert [(e.kind, e.points, str(e.booking_id)) for e in entries] == [
        ("earn", int(Decimal(b["total"]["amount"])), b["id"])
    ]
    assert entries[0].user_id == uuid.UUID(tokens["user"]["id"])
