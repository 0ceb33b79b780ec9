"""Creating bookings: holds, prices, guests without accounts, idempotency, bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import assert_counters_match_bookings, book, counters, hotel, stay
from tests.catalog_support import NOW, d, day, freeze, user
from tests.helpers import API, assert_problem, bearer, signup


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"hold_ttl_seconds": 300}  # shorter than the access token's life


async def count_bookings(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def test_customer_booking_holds_inventory_until_expiry(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client)
    me = await user(client)
    quote = await client.get(
        f"{API}/properties/{h['prop']['slug']}/availability",
        params={"checkin": d(10), "checkout": d(12), "guests": 2},
    )
    assert quote.status_code == 200, quote.text
    b = await book(client, h, me)
    assert b["status"] == "reserved" and b["payment_status"] == "unpaid"
    assert b["reference"].startswith("IK-") and len(b["reference"]) == 10
    assert b["expires_at"] == (NOW + timedelta(seconds=300)).isoformat()
    assert b["total"] == quote.json()["items"][0]["total"]  # one pricing function
    assert b["balance_due"] == b["total"]
    assert "guest_token" not in b
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(10)] == (1, 0, 2) and inv[day(11)] == (1, 0, 2) and inv[day(12)] == (0, 0, 2)
    mine = await client.get(f"{API}/bookings", headers=me)
    assert [x["id"] for x in mine.json()["items"]] == [b["id"]]
    # the create response is built without reading the folio back: it must say what a read says
    again = await client.get(f"{API}/bookings/{b['id']}", headers=me)
    assert again.status_code == 200 and again.json() == b
    await assert_counters_match_bookings(ctx)


async def test_guest_without_account(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    r = await client.post(f"{API}/bookings", json=stay(h))
    assert_problem(r, 422, "booking.invalid")
    b = await book(
        client, h, contact={"name": "Gina Guest", "email": "Gina@Example.com", "phone": "+351912345678"}
    )
    token = b["guest_token"]
    assert b["contact"] == {"name": "Gina Guest", "email": "gina@example.com", "phone": "+351912345678"}
    assert (
        await client.get(f"{API}/bookings/{b['id']}", headers={"X-Guest-Token": token})
    ).status_code == 200
    assert (await client.get(f"{API}/bookings/{b['id']}", params={"guest_token": token})).status_code == 200
    assert_problem(await client.get(f"{API}/bookings/{b['id']}"), 404, "booking.not_found")
    assert_problem(await client.get(f"{API}/bookings/{b['id']}", headers={"X-Guest-Token": "nope" * 8}), 404)
    found = await client.get(
        f"{API}/bookings/lookup", params={"reference": b["reference"].lower(), "email": "GINA@example.com"}
    )
    assert found.status_code == 200 and found.json()["id"] == b["id"] and "guest_token" not in found.json()
    assert_problem(
        await client.get(
            f"{API}/bookings/lookup", params={"reference": b["reference"], "email": "other@example.com"}
        ),
        404,
    )
    # the guest cancels with their token
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", json={}, headers={"X-Guest-Token": token})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 0, 2)


async def test_sold_out_is_409_and_holds_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=2)
    await book(client, h, await user(client))
    await book(client, h, await user(client), start=11, end=13)
    r = await client.post(f"{API}/bookings", json=stay(h, 9, 12), headers=await user(client))
    assert_problem(r, 409, "inventory.unavailable")
    assert await count_bookings(ctx) == 2
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(9)] == (0, 0, 2) and inv[day(11)] == (2, 0, 2)
    # a stay that avoids the full night still works
    await book(client, h, await user(client), start=12, end=14)
    await assert_counters_match_bookings(ctx)


async def test_expired_hold_never_blocks_a_sale(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=1)
    first = await book(client, h, await user(client))
    assert_problem(await client.post(f"{API}/bookings", json=stay(h), headers=await user(client)), 409)
    clock.advance(timedelta(seconds=301))  # no sweeper has run
    second = await book(client, h, await user(client))
    async with ctx.db.unit_of_work(write=False) as session:
        old = await session.get(Booking, uuid.UUID(first["id"]))
    assert old is not None and old.status == "expired"
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (1, 0, 1)
    assert second["status"] == "reserved"
    await assert_counters_match_bookings(ctx)


async def test_sweeper_expires_holds(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> None:
    h = await hotel(client, rooms=1)
    me = await user(client)
    b = await book(client, h, me)
    clock.advance(timedelta(seconds=301))
    await runner.drain()
    got = (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()
    assert got["status"] == "expired" and got["expires_at"] is None
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 0, 1)
    history = (await client.get(f"{API}/bookings/{b['id']}/history", headers=me)).json()["items"]
    assert [e["action"] for e in history] == ["created", "expired"]


async def test_expected_total(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, price="100.00")
    me = await user(client)
    r = await client.post(f"{API}/bookings", json=stay(h, expected_total="150.00"), headers=me)
    body = assert_problem(r, 409, "booking.price_changed")
    assert body["total"]["currency"] == "EUR"
    assert await count_bookings(ctx) == 0
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 0, 2)
    ok = await client.post(f"{API}/bookings", json=stay(h, expected_total=body["total"]), headers=me)
    assert ok.status_code == 201 and ok.json()["total"] == body["total"]


async def test_idempotent_create(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    me = await user(client)
    headers = {**me, "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(f"{API}/bookings", json=stay(h), headers=headers)
    again = await client.post(f"{API}/bookings", json=stay(h), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert_problem(
        await client.post(f"{API}/bookings", json=stay(h, 20, 22), headers=headers),
        422,
        "idempotency.key_reused",
    )
    assert await count_bookings(ctx) == 1
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (1, 0, 2)
    assert_problem(
        await client.post(f"{API}/bookings", json=stay(h), headers={**me, "Idempotency-Key": "a b"}),
        422,
        "idempotency.key_invalid",
    )


async def test_bad_input_holds_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=3, capacity=2)
    inactive = await hotel(client, active=False)
    me = await user(client)
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        (stay(h, room_type_id=str(uuid.uuid4())), 404, "room_type.not_found"),
        (stay(inactive), 404, "property.not_found"),
        (stay(h, guests=3), 409, "inventory.capacity"),
        (stay(h, guests=5, rooms=2), 409, "inventory.capacity"),
        (stay(h, -2, 1), 422, "stay.invalid"),
        (stay(h, 12, 10), 422, "stay.invalid"),
        (stay(h, 10, 10), 422, "stay.invalid"),
        (stay(h, 10, 60), 422, "stay.invalid"),
        (stay(h, 400, 402), 422, "stay.invalid"),
        (stay(h, guests=0), 422, None),
        (stay(h, rooms=0), 422, None),
        (stay(h, guests="two"), 422, None),
        (stay(h, checkin="2030-02-30"), 422, None),
        (stay(h, expected_total="-1"), 409, "booking.price_changed"),
        (stay(h, expected_total="1.001"), 422, "money.precision"),
        (stay(h, promo_code="NOPE"), 422, "pricing.promo_invalid"),
        (stay(h, extra_field=1), 422, None),
    ]
    for body, status, code in cases:
        assert_problem(await client.post(f"{API}/bookings", json=body, headers=me), status, code)
    assert await count_bookings(ctx) == 0
    assert all(v[:2] == (0, 0) for v in (await counters(ctx, h["rt_id"])).values())


async def test_restrictions_are_enforced(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    me = await user(client)
    r = await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"room_type_id": h["rt_id"], "from": d(10), "to": d(11), "min_stay": 3},
    )
    assert r.status_code == 200, r.text
    assert_problem(
        await client.post(f"{API}/bookings", json=stay(h, 10, 12), headers=me), 409, "inventory.restricted"
    )
    await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"room_type_id": h["rt_id"], "from": d(20), "to": d(21), "closed": True},
    )
    assert_problem(await client.post(f"{API}/bookings", json=stay(h, 19, 22), headers=me), 409)
    assert await count_bookings(ctx) == 0


async def test_other_peoples_bookings_are_404(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    alice = await user(client)
    b = await book(client, h, alice)
    bob = await user(client)
    other_owner = await hotel(client)
    for headers in (bob, other_owner["owner"]):
        assert_problem(await client.get(f"{API}/bookings/{b['id']}", headers=headers), 404)
        assert_problem(await client.post(f"{API}/bookings/{b['id']}/cancel", json={}, headers=headers), 404)
        assert_problem(
            await client.put(f"{API}/bookings/{b['id']}/guests", json=[{"name": "X"}], headers=headers), 404
        )
        assert (await client.get(f"{API}/bookings", headers=headers)).json()["items"] == []
    # the hotel's own staff see it
    staff = await client.get(f"{API}/bookings", headers=h["owner"], params={"property_id": h["pid"]})
    assert [x["id"] for x in staff.json()["items"]] == [b["id"]]
    assert (await client.get(f"{API}/bookings/{b['id']}", headers=h["owner"])).status_code == 200
    assert (await client.get(f"{API}/bookings/{b['id']}", headers=alice)).status_code == 200
    tokens = await signup(client)
    assert_problem(await client.get(f"{API}/bookings/{uuid.uuid4()}", headers=bearer(tokens)), 404)


async def test_counter_changes_are_all_or_nothing_and_say_why(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """``holds.apply``: a stay's nights are locked by the prebuilt range statement, other sets of nights by
    one built for them; both refuse a night without a row (not on sale) or without the rooms (sold out)
    and change nothing."""
    import pytest as _pytest

    from innkeeper.bookings import nightly as holds
    from innkeeper.inventory.errors import Unavailable

    h = await hotel(client, rooms=1)
    rt = uuid.UUID(h["rt_id"])
    horizon_end = max((await counters(ctx, h["rt_id"])).keys())
    before = await counters(ctx, h["rt_id"])

    async def attempt(*deltas: holds.Delta) -> str:
        with _pytest.raises(Unavailable) as caught:
            async with ctx.db.unit_of_work() as session:
                await holds.apply(session, deltas)
        return str(caught.value.extra.get("reason"))

    beyond = horizon_end + timedelta(days=1)
    assert await attempt(holds.Delta(rt, day(10), held=1), holds.Delta(rt, beyond, held=1)) == "not_on_sale"
    assert await attempt(holds.Delta(rt, day(10), held=1), holds.Delta(rt, day(11), held=2)) == "sold_out"
    assert await attempt(holds.Delta(rt, day(10), held=1), holds.Delta(rt, beyond, held=2)) == "not_on_sale"
    assert await attempt(holds.Delta(rt, day(10), held=2)) == "sold_out"
    # consecutive nights of one room type (a stay: the prebuilt lock), the last one not on sale
    last_nights = [holds.Delta(rt, horizon_end, held=1), holds.Delta(rt, beyond, held=1)]
    assert await attempt(*last_nights) == "not_on_sale"
    assert await counters(ctx, h["rt_id"]) == before  # nothing changed
    async with ctx.db.unit_of_work() as session:  # a stay, then two kinds of change: both apply
        await holds.apply(session, [holds.Delta(rt, day(10), held=1), holds.Delta(rt, day(11), held=1)])
    async with ctx.db.unit_of_work() as session:
        await holds.apply(
            session, [holds.Delta(rt, day(10), held=-1, sold=1), holds.Delta(rt, day(11), held=-1)]
        )
    after = await counters(ctx, h["rt_id"])
    assert after[day(10)] == (0, 1, 1) and after[day(11)] == (0, 0, 1)


async def test_a_reference_already_taken_is_drawn_again(
    client: httpx.AsyncClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The booking INSERT skips a taken reference (ON CONFLICT DO NOTHING) and draws another: the
    second booking gets the next reference, and nothing is left half-made."""
    from innkeeper.bookings.service import create as creating

    h = await hotel(client)
    me = await user(client)
    first = await book(client, h, me)
    draws = iter([first["reference"], first["reference"], "IK-TESTREF"])
    monkeypatch.setattr(creating, "reference", lambda: next(draws))
    second = await book(client, h, me, start=12, end=14)
    assert second["reference"] == "IK-TESTREF" and second["id"] != first["id"]
    assert await count_bookings(ctx) == 2
    again = await client.get(f"{API}/bookings/{second['id']}", headers=me)
    assert again.status_code == 200 and again.json() == second
    await assert_counters_match_bookings(ctx)
