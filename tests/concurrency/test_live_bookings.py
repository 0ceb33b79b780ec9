"""Real parallel clients against ``innkeeper serve --workers 2``, SQLite and PostgreSQL (invariants 1, 2, 6),
for stays and for slots of hourly resources.

Every request here is a real HTTP request to one of two API processes sharing one database. A 5xx (a
deadlock, a serialization failure or "database is locked" reaching a client) fails the test."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.inventory.hourly_models import ResourceAllocation
from tests.bookings.support import assert_counters_match_bookings
from tests.catalog_support import create_property, user
from tests.concurrency.server import Server, db_context
from tests.concurrency.support import (
    LEAD_DAYS,
    assert_no_5xx,
    assert_totals_match_rooms,
    body,
    bookings_of,
    day,
    days_of,
    gather_responses,
    iso,
    live_hotel,
    tally,
)
from tests.helpers import API

pytestmark = pytest.mark.slow

TIMEOUT = httpx.Timeout(60.0)


@pytest.fixture
async def http(live: Server) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=live.base, timeout=TIMEOUT, limits=limits) as client:
        yield client


@pytest.fixture
async def dbctx(live: Server) -> AsyncIterator[Any]:
    ctx = db_context(live.database_url)
    try:
        yield ctx
    finally:
        await ctx.db.dispose()


async def test_last_k_rooms_go_to_exactly_k_of_n_clients(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    k, n = 5, 60
    h = await live_hotel(http, rooms=k)
    rt = h["rt"][0]
    responses = await gather_responses(http.post(f"{API}/bookings", json=body(rt, 0, 3, i)) for i in range(n))
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert counts == {(201, ""): k, (409, "inventory.unavailable"): n - k}, counts
    held = [b for b in await bookings_of(dbctx, rt) if b.status in HOLD_STATES]
    assert len(held) == k
    days = await days_of(dbctx, rt)
    assert [(days[day(i)].held, days[day(i)].sold) for i in range(3)] == [(k, 0)] * 3
    await assert_counters_match_bookings(dbctx)


async def test_overlapping_stays_in_mixed_orders(live: Server, http: httpx.AsyncClient, dbctx: Any) -> None:
    """Stays d..d+3, d+1..d+4, … in ascending, descending and shuffled order, some for 2 rooms, over
    two room types: no deadlock or lock error surfaces, and no night is oversold."""
    h = await live_hotel(http, rooms=4, second_type_rooms=3)
    rng = random.Random(7)
    stays: list[tuple[str, int, int, int]] = []
    for rt in h["rt"]:
        for start in range(8):
            length = 2 + start % 3
            stays.append((rt, start, start + length, 1))
            stays.append((rt, 7 - start, 7 - start + length, 1 + start % 2))
    rng.shuffle(stays)
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=body(rt, s, e, i, rooms))
        for i, (rt, s, e, rooms) in enumerate(stays)
    )
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert set(counts) <= {(201, ""), (409, "inventory.unavailable")}, counts
    assert counts[(201, "")] >= 4, counts  # the first stays always fit
    await assert_counters_match_bookings(dbctx)
    for rt in h["rt"]:
        for d, row in (await days_of(dbctx, rt)).items():
            assert row.held + row.sold <= row.total, d


async def test_modify_cancel_confirm_and_staff_changes_race(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    """Customers modify and cancel, staff confirm, take rooms out of order and close nights, and new
    customers book, all at once on the same nights: every answer is a 2xx or a clear 409."""
    h = await live_hotel(http, rooms=5, second_type_rooms=3, at_property=True)
    owner, (rt_a, rt_b) = h["owner"], h["rt"]
    made = await gather_responses(
        http.post(f"{API}/bookings", json=body(rt_a, i % 4, i % 4 + 3, i)) for i in range(10)
    )
    assert_no_5xx(made, live.log_tail())
    booked = [r.json() for r in made if r.status_code == 201]
    assert len(booked) >= 5
    rng = random.Random(11)
    calls = []
    for b in booked:
        guest = {"X-Guest-Token": b["guest_token"]}
        bid = b["id"]
        ops = [
            lambda bid=bid: http.post(f"{API}/bookings/{bid}/confirm", headers=owner),
            lambda bid=bid, g=guest: http.post(f"{API}/bookings/{bid}/cancel", json={}, headers=g),
            lambda bid=bid, g=guest: http.post(
                f"{API}/bookings/{bid}/modify", json={"checkin": iso(1), "checkout": iso(5)}, headers=g
            ),
            lambda bid=bid, g=guest: http.post(
                f"{API}/bookings/{bid}/modify", json={"room_type_id": rt_b}, headers=g
            ),
            lambda bid=bid, g=guest: http.post(
                f"{API}/bookings/{bid}/modify", json={"rooms": 2, "guests": 2}, headers=g
            ),
            lambda bid=bid, g=guest: http.put(
                f"{API}/bookings/{bid}/guests", json=[{"name": "A B"}], headers=g
            ),
        ]
        calls += [op() for op in rng.sample(ops, 3)]
    room_a = h["room_ids"][0]
    for rid in room_a[:2]:  # the same room twice at once: the total must drop by one, not two
        calls += [
            http.patch(
                f"{API}/properties/{h['pid']}/rooms/{rid}", headers=owner, json={"status": "out_of_order"}
            )
            for _ in range(2)
        ]
    calls += [
        http.put(
            f"{API}/properties/{h['pid']}/inventory",
            headers=owner,
            json={"room_type_id": rt, "from": iso(5), "to": iso(9), "closed": closed},
        )
        for rt, closed in ((rt_a, True), (rt_b, True), (rt_a, False))
    ]
    calls += [http.post(f"{API}/bookings", json=body(rt_a, i % 6, i % 6 + 2, 100 + i)) for i in range(12)]
    responses = await gather_responses(calls)
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    allowed_errors = {
        "inventory.unavailable",
        "inventory.below_sold",
        "booking.illegal_transition",
        "booking.expired",
    }
    unexpected = {k: v for k, v in counts.items() if not (k[0] in (200, 201) or k[1] in allowed_errors)}
    assert not unexpected, counts
    await assert_counters_match_bookings(dbctx)
    for rt in (rt_a, rt_b):
        await assert_totals_match_rooms(dbctx, rt, day(-10))


async def test_bulk_updates_and_long_stays_never_deadlock(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    """A manager's bulk update over a range while long stays take the same nights (both lock many rows)."""
    h = await live_hotel(http, rooms=30)
    owner, rt = h["owner"], h["rt"][0]
    calls = []
    for i in range(40):
        calls.append(http.post(f"{API}/bookings", json=body(rt, i % 5, i % 5 + 10, i)))
        if i % 4 == 0:
            calls.append(
                http.put(
                    f"{API}/properties/{h['pid']}/inventory",
                    headers=owner,
                    json={"room_type_id": rt, "from": iso(0), "to": iso(16), "min_stay": 1 + i % 2},
                )
            )
    responses = await gather_responses(calls)
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert set(counts) <= {(200, ""), (201, ""), (409, "inventory.unavailable")}, counts
    await assert_counters_match_bookings(dbctx)


async def test_duplicate_posts_with_one_idempotency_key(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    h = await live_hotel(http, rooms=3)
    rt = h["rt"][0]
    key = str(uuid.uuid4())
    payload = body(rt, 2, 4, 1)
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=payload, headers={"Idempotency-Key": key}) for _ in range(20)
    )
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert set(counts) <= {(201, ""), (409, "idempotency.in_flight")}, counts
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, created
    again = await http.post(f"{API}/bookings", json=payload, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["id"] in created
    assert again.headers.get("Idempotent-Replayed") == "true"
    rows = await bookings_of(dbctx, rt)
    assert len(rows) == 1 and rows[0].status == Status.reserved
    await assert_counters_match_bookings(dbctx)


async def test_same_room_out_of_order_twice_at_once(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    """Two staff members mark the same room out of order (then back) at the same moment: the sellable
    total moves by one room, not two."""
    h = await live_hotel(http, rooms=4)
    owner, rt, rooms = h["owner"], h["rt"][0], h["room_ids"][0]
    for status in ("out_of_order", "available", "out_of_order"):
        responses = await gather_responses(
            http.patch(f"{API}/properties/{h['pid']}/rooms/{rid}", headers=owner, json={"status": status})
            for rid in rooms[:2]
            for _ in range(3)
        )
        assert_no_5xx(responses, live.log_tail())
        assert {r.status_code for r in responses} == {200}, tally(responses)
        await assert_totals_match_rooms(dbctx, rt, day(-LEAD_DAYS + 1))
    await assert_counters_match_bookings(dbctx)


async def test_simultaneous_check_ins_get_different_rooms(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    """Arrivals checked in at the same moment by two desks, rooms picked automatically: each gets its
    own room while free rooms remain (no spurious 409 because both picked the same first room)."""
    rooms = 4
    h = await live_hotel(http, rooms=rooms, at_property=True)
    owner, rt = h["owner"], h["rt"][0]
    for rid in h["room_ids"][0]:
        r = await http.patch(
            f"{API}/properties/{h['pid']}/rooms/{rid}", headers=owner, json={"housekeeping": "clean"}
        )
        assert r.status_code == 200, r.text
    ids = []
    for i in range(rooms):
        stay_body = body(rt, -LEAD_DAYS, -LEAD_DAYS + 2, 500 + i)  # arriving today
        r = await http.post(
            f"{API}/properties/{h['pid']}/bookings", headers=owner, json={**stay_body, "confirm": True}
        )
        assert r.status_code == 201 and r.json()["status"] == "confirmed", r.text
        ids.append(r.json()["id"])
    responses = await gather_responses(
        http.post(f"{API}/bookings/{bid}/check-in", headers=owner, json={}) for bid in ids
    )
    assert_no_5xx(responses, live.log_tail())
    assert [r.status_code for r in responses] == [200] * rooms, tally(responses)
    await assert_counters_match_bookings(dbctx)


async def test_lapsed_holds_are_reclaimed_by_exactly_k_racing_sales(
    live: Server, http: httpx.AsyncClient, dbctx: Any
) -> None:
    """K rooms all held by reservations that have just lapsed (no sweeper runs): N clients race for
    them, and the sales reclaim the holds themselves (invariant 3): exactly K succeed."""
    k, n = 4, 40
    h = await live_hotel(http, rooms=k)
    rt = h["rt"][0]
    first = await gather_responses(
        http.post(f"{API}/bookings", json=body(rt, 5, 8, 900 + i)) for i in range(k)
    )
    assert [r.status_code for r in first] == [201] * k
    async with dbctx.db.unit_of_work() as session:  # the holds run out (the server's clock is real)
        await session.execute(
            update(Booking)
            .where(Booking.room_type_id == uuid.UUID(rt))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=body(rt, 6, 7 + i % 3, 950 + i)) for i in range(n)
    )
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert counts == {(201, ""): k, (409, "inventory.unavailable"): n - k}, counts
    statuses = sorted(b.status for b in await bookings_of(dbctx, rt))
    assert statuses == ["expired"] * k + ["reserved"] * k, statuses
    await assert_counters_match_bookings(dbctx)


# -- slots of an hourly resource: the database keeps two active bookings from overlapping, buffers
# included (one server per backend for this whole module: starting one costs ~10 s)


async def live_hall(http: httpx.AsyncClient, *, buffer_after: int = 0) -> str:
    return (await live_hall_of(await user(http), http, buffer_after=buffer_after))[1]


async def live_hall_of(
    owner: dict[str, str], http: httpx.AsyncClient, *, buffer_after: int = 0
) -> tuple[str, str]:
    """A hall open 08:00-22:00 every day at a new venue of ``owner``: (property id, resource id)."""
    prop = await create_property(http, owner, name=f"Race Venue {uuid.uuid4().hex[:6]}", kind="venue")
    assert (await http.post(f"{API}/properties/{prop['id']}/activate", headers=owner)).status_code == 200
    r = await http.post(
        f"{API}/properties/{prop['id']}/resources",
        headers=owner,
        json={
            "kind": "hall",
            "name": "Race Hall",
            "capacity": 100,
            "hourly_price": "80.00",
            "buffer_after_minutes": buffer_after,
        },
    )
    assert r.status_code == 201, r.text
    rid: str = r.json()["id"]
    windows = [{"weekday": d, "start": "08:00", "end": "22:00"} for d in range(7)]
    r = await http.put(
        f"{API}/properties/{prop['id']}/resources/{rid}/availability",
        json={"windows": windows},
        headers=owner,
    )
    assert r.status_code == 200, r.text
    return prop["id"], rid


def slot(rid: str, start_minute: int, minutes: int, i: int) -> dict[str, Any]:
    """A slot on the race day, as naive local times (read in the venue's time zone)."""

    def local(minute: int) -> str:
        hours, minutes_ = divmod(minute, 60)
        return f"{day(0).isoformat()}T{hours:02d}:{minutes_:02d}:00"

    return {
        "resource_id": rid,
        "start": local(start_minute),
        "end": local(start_minute + minutes),
        "contact": {"name": f"Racer {i}", "email": f"racer{i}@example.com"},
    }


async def active_ranges(database_url: str, rid: str) -> list[tuple[Any, Any]]:
    ctx = db_context(database_url)
    try:
        async with ctx.db.unit_of_work(write=False) as session:
            rows = await session.execute(
                select(ResourceAllocation.starts_at, ResourceAllocation.ends_at).where(
                    ResourceAllocation.resource_id == uuid.UUID(rid), ResourceAllocation.active.is_(True)
                )
            )
            return [(a, b) for a, b in rows.all()]
    finally:
        await ctx.db.dispose()


async def test_forty_clients_for_the_same_hour_get_exactly_one_booking(
    live: Server, http: httpx.AsyncClient
) -> None:
    rid = await live_hall(http)
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=slot(rid, 10 * 60, 60, i)) for i in range(40)
    )
    assert_no_5xx(responses, live.log_tail())
    assert tally(responses) == {(201, ""): 1, (409, "slot.unavailable"): 39}, tally(responses)
    assert len(await active_ranges(live.database_url, rid)) == 1


async def test_overlapping_ranges_with_buffers_never_both_win(live: Server, http: httpx.AsyncClient) -> None:
    rid = await live_hall(http, buffer_after=30)
    # 40 requests: starts every 30 minutes from 09:00, 60 to 150 minutes long: many overlap
    wanted = [(9 * 60 + 30 * (i % 16), 60 + 30 * (i % 4)) for i in range(40)]
    responses = await gather_responses(
        http.post(f"{API}/bookings", json=slot(rid, start, length, i))
        for i, (start, length) in enumerate(wanted)
    )
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    assert set(counts) <= {(201, ""), (409, "slot.unavailable")}, counts
    ranges = await active_ranges(live.database_url, rid)
    assert len(ranges) == counts[(201, "")] >= 3, counts
    for (a_start, a_end), (b_start, b_end) in itertools.combinations(ranges, 2):
        assert a_end <= b_start or b_end <= a_start, ((a_start, a_end), (b_start, b_end))


async def test_closures_racing_bookings_never_close_booked_time(
    live: Server, http: httpx.AsyncClient
) -> None:
    """Each hour of the day gets a closure and three bookings at once: a closure that is accepted has no
    active booking inside it, and one refused (409 resource_exception.booked) has exactly one."""
    owner = await user(http)
    pid, rid = await live_hall_of(owner, http)
    closures = f"{API}/properties/{pid}/resources/{rid}/exceptions"
    hours = range(8, 21)

    def closure(hour: int) -> dict[str, Any]:
        window = slot(rid, hour * 60, 60, 0)
        return {"start": window["start"], "end": window["end"], "kind": "closed"}

    requests = []
    for hour in hours:
        requests.append(http.post(closures, json=closure(hour), headers=owner))
        requests += [
            http.post(f"{API}/bookings", json=slot(rid, hour * 60, 60, hour * 10 + i)) for i in range(3)
        ]
    responses = await gather_responses(requests)
    assert_no_5xx(responses, live.log_tail())
    counts = tally(responses)
    # a booking checked after a closure committed is outside availability (422); one checked before
    # it but locked after is 409 slot.unavailable
    allowed = {(201, ""), (409, "slot.unavailable"), (422, "slot.outside_availability")}
    assert set(counts) <= allowed | {(409, "resource_exception.booked")}, counts
    ranges = await active_ranges(live.database_url, rid)
    closed = (await http.get(closures, headers=owner, params={"from": str(day(0))})).json()
    assert len(ranges) + len(closed["items"]) == len(hours), (ranges, closed)
    for item in closed["items"]:
        start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        assert not [r for r in ranges if r[0] < end and r[1] > start], (item, ranges)
