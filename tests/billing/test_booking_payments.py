"""Payments on bookings: policies confirm, bad input moves nothing, cancellation refunds, late money."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.billing.models import FolioEntry
from innkeeper.bookings.service.payment import deposit_split
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.payments.models import Payment, Refund
from innkeeper.reports import payments as reports
from tests.billing.support import customer, eur, get, pay, policies, simulate
from tests.bookings.support import assert_counters_match_bookings, book, hotel
from tests.catalog_support import d, freeze
from tests.helpers import API, assert_problem
from tests.payments.support import count


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}


@pytest.mark.parametrize(
    ("total", "currency", "percent", "deposit"),
    [(20002, "EUR", 33, 6601), (10001, "JPY", 33, 3300), (10005, "JPY", 50, 5003), (1, "EUR", 50, 1)],
)
def test_deposit_rounds_half_up_and_parts_add_up(
    total: int, currency: str, percent: int, deposit: int
) -> None:
    dep, rest = deposit_split(Money(total, currency), percent)
    assert dep.minor == deposit and dep.minor + rest.minor == total


async def test_prepay_by_card_confirms_and_bad_input_moves_nothing(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    # a guest without an account pays with the booking's guest token
    b = await book(client, h)
    guest = {"X-Guest-Token": b["guest_token"]}
    assert b["balance_due"] == eur("200.00") and b["payment_status"] == "unpaid"
    for body, code in (
        ({"amount": eur("0.00")}, "payment.amount_invalid"),
        ({"amount": eur("-5.00")}, "payment.amount_invalid"),
        ({"amount": eur("200.01")}, "payment.exceeds_balance"),
        ({"amount": {"amount": "10.00", "currency": "USD"}}, "payment.currency_mismatch"),
        ({"method": "wallet"}, "payment.method_unavailable"),
    ):
        r = await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "card", **body},
            headers={**guest, "Idempotency-Key": code},
        )
        assert_problem(r, 422, code)
    assert await count(ctx, Payment) == 0
    assert_problem(
        await client.post(
            f"{API}/bookings/{b['id']}/payments", json={"method": "card"}, headers={"Idempotency-Key": "x"}
        ),
        404,
    )
    p = await pay(client, b["id"], guest, key="k1")
    assert p["status"] == "requires_payment" and p["amount"] == eur("200.00") and p["checkout_url"]
    assert (await pay(client, b["id"], guest, key="k1"))["id"] == p["id"]  # a retry replays
    seen = await get(client, b["id"], guest)
    assert seen["status"] == "payment_pending" and seen["payment_status"] == "unpaid"
    await simulate(client, runner, p["id"], "failed")
    assert (await get(client, b["id"], guest))["status"] == "payment_pending"
    p2 = await pay(client, b["id"], guest)
    await simulate(client, runner, p2["id"])
    seen = await get(client, b["id"], guest)
    assert seen["status"] == "confirmed" and seen["payment_status"] == "paid"
    assert seen["paid"] == eur("200.00") and seen["balance_due"] == eur("0.00")
    outbox = (await client.get("/dev/outbox.json")).json()["items"]
    assert any(m["subject"].startswith("Booking confirmed") for m in outbox)
    folio = (await client.get(f"{API}/bookings/{b['id']}/folio", headers=guest)).json()
    assert [(i["kind"], i["category"]) for i in folio["items"]] == [
        ("charge", "accommodation"),
        ("charge", "accommodation"),
        ("payment", "payment"),
    ]
    assert folio["balance"] == eur("0.00")
    # the hotel's list shows the same money as the booking itself (read from the folio)
    listed = (
        await client.get(f"{API}/bookings", params={"property_id": h["pid"]}, headers=h["owner"])
    ).json()
    assert [(x["paid"], x["balance_due"]) for x in listed["items"]] == [(eur("200.00"), eur("0.00"))]
    # nothing more is due
    assert_problem(
        await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "card"},
            headers={**guest, "Idempotency-Key": "k9"},
        ),
        422,
        "payment.amount_invalid",
    )
    await assert_counters_match_bookings(ctx)


async def test_concurrent_duplicates_with_one_key_make_one_payment(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client)
    me, _ = await customer(client, ctx)
    b = await book(client, h, me)
    results = await asyncio.gather(
        *(
            client.post(
                f"{API}/bookings/{b['id']}/payments",
                json={"method": "card"},
                headers={**me, "Idempotency-Key": "same-key"},
            )
            for _ in range(4)
        )
    )
    assert {r.status_code for r in results} <= {201, 409}
    assert len({r.json()["id"] for r in results if r.status_code == 201}) == 1
    assert await count(ctx, Payment) == 1


async def test_deposit_wallet_and_card_then_cancel_refunds_to_wallet_by_tiers(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, price="100.01")
    await policies(
        client,
        h,
        payment_policy={"mode": "deposit", "deposit_percent": 33},
        cancellation_policy={"preset": "hall_tiers"},
        refund_destination="wallet",
    )
    me, _ = await customer(client, ctx, Money(2000, "EUR"))
    b = await book(client, h, me)
    assert b["total"] == eur("200.02")
    # the default amount is the deposit: 33 % of 200.02 = 66.0066 -> 66.01; 20.00 of it from the wallet
    p = await pay(client, b["id"], me, from_wallet=eur("20.00"))
    assert p["amount"] == eur("46.01") and [x["method"] for x in p["payments"]] == ["wallet", "card"]
    seen = await get(client, b["id"], me)
    assert seen["status"] == "payment_pending" and seen["payment_status"] == "partially_paid"
    await simulate(client, runner, p["id"])
    seen = await get(client, b["id"], me)
    assert seen["status"] == "confirmed" and seen["payment_status"] == "partially_paid"
    assert seen["balance_due"] == eur("134.01")
    # more than 48 h before arrival: 75 % of the 66.01 paid = 49.5075 -> 49.51 back, 16.50 kept
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.status_code == 200, r.text
    assert r.json()["refund"]["amount"] == eur("49.51") and r.json()["refund"]["destination"] == "wallet"
    await runner.drain()
    seen = await get(client, b["id"], me)
    assert seen["status"] == "cancelled" and seen["payment_status"] == "partially_refunded"
    assert seen["paid"] == eur("16.50") and seen["balance_due"] == eur("0.00")
    assert seen["refund_due"] == eur("0.00")  # it landed in the wallet: nothing is due any more
    wallet = (await client.get(f"{API}/users/me/wallet", headers=me)).json()
    assert wallet["balance"] == eur("49.51")  # 20.00 - 20.00 paid + 49.51 refunded
    folio = (await client.get(f"{API}/bookings/{b['id']}/folio", headers=me)).json()
    assert folio["balance"] == eur("0.00") and folio["charges"] == eur("16.50")
    refunds = sum(r.amount_minor for r in await _all(ctx, Refund))
    assert refunds == 4951
    # refunding twice, paying a cancelled booking: 409, nothing moved
    assert_problem(await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={}), 409)
    assert_problem(
        await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "card"},
            headers={**me, "Idempotency-Key": "z"},
        ),
        409,
        "booking.illegal_transition",
    )
    assert await count(ctx, Refund) == 2 and await count(ctx, Payment) == 2
    await assert_counters_match_bookings(ctx)
    await assert_reconciled(ctx)


async def test_late_success_retakes_free_rooms_or_is_refunded(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, rooms=1)
    me, _ = await customer(client, ctx)
    lucky = await book(client, h, me, start=5, end=6)
    unlucky = await book(client, h, me, start=10, end=11)
    p_lucky = await pay(client, lucky["id"], me)
    p_unlucky = await pay(client, unlucky["id"], me)
    clock.advance(timedelta(hours=1))  # both holds lapse
    other, _ = await customer(client, ctx)
    await book(client, h, other, start=10, end=11)  # takes the unlucky booking's room
    await simulate(client, runner, p_lucky["id"])
    await simulate(client, runner, p_unlucky["id"])
    seen = await get(client, lucky["id"], me)
    assert seen["status"] == "confirmed" and seen["payment_status"] == "paid"
    seen = await get(client, unlucky["id"], me)
    assert seen["status"] == "expired" and seen["payment_status"] == "refunded"
    payment = (await client.get(f"{API}/payments/{p_unlucky['id']}", headers=me)).json()
    assert payment["amount_refunded"] == payment["amount_received"] == eur("100.00")
    assert_problem(
        await client.post(
            f"{API}/bookings/{unlucky['id']}/payments",
            json={"method": "card"},
            headers={**me, "Idempotency-Key": "e"},
        ),
        409,
    )
    await assert_counters_match_bookings(ctx)
    await assert_reconciled(ctx)


async def assert_reconciled(ctx: AppContext) -> None:
    async with ctx.db.unit_of_work(write=False) as session:
        _, findings = await reports.reconcile(session)
    assert findings == []


async def _all(ctx: AppContext, model: Any) -> list[Any]:
    async with ctx.db.unit_of_work(write=False) as session:
        return list((await session.scalars(select(model))).all())


async def test_modify_posts_adjusting_rows_and_refunds_the_excess(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    me, _ = await customer(client, ctx, Money(50000, "EUR"))
    b = await book(client, h, me, start=10, end=13)
    await pay(client, b["id"], me, method="wallet")
    assert (await get(client, b["id"], me))["status"] == "confirmed"
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkout": d(10)})
    assert r.status_code == 422  # bad dates move nothing
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=me, json={"checkout": d(12)})
    assert r.status_code == 200, r.text
    await runner.drain()
    seen = await get(client, b["id"], me)
    assert seen["total"] == eur("200.00") and seen["paid"] == eur("200.00")
    assert seen["payment_status"] == "partially_refunded" and seen["balance_due"] == eur("0.00")
    rows = await _all(ctx, FolioEntry)
    adjusting = [e for e in rows if e.kind == "charge" and e.amount_minor < 0]
    assert len(adjusting) == 1 and adjusting[0].amount_minor == -10000
    assert sum(e.amount_minor for e in rows if e.kind == "charge") == 20000
    await assert_reconciled(ctx)


async def test_zero_decimal_currency_deposit_and_tiered_refund_add_up(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, currency="JPY", price="10001", country="JP", timezone="Asia/Tokyo")
    await policies(
        client,
        h,
        payment_policy={"mode": "deposit", "deposit_percent": 33},
        cancellation_policy={"preset": "hall_tiers"},
        refund_destination="wallet",
    )
    me, _ = await customer(client, ctx, Money(100000, "JPY"))
    b = await book(client, h, me, start=2, end=3)  # arrival 15:00 Tokyo in 44 h: 50 % back
    jpy = lambda amount: {"amount": amount, "currency": "JPY"}  # noqa: E731
    assert_problem(
        await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "wallet", "amount": jpy("10.5")},
            headers={**me, "Idempotency-Key": "frac"},
        ),
        422,
        "money.precision",
    )
    p = await pay(client, b["id"], me, method="wallet")
    assert p["amount"] == jpy("3300")  # 33 % of 10001 = 3300.33 -> 3300
    seen = await get(client, b["id"], me)
    assert seen["status"] == "confirmed" and seen["balance_due"] == jpy("6701")
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.status_code == 200, r.text
    assert r.json()["refund"]["amount"] == jpy("1650") and r.json()["refund"]["percent"] == 50
    seen = await get(client, b["id"], me)
    assert seen["paid"] == jpy("1650") and seen["payment_status"] == "partially_refunded"
    wallet = (await client.get(f"{API}/users/me/wallet?currency=JPY", headers=me)).json()
    assert wallet["balance"] == jpy(str(100000 - 3300 + 1650))
    await assert_reconciled(ctx)


async def test_success_after_cancellation_is_refunded_in_full(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    me, _ = await customer(client, ctx)
    b = await book(client, h, me)
    p = await pay(client, b["id"], me)
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.json()["refund"]["amount"] == eur("0.00")
    await simulate(client, runner, p["id"])  # the guest's card payment won the race
    seen = await get(client, b["id"], me)
    assert seen["status"] == "cancelled" and seen["payment_status"] == "refunded"
    assert seen["paid"] == eur("0.00") and seen["balance_due"] == eur("0.00")
    payment = (await client.get(f"{API}/payments/{p['id']}", headers=me)).json()
    assert payment["amount_refunded"] == eur("200.00")
    await assert_counters_match_bookings(ctx)
    await assert_reconciled(ctx)


async def test_a_card_refund_is_due_until_it_lands(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    await policies(client, h, cancellation_policy={"preset": "flexible"})
    me, _ = await customer(client, ctx)
    b = await book(client, h, me)
    p = await pay(client, b["id"], me)
    await simulate(client, runner, p["id"])
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={})
    assert r.json()["refund"] == {"amount": eur("200.00"), "percent": 100, "destination": "card"}
    await runner.drain()
    seen = await get(client, b["id"], me)  # the simulated card refunds at once
    assert seen["payment_status"] == "refunded" and seen["refund_due"] == eur("0.00")
