"""Business metrics: bookings by kind and event, 409s by reason, payments by outcome, webhook lag, lock
waits and the job queue, each counted when (and only when) its transaction commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.context import AppContext
from innkeeper.kit import events
from innkeeper.kit.clock import clock
from innkeeper.kit.errors import Conflict
from innkeeper.kit.jobs import FAILED, Job, JobRunner, enqueue
from innkeeper.kit.metrics import lock_label
from tests.bookings.support import book, hotel, stay
from tests.catalog_support import NOW, freeze, user
from tests.helpers import API, assert_problem, bearer, signup
from tests.ops.support import sample


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


def bookings(event: str, kind: str = "stay") -> float:
    return sample("innkeeper_bookings_total", kind=kind, event=event)


async def test_booking_events_are_counted_by_kind_and_event(client: httpx.AsyncClient) -> None:
    h = await hotel(client, rooms=1)
    me = await user(client)
    created, cancelled = bookings("created"), bookings("cancelled")
    sold_out = sample("innkeeper_booking_conflicts_total", reason="inventory.unavailable")
    b = await book(client, h, me)
    assert bookings("created") == created + 1
    # the only room is held: a second stay is refused, counted as a conflict, not as a booking
    r = await client.post(f"{API}/bookings", json=stay(h), headers=await user(client))
    assert_problem(r, 409, "inventory.unavailable")
    assert sample("innkeeper_booking_conflicts_total", reason="inventory.unavailable") == sold_out + 1
    assert bookings("created") == created + 1
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.status_code == 200, r.text
    assert bookings("cancelled") == cancelled + 1


@pytest.fixture
def refuse_bookings() -> Iterator[None]:
    """A reaction that aborts every booking change (as a guard does), for as long as the test runs."""

    async def refuse(_session: AsyncSession, _event: BookingChanged) -> None:
        raise Conflict("Refused by the test", code="test.refused")

    events.on(BookingChanged)(refuse)
    yield
    events.remove(BookingChanged, refuse)


async def test_a_change_that_rolls_back_counts_nothing(
    client: httpx.AsyncClient, refuse_bookings: None
) -> None:
    h = await hotel(client, rooms=1)
    created = bookings("created")
    refused = sample("innkeeper_booking_conflicts_total", reason="test.refused")
    r = await client.post(f"{API}/bookings", json=stay(h), headers=await user(client))
    assert_problem(r, 409, "test.refused")
    assert bookings("created") == created
    assert sample("innkeeper_booking_conflicts_total", reason="test.refused") == refused + 1


async def top_up(client: httpx.AsyncClient, tokens: dict[str, Any], amount: str) -> dict[str, Any]:
    r = await client.post(
        f"{API}/users/me/wallet/top-ups",
        json={"amount": {"amount": amount, "currency": "EUR"}},
        headers=bearer(tokens),
    )
    assert r.status_code == 201, r.text
    payment: dict[str, Any] = r.json()
    return payment


async def test_payments_and_webhook_lag(client: httpx.AsyncClient, runner: JobRunner) -> None:
    tokens = await signup(client)
    before = {o: sample("innkeeper_payments_total", outcome=o) for o in ("created", "succeeded", "failed")}
    lags = sample("innkeeper_webhook_lag_seconds_count")
    late = sample("innkeeper_webhook_lag_seconds_bucket", le="60.0")
    ok, bad = await top_up(client, tokens, "10.00"), await top_up(client, tokens, "20.00")
    assert sample("innkeeper_payments_total", outcome="created") == before["created"] + 2
    for payment, outcome in ((ok, "succeeded"), (bad, "failed")):
        r = await client.post(f"{API}/payments/{payment['id']}/simulate", json={"outcome": outcome})
        assert r.status_code == 202, r.text
    clock.freeze(NOW + timedelta(seconds=90))  # the events wait 90 s in the inbox
    await runner.drain()
    assert sample("innkeeper_payments_total", outcome="succeeded") == before["succeeded"] + 1
    assert sample("innkeeper_payments_total", outcome="failed") == before["failed"] + 1
    assert sample("innkeeper_webhook_lag_seconds_count") == lags + 2
    assert sample("innkeeper_webhook_lag_seconds_bucket", le="60.0") == late  # both over a minute


async def test_job_queue_gauges(ctx: AppContext, runner: JobRunner) -> None:
    async with ctx.db.unit_of_work() as session:
        for minutes in (10, 3):
            enqueue(session, "kit.prune", run_at=NOW - timedelta(minutes=minutes))
        enqueue(session, "kit.prune", run_at=NOW + timedelta(hours=1))  # not due yet
        session.add(Job(kind="kit.prune", status=FAILED, run_at=NOW, finished_at=NOW))
    await runner.report_queue()
    assert sample("innkeeper_job_queue_depth") == 2
    assert sample("innkeeper_job_oldest_age_seconds") == 600
    assert sample("innkeeper_jobs_failed") == 1
    await runner.drain()
    await runner.report_queue()
    assert sample("innkeeper_job_queue_depth") == 0
    assert sample("innkeeper_job_oldest_age_seconds") == 0


async def test_lock_waits_are_timed(client: httpx.AsyncClient, ctx: AppContext) -> None:
    label = "sqlite_write" if ctx.db.is_sqlite else "row:inventory_days"
    before = sample("innkeeper_lock_wait_seconds_count", lock=label)
    await book(client, await hotel(client), await user(client))
    assert sample("innkeeper_lock_wait_seconds_count", lock=label) > before


@pytest.mark.parametrize(
    ("statement", "label"),
    [
        ("BEGIN IMMEDIATE", "sqlite_write"),
        ("SELECT pg_advisory_xact_lock($1)", "advisory"),
        (
            "SELECT inventory_days.id FROM inventory_days WHERE x ORDER BY date FOR UPDATE",
            "row:inventory_days",
        ),
        ('SELECT b.id FROM "bookings" AS b WHERE b.id = $1 FOR NO KEY UPDATE', "row:bookings"),
        ("SELECT 1", None),
        ("UPDATE inventory_days SET held = held + 1", None),
    ],
)
def test_lock_label(statement: str, label: str | None) -> None:
    assert lock_label(statement) == label
