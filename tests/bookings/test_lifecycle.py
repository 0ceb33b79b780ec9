"""The booking lifecycle after creation: guests, confirm, cancel under policy, modify, rooms, stay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.bookings.models import BookingGuest, SavedGuest
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import assert_counters_match_bookings, book, counters, hotel, stay
from tests.catalog_support import NOW, d, day, freeze, user
from tests.cli_support import run_cli
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}  # these tests travel days through time


async def pay_at_property(client: httpx.AsyncClient, h: dict[str, Any], **policy: Any) -> None:
    body: dict[str, Any] = {"payment_policy": {"mode": "at_property"}}
    if policy:
        body["cancellation_policy"] = policy
    r = await client.patch(f"{API}/properties/{h['pid']}", json=body, headers=h["owner"])
    assert r.status_code == 200, r.text


async def confirmed(
    client: httpx.AsyncClient,
    h: dict[str, Any],
    guest: dict[str, str],
    start: int = 10,
    end: int = 12,
    **extra: Any,
) -> dict[str, Any]:
    b = await book(client, h, guest, start=start, end=end, **extra)
    r = await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"])
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_guests_are_encrypted_masked_and_reusable(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    me = await user(client)
    profile = await client.post(
        f"{API}/users/me/guests",
        headers=me,
        json={
            "name": "Paula Partner",
            "age": 34,
            "id_document_type": "passport",
            "id_document_number": "X1234567",
        },
    )
    assert profile.status_code == 201, profile.text
    assert profile.json()["id_document_number"] == "••••4567"
    b = await book(client, h, me)
    r = await client.put(
        f"{API}/bookings/{b['id']}/guests",
        headers=me,
        json=[
            {
                "name": "Me Myself",
                "id_document_type": "national_id",
                "id_document_number": "AB 998877",
                "save": True,
            },
            {"saved_guest_id": profile.json()["id"]},
        ],
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "guests_added"
    assert [g["name"] for g in got["guest_list"]] == ["Me Myself", "Paula Partner"]
    assert [g["id_document_number"] for g in got["guest_list"]] == ["••••8877", "••••4567"]
    assert "998877" not in r.text and "X1234567" not in r.text
    async with ctx.db.unit_of_work(write=False) as session:
        stored = (await session.scalars(select(BookingGuest.id_document_number_enc))).all()
        saved = (await session.scalars(select(SavedGuest))).all()
    assert all(s and "998877" not in s and "1234567" not in s for s in stored)
    assert sorted(ctx.crypto.open(s) for s in stored if s) == ["AB998877", "X1234567"]
    assert len(saved) == 2  # "save": true stored the new guest on the account
    listing = (await client.get(f"{API}/users/me/guests", headers=me)).json()
    assert {p["name"] for p in listing["items"]} == {"Paula Partner", "Me Myself"}
    # limits and ownership
    too_many = [{"name": f"G{i}"} for i in range(3)]
    assert_problem(
        await client.put(f"{API}/bookings/{b['id']}/guests", headers=me, json=too_many),
        422,
        "booking.invalid",
    )
    stranger = await user(client)
    other = await book(client, h, stranger, start=20, end=21)
    r = await client.put(
        f"{API}/bookings/{other['id']}/guests",
        headers=stranger,
        json=[{"saved_guest_id": profile.json()["id"]}],
    )
    assert_problem(r, 404, "guest.not_found")
    assert_problem(
        await client.put(
            f"{API}/bookings/{b['id']}/guests",
            headers=me,
            json=[{"name": "X", "id_document_number": "123456"}],
        ),
        422,
    )


async def test_key_rotation_keeps_documents_readable(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from cryptography.fernet import Fernet

    from innkeeper.bookings.service.guests import reseal_all
    from innkeeper.kit.crypto import Crypto, derive_key

    h = await hotel(client)
    me = await user(client)
    b = await book(client, h, me)
    await client.put(
        f"{API}/bookings/{b['id']}/guests",
        headers=me,
        json=[{"name": "A", "id_document_type": "passport", "id_document_number": "P999111"}],
    )
    new_key = Fernet.generate_key().decode()
    ctx.crypto = Crypto([new_key, derive_key(ctx.settings.secret_key)])  # new key first, old still opens
    async with ctx.db.unit_of_work() as session:
        assert await reseal_all(ctx, session) == 1
    only_new = Crypto([new_key])
    async with ctx.db.unit_of_work(write=False) as session:
        sealed = await session.scalar(select(BookingGuest.id_document_number_enc))
    assert sealed is not None and only_new.open(sealed) == "P999111"


async def test_staff_confirm_needs_pay_at_property(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    me = await user(client)
    b = await book(client, h, me)
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"]), 409, "booking.not_allowed"
    )
    assert_problem(await client.post(f"{API}/bookings/{b['id']}/confirm", headers=me), 404)  # not staff
    await pay_at_property(client, h)
    b2 = await confirmed(client, h, me, start=20, end=23)
    assert b2["status"] == "confirmed" and b2["expires_at"] is None
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(20)] == (0, 1, 2) and inv[day(22)] == (0, 1, 2) and inv[day(23)] == (0, 0, 2)
    await runner.drain()
    mails = (await client.get("/dev/outbox.json")).json()["items"]
    confirmation = [m for m in mails if m["subject"] == f"Booking confirmed: {b2['reference']}"]
    assert confirmation and confirmation[0]["attachments"] == [f"{b2['reference']}.ics"]
    assert_problem(
        await client.post(f"{API}/bookings/{b2['id']}/confirm", headers=h["owner"]),
        409,
        "booking.illegal_transition",
    )
    await assert_counters_match_bookings(ctx)


async def test_staff_booking_by_phone_confirmed_at_once(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client)
    await pay_at_property(client, h)
    r = await client.post(
        f"{API}/properties/{h['pid']}/bookings",
        headers=h["owner"],
        json={
            **stay(h),
            "source": "phone",
            "confirm": True,
            "contact": {"name": "Phone Caller", "email": "caller@example.com"},
        },
    )
    assert r.status_code == 201, r.text
    b = r.json()
    assert (b["status"], b["source"], b["contact"]["email"]) == ("confirmed", "phone", "caller@example.com")
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 1, 2)
    history = (await client.get(f"{API}/bookings/{b['id']}/history", headers=h["owner"])).json()["items"]
    assert [e["action"] for e in history] == ["created", "confirmed"]
    assert all(e["actor_user_id"] for e in history) and history[0]["ip"] == "203.0.113.7"


CANCEL_CASES = [
    ({"preset": "flexible"}, 48, 100),
    ({"preset": "flexible"}, 10, 0),
    ({"preset": "moderate"}, 72, 50),
    ({"preset": "strict"}, 200, 50),
    ({"preset": "non_refundable"}, 900, 0),
    ({"preset": "hall_tiers"}, 72, 75),
    ({"preset": "hall_tiers"}, 30, 50),
    ({"preset": "hall_tiers"}, 5, 25),
    (
        {"preset": "flexible", "free_until_hours": 72, "tiers": [{"hours_before": 24, "refund_percent": 40}]},
        30,
        40,
    ),
]


@pytest.mark.parametrize(("policy", "hours_before", "percent"), CANCEL_CASES)
async def test_cancellation_policy(
    client: httpx.AsyncClient, ctx: AppContext, policy: dict[str, Any], hours_before: int, percent: int
) -> None:
    h = await hotel(client)
    await pay_at_property(client, h, **policy)
    me = await user(client)
    b = await confirmed(client, h, me)
    # check-in is 15:00 Lisbon time (UTC+0 in March) on day 10
    arrival = NOW.replace(hour=15) + timedelta(days=10)
    clock.freeze(arrival - timedelta(hours=hours_before))
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={"reason": "plans changed"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "cancelled"
    assert out["refund"]["percent"] == percent
    assert out["refund"]["amount"] == {"amount": "0.00", "currency": "EUR"}  # nothing paid yet
    assert out["refund"]["destination"] == "card"
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 0, 2)
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={}),
        409,
        "booking.illegal_transition",
    )


async def test_modify_is_repriced_and_all_or_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=1, price="100.00")
    me = await user(client)
    b = await book(client, h, me, start=10, end=12)
    blocker = await book(client, h, await user(client), start=14, end=15)
    # growing by a night needs a room on that night only (the net of new and old)
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkout": d(13)})
    assert r.status_code == 200, r.text
    assert r.json()["checkout"] == d(13) and r.json()["total"]["amount"] != b["total"]["amount"]
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(12)] == (1, 0, 1)
    # into a sold-out night: refused, nothing changed
    before = await counters(ctx, h["rt_id"])
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkout": d(15)})
    assert_problem(r, 409, "inventory.unavailable")
    assert await counters(ctx, h["rt_id"]) == before
    assert (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()["checkout"] == d(13)
    # a stale expected_total is refused
    r = await client.post(
        f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkin": d(11), "expected_total": "1.00"}
    )
    assert_problem(r, 409, "booking.price_changed")
    # moving to other dates frees the old ones
    r = await client.post(
        f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkin": d(20), "checkout": d(22)}
    )
    assert r.status_code == 200, r.text
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(10)] == (0, 0, 1) and inv[day(20)] == (1, 0, 1) and inv[day(14)] == (1, 0, 1)
    assert_problem(await client.post(f"{API}/bookings/{b['id']}/modify", headers=me, json={}), 422)
    history = (await client.get(f"{API}/bookings/{b['id']}/history", headers=me)).json()["items"]
    modified = [e for e in history if e["action"] == "modified"]
    assert len(modified) == 2 and modified[0]["data"]["before"]["checkout"] == d(12)
    assert blocker["status"] == "reserved"
    await assert_counters_match_bookings(ctx)


async def test_modify_to_another_room_type(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from tests.catalog_support import add_room_type

    h = await hotel(client, rooms=1)
    suite = await add_room_type(client, h["owner"], h["pid"], rooms=1, code="STE", capacity=4, price="250.00")
    me = await user(client)
    b = await book(client, h, me)
    r = await client.post(
        f"{API}/bookings/{b['id']}/modify", headers=me, json={"room_type_id": suite["id"], "guests": 4}
    )
    assert r.status_code == 200, r.text
    assert r.json()["room_type_id"] == suite["id"] and r.json()["guests"] == 4
    assert (await counters(ctx, h["rt_id"]))[day(10)] == (0, 0, 1)
    assert (await counters(ctx, suite["id"]))[day(10)] == (1, 0, 1)
    other = await hotel(client)
    r = await client.post(
        f"{API}/bookings/{b['id']}/modify", headers=me, json={"room_type_id": other["rt_id"]}
    )
    assert_problem(r, 404, "room_type.not_found")
    await assert_counters_match_bookings(ctx)


async def test_rooms_check_in_and_early_departure(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, rooms=2)
    await pay_at_property(client, h)
    me = await user(client)
    b = await confirmed(client, h, me, start=1, end=5)
    room_a, room_b = h["rt"]["room_ids"]
    # not the arrival day yet
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={}),
        409,
        "booking.not_arrival_day",
    )
    clock.advance(timedelta(days=1))
    await client.patch(
        f"{API}/properties/{h['pid']}/rooms/{room_a}", headers=h["owner"], json={"housekeeping": "dirty"}
    )
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={"room_id": room_a}),
        409,
        "room.not_ready",
    )
    assert_problem(await client.post(f"{API}/bookings/{b['id']}/check-in", headers=me, json={}), 404)
    # automatic assignment prefers the clean room
    r = await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "checked_in"
    rooms = (await client.get(f"{API}/bookings/{b['id']}/rooms", headers=h["owner"])).json()["items"]
    assert [x["room_id"] for x in rooms if x["active"]] == [room_b]
    # the other room cannot be given to an overlapping stay of this booking's room
    second = await confirmed(client, h, await user(client), start=2, end=3)
    r = await client.post(
        f"{API}/bookings/{second['id']}/assign-room", headers=h["owner"], json={"room_id": room_b}
    )
    assert_problem(r, 409, "room.unavailable")
    # early departure on day 3 of a 1..5 stay gives nights 3 and 4 back
    clock.advance(timedelta(days=2))
    # pay at the property: the folio must be settled before check-out
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"]),
        409,
        "booking.balance_due",
    )
    r = await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"], json={"settle": "card"})
    assert r.status_code == 202, r.text
    sim = await client.post(
        f"{API}/payments/{r.json()['payments'][0]['id']}/simulate", json={"outcome": "succeeded"}
    )
    assert sim.status_code == 202, sim.text
    await runner.drain()
    r = await client.get(f"{API}/bookings/{b['id']}", headers=h["owner"])
    assert r.json()["status"] == "checked_out" and r.json()["departure"] == d(3)
    assert r.json()["payment_status"] == "paid"
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(2)][1] == 2 and inv[day(3)] == (0, 0, 2) and inv[day(4)] == (0, 0, 2)
    room = next(
        x
        for x in (await client.get(f"{API}/properties/{h['pid']}/rooms", headers=h["owner"])).json()["items"]
        if x["id"] == room_b
    )
    assert room["housekeeping"] == "dirty"
    await assert_counters_match_bookings(ctx)


async def test_room_move_keeps_history(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hotel(client, rooms=2)
    await pay_at_property(client, h)
    b = await confirmed(client, h, await user(client), start=0, end=3)
    room_a, room_b = h["rt"]["room_ids"]
    r = await client.post(
        f"{API}/bookings/{b['id']}/assign-room", headers=h["owner"], json={"room_id": room_a}
    )
    assert r.status_code == 200, r.text
    await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={})
    clock.advance(timedelta(days=1))
    r = await client.post(
        f"{API}/bookings/{b['id']}/rooms/{room_a}/move",
        headers=h["owner"],
        json={"room_id": room_b, "reason": "noisy"},
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(x["room_id"], x["start_date"], x["end_date"]) for x in items] == [
        (room_a, d(0), d(1)),
        (room_b, d(1), d(3)),
    ]


async def test_no_show_and_reminder_jobs(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    await pay_at_property(client, h)
    soon = await confirmed(client, h, await user(client), start=2, end=4)
    late = await confirmed(client, h, await user(client), start=1, end=4)
    clock.advance(timedelta(days=1))  # day 1: "soon" arrives tomorrow
    await runner.drain()
    mails = (await client.get("/dev/outbox.json")).json()["items"]
    assert [m["subject"] for m in mails].count(f"See you soon: {soon['reference']}") == 1
    clock.advance(timedelta(days=1, hours=1))  # day 2: "late" missed its arrival day
    await runner.drain()
    got = (await client.get(f"{API}/bookings/{late['id']}", headers=h["owner"])).json()
    assert got["status"] == "no_show" and got["departure"] == d(2)
    inv = await counters(ctx, h["rt_id"])
    assert inv[day(1)][1] == 1 and inv[day(2)][1] == 1 and inv[day(3)][1] == 1  # "soon" only from day 2
    await runner.drain()
    mails = (await client.get("/dev/outbox.json")).json()["items"]
    assert [m["subject"] for m in mails].count(f"See you soon: {soon['reference']}") == 1  # once only
    await assert_counters_match_bookings(ctx)


async def test_illegal_transitions(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    me = await user(client)
    b = await book(client, h, me)
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={}),
        409,
        "booking.illegal_transition",
    )
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"]),
        409,
        "booking.illegal_transition",
    )
    await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    for path, body in (("modify", {"checkout": d(13)}), ("cancel", {})):
        assert_problem(await client.post(f"{API}/bookings/{b['id']}/{path}", headers=me, json=body), 409)
    assert_problem(
        await client.put(f"{API}/bookings/{b['id']}/guests", headers=me, json=[{"name": "A"}]), 409
    )
    bad_id = uuid.uuid4()
    assert_problem(await client.post(f"{API}/bookings/{bad_id}/cancel", headers=me, json={}), 404)


async def test_rotate_keys_cli(client: httpx.AsyncClient, ctx: AppContext, settings: Any) -> None:
    from cryptography.fernet import Fernet

    from innkeeper.kit.crypto import Crypto, derive_key

    h = await hotel(client)
    me = await user(client)
    b = await book(client, h, me)
    await client.put(
        f"{API}/bookings/{b['id']}/guests",
        headers=me,
        json=[{"name": "A", "id_document_type": "passport", "id_document_number": "Q555666"}],
    )
    new_key = Fernet.generate_key().decode()
    keys = f"{new_key},{derive_key(settings.secret_key)}"
    done = await run_cli(settings, "rotate-keys", INNKEEPER_ENCRYPTION_KEYS=keys)
    assert done.exit_code == 0, done.output
    async with ctx.db.unit_of_work(write=False) as session:
        sealed = await session.scalar(select(BookingGuest.id_document_number_enc))
    assert sealed is not None and Crypto([new_key]).open(sealed) == "Q555666"
