"""Payments and refunds per day and gateway; the reconciliation check (function, admin API, CLI)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.reports import payments as reports
from tests.billing.support import customer, eur, pay, policies, simulate
from tests.bookings.support import book, hotel
from tests.catalog_support import TODAY, d, freeze, make_admin
from tests.cli_support import run_cli
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def test_report_per_day_and_gateway_and_reconciliation(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner, settings: Any
) -> None:
    h = await hotel(client)
    await policies(client, h, cancellation_policy={"preset": "hall_tiers"}, refund_destination="card")
    me, _ = await customer(client, ctx, Money(5000, "EUR"))
    paid = await book(client, h, me, start=10, end=12)
    p = await pay(client, paid["id"], me, from_wallet=eur("50.00"))
    await simulate(client, runner, p["id"])
    cancelled = await book(client, h, me, start=20, end=21)
    p2 = await pay(client, cancelled["id"], me)
    await simulate(client, runner, p2["id"])
    r = await client.post(f"{API}/bookings/{cancelled['id']}/cancel", headers=me, json={})
    assert r.json()["refund"] == {"amount": eur("75.00"), "destination": "card", "percent": 75}
    await runner.drain()

    report = await client.get(f"{API}/properties/{h['pid']}/reports/payments", headers=h["owner"])
    assert report.status_code == 200, report.text
    rows = {(x["provider"]): x for x in report.json()["items"]}
    assert rows["simulated"]["date"] == TODAY.isoformat()
    assert rows["simulated"]["payments"] == eur("250.00") and rows["simulated"]["payments_count"] == 2
    assert rows["simulated"]["refunds"] == eur("75.00") and rows["simulated"]["net"] == eur("175.00")
    assert rows["wallet"]["payments"] == eur("50.00") and rows["wallet"]["refunds_count"] == 0
    assert_problem(await client.get(f"{API}/properties/{h['pid']}/reports/payments", headers=me), 404)
    assert_problem(
        await client.get(
            f"{API}/properties/{h['pid']}/reports/payments?from={d(5)}&to={d(1)}", headers=h["owner"]
        ),
        422,
    )

    async with ctx.db.unit_of_work(write=False) as session:
        checked, findings = await reports.reconcile(session)
    assert checked == 2 and findings == []
    admin = await make_admin(ctx, client)
    body = (await client.get(f"{API}/admin/billing/reconcile", headers=admin)).json()
    assert body == {"ok": True, "bookings_checked": 2, "findings": []}

    done = await run_cli(settings, "reconcile-billing")
    assert done.exit_code == 0, done.output
    # a tampered cache is found
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(Booking).where(Booking.reference == paid["reference"]).values(payment_status="unpaid")
        )
    done = await run_cli(settings, "reconcile-billing")
    assert done.exit_code == 1 and "disagree" in done.stderr, (done.stdout, done.stderr)
    assert "payment_status" in done.stdout
