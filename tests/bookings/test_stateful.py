"""A Hypothesis state machine drives the booking engine through the API (in process, injected clock).

Rules: book, modify (dates, rooms, room type), cancel, staff confirm (pay-at-property policy), let
holds lapse (reclaimed by the next sale or swept by the expiry job), check in (clock moved to the
arrival day, rooms cleaned), check out early, run the no-show job, take rooms out of order and back,
close and reopen nights in bulk. After every step: each counter equals what the booking rows imply,
is never negative and never above the total (tests/bookings/support.py), and no answer is a 5xx or an
unexpected status. Runs on SQLite, and on PostgreSQL when ``INNKEEPER_TEST_DATABASE_URL`` is set.

Hypothesis drives plain sync rules; each example owns one asyncio event loop (``asyncio.Runner``)
that runs the ASGI app, its lifespan and the httpx client.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from innkeeper.app import build_runner
from innkeeper.bookings.service.expiry import mark_no_shows, sweep_expired
from innkeeper.config import Settings
from innkeeper.kit.clock import clock, local_today
from tests.bookings.support import assert_counters_match_bookings
from tests.catalog_support import NOW, add_room_type, make_hotel, user
from tests.conftest import TEST_SECRET, app_fingerprint, app_for, release_app, truncate_postgres
from tests.helpers import API

HOLD_TTL = 600
TZ = "Europe/Lisbon"
SERVER_ERROR = 500

#: Set per test run: the app settings and, once made, the owner's token (reused across examples).
WORLD: dict[str, Any] = {}


def problem_code(r: httpx.Response) -> str:
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/problem+json"):
        return str(r.json().get("code", ""))
    return ""


class BookingMachine(RuleBasedStateMachine):
    counter: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.Runner()
        self.lifespan: Any = None
        self.bookings: list[dict[str, str]] = []
        self.run(self._start())

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro)

    async def _start(self) -> None:
        self.app = app_for(WORLD["settings"])  # built by the first example, reused by the others
        self.fingerprint = app_fingerprint(self.app)
        self.lifespan = self.app.router.lifespan_context(self.app)
        await self.lifespan.__aenter__()
        self.ctx = self.app.state.ctx
        transport = httpx.ASGITransport(app=self.app, client=("203.0.113.9", 50000))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        if "owner" not in WORLD:
            WORLD["owner"] = await user(self.client)
        self.owner: dict[str, str] = WORLD["owner"]
        BookingMachine.counter += 1
        prop, rt = await make_hotel(
            self.client, self.owner, rooms=3, name=f"Machine {BookingMachine.counter}"
        )
        twin = await add_room_type(self.client, self.owner, prop["id"], rooms=2, code="TWN")
        self.pid = prop["id"]
        self.rts: list[str] = [rt["id"], twin["id"]]
        self.rooms: list[str] = rt["room_ids"] + twin["room_ids"]
        r = await self.client.patch(
            f"{API}/properties/{self.pid}",
            headers=self.owner,
            json={"payment_policy": {"mode": "at_property"}},
        )
        assert r.status_code == 200, r.text

    def teardown(self) -> None:
        async def stop() -> None:
            await self.client.aclose()
            await self.lifespan.__aexit__(None, None, None)

        try:
            if self.lifespan is not None:
                self.run(stop())
                release_app(WORLD["settings"], self.app, self.fingerprint)
        finally:
            self.loop.close()

    # -- helpers -------------------------------------------------------------------------------------

    def today(self) -> Any:
        return local_today(TZ)

    def offset(self, days: int) -> str:
        return (self.today() + timedelta(days=days)).isoformat()

    def call(self, method: str, path: str, allowed: set[tuple[int, str]], **kwargs: Any) -> httpx.Response:
        r: httpx.Response = self.run(self.client.request(method, f"{API}{path}", **kwargs))
        assert r.status_code < SERVER_ERROR, r.text
        key = (r.status_code, problem_code(r))
        WORLD["seen"][(method, path.rsplit("/", 1)[-1] if path.count("/") > 2 else path, key)] += 1
        assert key in allowed or (r.status_code, "*") in allowed, (method, path, kwargs.get("json"), r.text)
        return r

    def pick(self, index: int, *statuses: str) -> dict[str, str] | None:
        """A booking of this hotel, among those in ``statuses`` when given (None if there is none)."""
        if not statuses:
            return self.bookings[index % len(self.bookings)]
        r = self.run(
            self.client.get(
                f"{API}/bookings", headers=self.owner, params={"property_id": self.pid, "limit": 100}
            )
        )
        ids = sorted(x["id"] for x in r.json()["items"] if x["status"] in statuses)
        if not ids:
            return None
        return next(b for b in self.bookings if b["id"] == ids[index % len(ids)])

    def guest(self, b: dict[str, str]) -> dict[str, str]:
        return {"X-Guest-Token": b["token"]}

    # -- rules ---------------------------------------------------------------------------------------

    @rule(
        start=st.integers(0, 12),
        nights=st.integers(1, 4),
        rooms=st.integers(1, 2),
        rt=st.integers(0, 1),
        confirm=st.booleans(),
    )
    def book(self, start: int, nights: int, rooms: int, rt: int, confirm: bool) -> None:
        n = len(self.bookings)
        body = {
            "room_type_id": self.rts[rt],
            "checkin": self.offset(start),
            "checkout": self.offset(start + nights),
            "rooms": rooms,
            "guests": rooms,
            "contact": {"name": f"Guest {n}", "email": f"guest{n}@example.com"},
        }
        r = self.call(
            "POST",
            "/bookings",
            {(201, ""), (409, "inventory.unavailable"), (409, "inventory.restricted")},
            json=body,
        )
        if r.status_code == 201:
            self.bookings.append({"id": r.json()["id"], "token": r.json()["guest_token"]})
            if confirm:  # staff confirm at once (pay at the property): sold nights early in the run
                self.call("POST", f"/bookings/{r.json()['id']}/confirm", {(200, "")}, headers=self.owner)

    @precondition(lambda self: self.bookings)
    @rule(
        i=st.integers(0, 100),
        change=st.sampled_from(["shift", "extend", "shorten", "rooms", "room_type"]),
        amount=st.integers(-2, 2),
    )
    def modify(self, i: int, change: str, amount: int) -> None:
        b = self.pick(i, "reserved", "guests_added", "confirmed") or self.pick(i)
        assert b is not None
        current = self.run(self.client.get(f"{API}/bookings/{b['id']}", headers=self.guest(b))).json()
        checkin = datetime.fromisoformat(current["checkin"]).date()
        checkout = datetime.fromisoformat(current["checkout"]).date()
        body: dict[str, Any]
        if change == "shift":
            body = {
                "checkin": (checkin + timedelta(days=amount)).isoformat(),
                "checkout": (checkout + timedelta(days=amount)).isoformat(),
            }
        elif change == "extend":
            body = {"checkout": (checkout + timedelta(days=abs(amount) + 1)).isoformat()}
        elif change == "shorten":
            body = {"checkout": max(checkin + timedelta(days=1), checkout - timedelta(days=1)).isoformat()}
        elif change == "rooms":
            rooms = 1 + (current["rooms"] % 2)
            body = {"rooms": rooms, "guests": max(rooms, current["guests"])}
        else:
            other = self.rts[1] if current["room_type_id"] == self.rts[0] else self.rts[0]
            body = {"room_type_id": other}
        self.call(
            "POST",
            f"/bookings/{b['id']}/modify",
            {
                (200, ""),
                (409, "inventory.unavailable"),
                (409, "inventory.restricted"),
                (409, "booking.illegal_transition"),
                (409, "booking.expired"),
                (409, "inventory.capacity"),
                (422, "booking.invalid"),
                (422, "stay.invalid"),
            },
            json=body,
            headers=self.guest(b),
        )

    @precondition(lambda self: self.bookings)
    @rule(i=st.integers(0, 100))
    def cancel(self, i: int) -> None:
        b = self.pick(i)
        assert b is not None
        self.call(
            "POST",
            f"/bookings/{b['id']}/cancel",
            {(200, ""), (409, "booking.illegal_transition"), (409, "booking.expired")},
            json={},
            headers=self.guest(b),
        )

    @precondition(lambda self: self.bookings)
    @rule(i=st.integers(0, 100))
    def confirm(self, i: int) -> None:
        b = self.pick(i, "reserved", "guests_added", "payment_pending")
        if b is None:
            return
        self.call(
            "POST",
            f"/bookings/{b['id']}/confirm",
            {(200, ""), (409, "booking.illegal_transition"), (409, "booking.expired")},
            headers=self.owner,
        )

    @rule(sweep=st.booleans())
    def holds_lapse(self, sweep: bool) -> None:
        """Unpaid holds run out; either the expiry job sweeps them, or the next sale reclaims them."""
        clock.advance(timedelta(seconds=HOLD_TTL + 1))
        if sweep:
            self.run(self._sweep())

    async def _sweep(self) -> None:
        async with self.ctx.db.unit_of_work() as session:
            await sweep_expired(session)

    @rule(days=st.integers(1, 2))
    def days_pass_and_no_shows(self, days: int) -> None:
        clock.advance(timedelta(days=days))
        self.run(self._no_shows())

    async def _no_shows(self) -> None:
        async with self.ctx.db.unit_of_work() as session:
            await mark_no_shows(session)

    @precondition(lambda self: self.bookings)
    @rule(i=st.integers(0, 100))
    def check_in(self, i: int) -> None:
        b = self.pick(i, "confirmed")
        if b is None:
            return
        current = self.run(self.client.get(f"{API}/bookings/{b['id']}", headers=self.owner)).json()
        checkin = datetime.fromisoformat(current["checkin"]).date()
        if current["status"] == "confirmed" and checkin > self.today():
            arrival = datetime.combine(checkin, time(15), ZoneInfo(TZ))
            clock.advance(arrival - clock.now())
        for room in self.rooms:
            self.call(
                "PATCH",
                f"/properties/{self.pid}/rooms/{room}",
                {(200, "")},
                json={"housekeeping": "clean"},
                headers=self.owner,
            )
        self.call(
            "POST",
            f"/bookings/{b['id']}/check-in",
            {
                (200, ""),
                (409, "booking.illegal_transition"),
                (409, "booking.not_arrival_day"),
                (409, "room.unavailable"),
            },
            json={},
            headers=self.owner,
        )

    @precondition(lambda self: self.bookings)
    @rule(i=st.integers(0, 100), days=st.integers(0, 2))
    def check_out(self, i: int, days: int) -> None:
        b = self.pick(i, "checked_in")
        if b is None:
            return
        clock.advance(timedelta(days=days))
        # consolidated check-out: settle the folio by card at the desk, the payment succeeds, the
        # check-out completes by itself (a job)
        r = self.call(
            "POST",
            f"/bookings/{b['id']}/check-out",
            {(200, ""), (202, ""), (409, "booking.illegal_transition")},
            headers=self.owner,
            json={"settle": "card"},
        )
        if r.status_code == 202:
            for payment in r.json()["payments"]:
                self.call(
                    "POST", f"/payments/{payment['id']}/simulate", {(202, "")}, json={"outcome": "succeeded"}
                )
            self.run(build_runner(self.ctx).drain())

    @rule(room=st.integers(0, 4), out=st.booleans())
    def room_status(self, room: int, out: bool) -> None:
        self.call(
            "PATCH",
            f"/properties/{self.pid}/rooms/{self.rooms[room]}",
            {(200, ""), (409, "inventory.below_sold")},
            json={"status": "out_of_order" if out else "available"},
            headers=self.owner,
        )

    @rule(rt=st.integers(0, 1), start=st.integers(0, 12), nights=st.integers(1, 5), closed=st.booleans())
    def bulk_close(self, rt: int, start: int, nights: int, closed: bool) -> None:
        self.call(
            "PUT",
            f"/properties/{self.pid}/inventory",
            {(200, "")},
            json={
                "room_type_id": self.rts[rt],
                "from": self.offset(start),
                "to": self.offset(start + nights),
                "closed": closed,
            },
            headers=self.owner,
        )

    @invariant()
    def counters_match_bookings(self) -> None:
        self.run(assert_counters_match_bookings(self.ctx, self.rts))


@pytest.mark.parametrize("steps", [20])
def test_booking_engine_state_machine(backend: str, database_url: str, steps: int) -> None:
    if backend == "postgres":
        asyncio.run(truncate_postgres(database_url))
    WORLD.clear()
    WORLD["seen"] = Counter()
    WORLD["settings"] = Settings(
        env="test",
        secret_key=TEST_SECRET,
        database_url=database_url,
        redis_url=None,
        run_jobs_in_process=False,
        log_level="WARNING",
        hold_ttl_seconds=HOLD_TTL,
        inventory_horizon_days=60,
        access_token_ttl_seconds=400 * 86400,  # the clock moves days ahead; the owner's token must last
        refresh_token_ttl_days=400,
        write_rate_limit="1000000/minute",
        auth_rate_limit="1000000/minute",
        # argon2id at its cheapest, as in tests/conftest.py: every example builds a context, and each
        # context hashes a dummy password at the configured cost (~0.2 s at the production defaults)
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    clock.freeze(NOW)  # only ever moves forward from here, across examples too
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    seen = WORLD["seen"]
    print("\n".join(f"{k}: {v}" for k, v in sorted(seen.items(), key=str) if k[1] != "inventory"))
    # the run reached the interesting transitions, not just refusals
    assert seen[("POST", "/bookings", (201, ""))] and seen[("POST", "confirm", (200, ""))]
