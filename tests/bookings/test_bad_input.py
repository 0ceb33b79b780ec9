"""Bad input on bookings that test_create.py does not cover: a clear 4xx, and nothing held or changed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from tests.bookings.support import assert_counters_match_bookings, book, counters, hotel, stay
from tests.catalog_support import d, freeze, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def count_bookings(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def nothing_held(ctx: AppContext, rt_id: str) -> bool:
    return all(v[:2] == (0, 0) for v in (await counters(ctx, rt_id)).values())


async def test_every_restriction_is_a_409_and_holds_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client)
    me = await user(client)
    ranges = [
        {"from": d(10), "to": d(11), "max_stay": 2},
        {"from": d(15), "to": d(16), "closed_to_arrival": True},
        {"from": d(22), "to": d(23), "closed_to_departure": True},
    ]
    r = await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"items": [{"room_type_id": h["rt_id"], **x} for x in ranges]},
    )
    assert r.status_code == 200, r.text
    for start, end in ((10, 13), (15, 17), (20, 22)):
        r = await client.post(f"{API}/bookings", json=stay(h, start, end), headers=me)
        assert_problem(r, 409, "inventory.restricted")
    assert await count_bookings(ctx) == 0 and await nothing_held(ctx, h["rt_id"])
    await book(client, h, me, 10, 12)  # within the limits it works
    await book(client, h, me, 14, 15)
    await book(client, h, me, 21, 23)


@pytest.mark.parametrize(
    "key",
    ["", "a b", "x" * 256, "caf\xe9".encode("latin-1"), "tab\tbed"],
    ids=["empty", "space", "too-long", "non-ascii", "control"],
)
async def test_malformed_idempotency_keys_are_422_and_hold_nothing(
    client: httpx.AsyncClient, ctx: AppContext, key: Any
) -> None:
    h = await hotel(client)
    me = await user(client)
    r = await client.post(f"{API}/bookings", json=stay(h), headers={**me, "Idempotency-Key": key})
    assert_problem(r, 422, "idempotency.key_invalid")
    assert await count_bookings(ctx) == 0 and await nothing_held(ctx, h["rt_id"])


async def test_more_guests_than_booked_changes_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    me = await user(client)
    b = await book(client, h, me, guests=2)
    url = f"{API}/bookings/{b['id']}/guests"
    three = [{"name": "Ann A"}, {"name": "Bob B"}, {"name": "Cy C"}]
    assert_problem(await client.put(url, json=three, headers=me), 422, "booking.invalid")
    assert_problem(await client.put(url, json=[], headers=me), 422, "booking.invalid")
    assert_problem(
        await client.put(url, json=[{"name": "Ann A", "id_document_number": "X1234"}], headers=me), 422
    )
    assert_problem(await client.put(url, json={"name": "Ann A"}, headers=me), 422)
    got = (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()
    assert got["status"] == "reserved" and got["guest_list"] == []
    history = (await client.get(f"{API}/bookings/{b['id']}/history", headers=me)).json()["items"]
    assert [e["action"] for e in history] == ["created"]
    ok = await client.put(url, json=three[:2], headers=me)
    assert ok.status_code == 200 and ok.json()["status"] == "guests_added"


async def test_bad_modifications_change_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=3, capacity=2)
    other = await hotel(client)
    me = await user(client)
    b = await book(client, h, me, 10, 12)
    before_counters = await counters(ctx, h["rt_id"])
    before = (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()
    r = await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"room_type_id": h["rt_id"], "from": d(20), "to": d(21), "min_stay": 4},
    )
    assert r.status_code == 200, r.text
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"checkin": d(-3), "checkout": d(-1)}, 422, "stay.invalid"),
        ({"checkin": d(12), "checkout": d(11)}, 422, "stay.invalid"),
        ({"checkout": d(60)}, 422, "stay.invalid"),
        ({"guests": 5}, 409, "inventory.capacity"),
        ({"rooms": 3, "guests": 2}, 422, "stay.invalid"),
        ({"rooms": 4, "guests": 4}, 409, "inventory.unavailable"),
        ({"checkin": d(20), "checkout": d(22)}, 409, "inventory.restricted"),
        ({"room_type_id": str(uuid.uuid4())}, 404, "room_type.not_found"),
        ({"room_type_id": other["rt_id"]}, 404, "room_type.not_found"),
        ({"checkin": d(10), "checkout": d(12)}, 422, "booking.invalid"),  # no change
        ({"rooms": 0}, 422, None),
        ({"nights": 3}, 422, None),
        ({"expected_total": "1.00", "checkout": d(13)}, 409, "booking.price_changed"),
    ]
    for body, status, code in cases:
        r = await client.post(f"{API}/bookings/{b['id']}/modify", json=body, headers=me)
        assert_problem(r, status, code)
    after = (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()
    assert {k: after[k] for k in ("checkin", "checkout", "rooms", "guests", "total", "room_type_id")} == {
        k: before[k] for k in ("checkin", "checkout", "rooms", "guests", "total", "room_type_id")
    }
    assert await counters(ctx, h["rt_id"]) == before_counters
    assert await nothing_held(ctx, other["rt_id"])
    await assert_counters_match_bookings(ctx)


async def test_other_tenants_get_404_on_every_booking_action(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client, payment_policy={"mode": "at_property"})
    alice = await user(client)
    b = await book(client, h, alice)
    bob = await user(client)
    rival = await hotel(client)
    base = f"{API}/bookings/{b['id']}"
    for headers in (bob, rival["owner"]):
        for method, path, body in (
            ("POST", "/modify", {"checkout": d(13)}),
            ("GET", "/history", None),
            ("POST", "/confirm", None),
            ("POST", "/check-in", {}),
            ("POST", "/check-out", None),
            ("POST", "/assign-room", {}),
            ("GET", "/rooms", None),
        ):
            r = await client.request(method, base + path, json=body, headers=headers)
            assert_problem(r, 404)
    got = (await client.get(base, headers=alice)).json()
    assert got["status"] == "reserved" and got["checkout"] == d(12)
    history = (await client.get(f"{base}/history", headers=alice)).json()["items"]
    assert [e["action"] for e in history] == ["created"]
    await assert_counters_match_bookings(ctx)
