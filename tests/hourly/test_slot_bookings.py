"""A slot is the same booking as a stay: held until paid, priced by the one quote (slot list price =
booking total = folio), paid, rescheduled, cancelled under the property's tiers, and never overlapping
another active booking of its resource, buffers included."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.bookings.models import Booking
from innkeeper.bookings.service.expiry import complete_ended, sweep_expired
from innkeeper.context import AppContext
from innkeeper.inventory.hourly_models import ResourceAllocation, ResourceException
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.billing.support import get, pay, simulate
from tests.catalog_support import add_member, day, freeze, user
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, slots, venue

#: Monday 2030-03-11 in Lisbon (UTC+0 in March, before the clocks change)
DAY = day(7)


def at(hour: int, minute: int = 0, *, offset: int = 0) -> str:
    return f"{DAY + timedelta(days=offset)}T{hour:02d}:{minute:02d}:00+00:00"


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def hall(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    owner, prop = await venue(client)
    await client.patch(
        f"{API}/properties/{prop['id']}",
        json={"cancellation_policy": {"preset": "hall_tiers"}},
        headers=owner,
    )
    resource = await add_resource(client, owner, prop["id"], buffer_after_minutes=30, **fields)
    r = await set_windows(client, owner, prop["id"], resource["id"], every_day("08:00", "22:00"))
    assert r.status_code == 200, r.text
    return {"owner": owner, "prop": prop, "resource": resource}


async def book_slot(
    client: httpx.AsyncClient, h: dict[str, Any], who: dict[str, str], start: str, end: str, **extra: Any
) -> httpx.Response:
    body = {"resource_id": h["resource"]["id"], "start": start, "end": end, **extra}
    return await client.post(
        f"{API}/bookings", json=body, headers={**who, "Idempotency-Key": uuid.uuid4().hex}
    )


async def active_allocations(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).where(ResourceAllocation.active.is_(True))) or 0)


async def test_a_slot_is_booked_priced_paid_and_confirmed_like_a_stay(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hall(client)
    me = await user(client)
    listed = {
        s["start"]: s["price"]
        for s in (
            await client.get(
                f"{API}/resources/{h['resource']['id']}/slots",
                params={"date": str(DAY), "duration_minutes": 120},
            )
        ).json()["items"]
    }
    r = await book_slot(client, h, me, at(10), at(12), attendees=20)
    assert r.status_code == 201, r.text
    b = r.json()
    assert (b["kind"], b["resource_id"], b["status"]) == ("slot", h["resource"]["id"], "reserved")
    assert (b["start"], b["end"], b["attendees"], b["room_type_id"]) == (at(10), at(12), 20, None)
    assert b["total"] == listed[at(10)] == {"amount": "200.00", "currency": "EUR"}
    assert b["checkin"] == str(DAY) and b["quote"]["total"] == b["total"]
    p = await pay(client, b["id"], me)
    await simulate(client, runner, p["id"])
    seen = await get(client, b["id"], me)
    assert (seen["status"], seen["payment_status"]) == ("confirmed", "paid")
    folio = (await client.get(f"{API}/bookings/{b['id']}/folio", headers=me)).json()
    assert folio["charges"] == b["total"] and folio["balance"]["amount"] == "0.00"
    # the booked time (and its 30-minute buffer after) is gone from the slot list
    free = await slots(client, h["resource"]["id"], DAY, 60)
    assert not [s for s in free if at(9, 30) < s[1] and s[0] < at(12, 30)]


async def test_overlapping_slots_are_409_and_hold_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hall(client)
    first = await book_slot(client, h, await user(client), at(10), at(12))
    assert first.status_code == 201, first.text
    for start, end in ((at(11), at(13)), (at(9), at(10, 30)), (at(12), at(13))):  # 12:00 is in the buffer
        r = await book_slot(client, h, await user(client), start, end)
        assert_problem(r, 409, "slot.unavailable")
    assert await active_allocations(ctx) == 1
    assert (await book_slot(client, h, await user(client), at(12, 30), at(14))).status_code == 201


async def test_a_lapsed_hold_never_blocks_the_next_customer(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hall(client)
    me = await user(client)
    lapsed = (await book_slot(client, h, me, at(10), at(12))).json()
    clock.advance(timedelta(hours=1))  # past the 15-minute hold, no sweeper has run
    r = await book_slot(client, h, await user(client), at(11), at(12))
    assert r.status_code == 201, r.text
    async with ctx.db.unit_of_work(write=False) as session:  # (the guest's access token lapsed too)
        assert (await session.get(Booking, uuid.UUID(lapsed["id"]))).status == "expired"  # type: ignore[union-attr]
    assert await active_allocations(ctx) == 1


async def test_closing_time_only_a_lapsed_hold_keeps_expires_the_hold(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hall(client)
    lapsed = (await book_slot(client, h, await user(client), at(10), at(12))).json()
    live = (await book_slot(client, h, await user(client), at(15), at(16))).json()
    async with ctx.db.unit_of_work() as session:  # the first hold lapsed a minute ago, no sweeper ran
        first = await session.get(Booking, uuid.UUID(lapsed["id"]))
        assert first is not None
        first.expires_at = clock.now() - timedelta(minutes=1)
    base = f"{API}/properties/{h['prop']['id']}/resources/{h['resource']['id']}/exceptions"
    r = await client.post(base, headers=h["owner"], json={"start": at(9), "end": at(13), "kind": "closed"})
    assert r.status_code == 201, r.text
    async with ctx.db.unit_of_work(write=False) as session:
        assert (await session.get(Booking, uuid.UUID(lapsed["id"]))).status == "expired"  # type: ignore[union-attr]
        # a lapsed hold outside the closed time is left to the sweeper; the live one stays
        assert (await session.get(Booking, uuid.UUID(live["id"]))).status == "reserved"  # type: ignore[union-attr]
    assert await active_allocations(ctx) == 1


async def test_reschedule_moves_the_slot_all_or_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hall(client)
    me, other = await user(client), await user(client)
    b = (await book_slot(client, h, me, at(10), at(11))).json()
    taken = await book_slot(client, h, other, at(15), at(17))
    assert taken.status_code == 201
    url = f"{API}/bookings/{b['id']}/reschedule"
    refused = await client.post(url, json={"start": at(16), "end": at(18)}, headers=me)
    assert_problem(refused, 409, "slot.unavailable")
    assert (await get(client, b["id"], me))["start"] == at(10)  # unchanged
    # (the 30-minute buffer after it must end before the other booking's 15:00)
    moved = await client.post(url, json={"start": at(12, 30), "end": at(14, 30)}, headers=me)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["start"], moved.json()["total"]["amount"]) == (at(12, 30), "200.00")
    # the old time is free again; the new one is not
    assert (await book_slot(client, h, other, at(10), at(11))).status_code == 201
    assert_problem(await book_slot(client, h, other, at(14), at(15)), 409, "slot.unavailable")
    history = (await client.get(f"{API}/bookings/{b['id']}/history", headers=me)).json()["items"]
    assert "rescheduled" in [e["action"] for e in history]
    stay_only = await client.post(f"{API}/bookings/{b['id']}/modify", json={"rooms": 2}, headers=me)
    assert_problem(stay_only, 422)


async def test_cancelling_a_slot_follows_the_hall_tiers(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    clock.freeze(clock.now().replace(hour=0) + timedelta(days=6))  # the day before, 34 h before 10:00
    h = await hall(client)
    me = await user(client)
    booked = await book_slot(client, h, me, at(10), at(12))
    assert booked.status_code == 201, booked.text
    b = booked.json()
    p = await pay(client, b["id"], me)
    await simulate(client, runner, p["id"])
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.status_code == 200, r.text
    assert r.json()["refund"]["percent"] == 50 and r.json()["refund"]["amount"]["amount"] == "100.00"
    assert await active_allocations(ctx) == 0
    assert (await book_slot(client, h, await user(client), at(10), at(12))).status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"end": at(9)}, 422, None),  # end before start
        ({"start": at(6), "end": at(8)}, 422, "slot.outside_availability"),  # before opening
        ({"start": at(10), "end": at(10, 45)}, 422, "slot.outside_availability"),  # under the minimum
        ({"start": at(10, 10), "end": at(11, 10)}, 422, "slot.outside_availability"),  # off the step
        ({"start": at(10, offset=-30), "end": at(11, offset=-30)}, 422, "slot.outside_availability"),
        ({"attendees": 500}, 422, "slot.capacity"),
        ({"attendees": True}, 422, None),
        ({"addons": [{"code": "NOPE", "quantity": 1}]}, 422, "addon.unknown"),
        ({"resource_id": str(uuid.uuid4())}, 404, "resource.not_found"),
        ({"start": "2030-03-31T01:30:00", "end": "2030-03-31T02:30:00"}, 422, None),  # Lisbon's DST gap
    ],
)
async def test_bad_slot_requests_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, change: dict[str, Any], status: int, code: str | None
) -> None:
    h = await hall(client)
    body: dict[str, Any] = {"start": at(10), "end": at(11), **change}
    start, end = body.pop("start"), body.pop("end")
    r = await book_slot(client, h, await user(client), start, end, **body)
    assert_problem(r, status, code)
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0
    assert await active_allocations(ctx) == 0


async def test_a_guest_without_an_account_books_a_slot(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hall(client)
    contact = {"name": "Ana Guest", "email": "ana@example.com"}
    r = await book_slot(client, h, {}, at(18), at(20), contact=contact)
    assert r.status_code == 201, r.text
    token = r.json()["guest_token"]
    seen = await client.get(f"{API}/bookings/{r.json()['id']}", headers={"X-Guest-Token": token})
    assert seen.status_code == 200 and seen.json()["kind"] == "slot"


async def test_a_hall_is_checked_in_on_its_day_and_a_paid_slot_completes_after_its_end(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    clock.freeze(clock.now() + timedelta(days=7) - timedelta(hours=2))  # DAY, 08:00
    h = await hall(client)
    me = await user(client)
    b = (await book_slot(client, h, me, at(10), at(12))).json()
    later = (await book_slot(client, h, me, at(14), at(15))).json()
    for booking in (b, later):
        await simulate(client, runner, (await pay(client, booking["id"], me))["id"])
    checked_in = await client.post(f"{API}/bookings/{b['id']}/check-in", json={}, headers=h["owner"])
    assert checked_in.status_code == 200 and checked_in.json()["status"] == "checked_in", checked_in.text
    async with ctx.db.unit_of_work() as session:
        assert await complete_ended(session) == 0  # nothing has ended yet
    clock.advance(timedelta(hours=5))  # 13:00: the first slot ended, the second not
    async with ctx.db.unit_of_work() as session:
        assert await complete_ended(session) == 1
    async with ctx.db.unit_of_work(write=False) as session:
        done = await session.get(Booking, uuid.UUID(b["id"]))
        pending = await session.get(Booking, uuid.UUID(later["id"]))
        assert done is not None and pending is not None
        assert (done.status, pending.status) == ("checked_out", "confirmed")
    clock.advance(timedelta(hours=3))  # 16:00: the second hall booking ended without a check-in
    async with ctx.db.unit_of_work() as session:
        assert await complete_ended(session) == 1
    async with ctx.db.unit_of_work(write=False) as session:
        missed = await session.get(Booking, uuid.UUID(later["id"]))
        assert missed is not None and missed.status == "no_show"


async def test_a_meeting_room_slot_completes_without_a_check_in(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hall(client, kind="meeting_room", name="Room 1")
    me = await user(client)
    b = (await book_slot(client, h, me, at(10), at(11))).json()
    await simulate(client, runner, (await pay(client, b["id"], me))["id"])
    clock.freeze(clock.now() + timedelta(days=8))
    async with ctx.db.unit_of_work() as session:
        assert await complete_ended(session) == 1
    async with ctx.db.unit_of_work(write=False) as session:
        done = await session.get(Booking, uuid.UUID(b["id"]))
        assert done is not None and done.status == "checked_out"


async def test_a_professional_sees_the_bookings_of_their_own_resource_only(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner, prop = await venue(client, kind="practice")
    pid = prop["id"]
    ana_tokens = await signup(client)
    ana = bearer(ana_tokens)
    await add_member(client, owner, pid, ana_tokens, "professional")
    resources = []
    for name in ("Ana", "Bruno"):
        r = await add_resource(client, owner, pid, kind="professional", name=name)
        assert (
            await set_windows(client, owner, pid, r["id"], every_day("08:00", "20:00"))
        ).status_code == 200
        resources.append({"owner": owner, "prop": prop, "resource": r})
    linked = await client.patch(
        f"{API}/properties/{pid}/resources/{resources[0]['resource']['id']}",
        headers=owner,
        json={"user_email": ana_tokens["user"]["email"]},
    )
    assert linked.status_code == 200, linked.text
    customer = await user(client)
    hers = (await book_slot(client, resources[0], customer, at(10), at(11))).json()
    his = (await book_slot(client, resources[1], customer, at(10), at(11))).json()
    listed = (await client.get(f"{API}/bookings", headers=ana)).json()
    assert [b["id"] for b in listed["items"]] == [hers["id"]]
    assert (await client.get(f"{API}/bookings/{hers['id']}", headers=ana)).status_code == 200
    assert_problem(await client.get(f"{API}/bookings/{his['id']}", headers=ana), 403, "auth.role")
    # seeing is all: the customer's booking is not theirs to cancel
    assert_problem(await client.post(f"{API}/bookings/{hers['id']}/cancel", headers=ana, json={}), 403)


async def test_staff_book_a_slot_by_phone_with_a_source(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await hall(client)
    r = await client.post(
        f"{API}/properties/{h['prop']['id']}/bookings",
        json={
            "resource_id": h["resource"]["id"],
            "start": at(9),
            "end": at(11),
            "attendees": 12,
            "source": "phone",
            "contact": {"name": "Rita Caller", "email": "rita@example.com"},
        },
        headers={**h["owner"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["source"], r.json()["attendees"]) == ("slot", "phone", 12)
    # another property's resource is not theirs to book
    other = await hall(client)
    foreign = await client.post(
        f"{API}/properties/{h['prop']['id']}/bookings",
        json={"resource_id": other["resource"]["id"], "start": at(9), "end": at(11), "source": "phone"},
        headers={**h["owner"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert_problem(foreign, 404, "resource.not_found")


async def test_a_late_payment_for_a_slot_someone_else_took_is_given_back(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hall(client)
    me, other = await user(client), await user(client)
    lapsed = (await book_slot(client, h, me, at(10), at(12))).json()
    started = await pay(client, lapsed["id"], me)  # the card payment is still open when the hold lapses
    clock.advance(timedelta(minutes=20))
    other = await user(client)
    taken = await book_slot(client, h, other, at(10), at(11))
    assert taken.status_code == 201, taken.text
    await simulate(client, runner, started["id"])  # the guest's payment lands after all
    await runner.drain()
    async with ctx.db.unit_of_work(write=False) as session:
        late = await session.get(Booking, uuid.UUID(lapsed["id"]))
        assert late is not None and (late.status, late.payment_status) == ("expired", "refunded")
    assert await active_allocations(ctx) == 1  # only the other customer's


async def test_a_late_payment_for_a_time_closed_since_is_given_back(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hall(client)
    me = await user(client)
    lapsed = (await book_slot(client, h, me, at(15), at(17))).json()
    started = await pay(client, lapsed["id"], me)
    clock.advance(timedelta(minutes=20))
    async with ctx.db.unit_of_work() as session:
        assert await sweep_expired(session) == 1
    async with ctx.db.unit_of_work() as session:
        session.add(
            ResourceException(
                resource_id=uuid.UUID(h["resource"]["id"]),
                starts_at=datetime.fromisoformat(at(15)),
                ends_at=datetime.fromisoformat(at(17)),
                kind="closed",
                reason="maintenance",
            )
        )
    await simulate(client, runner, started["id"])
    await runner.drain()
    async with ctx.db.unit_of_work(write=False) as session:
        late = await session.get(Booking, uuid.UUID(lapsed["id"]))
        assert late is not None and (late.status, late.payment_status) == ("expired", "refunded")
    assert await active_allocations(ctx) == 0
