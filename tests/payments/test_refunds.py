"""Refunds never exceed what was paid (per payment, per purpose, under concurrency); bad input is 4xx."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from innkeeper.audit.service import Actor
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import CurrencyMismatch
from innkeeper.payments import service
from innkeeper.payments.errors import RefundExceeds
from innkeeper.payments.models import Payment, Refund
from tests.helpers import API, assert_problem, bearer, signup
from tests.identity.test_admin import make_admin
from tests.payments.support import count, deliver, live_server, load, new_payment, payment_event


async def paid(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner, amount: Money, **kw: Any
) -> Payment:
    payment = await new_payment(ctx, amount, **kw)
    assert (await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))).status_code == 200
    await runner.drain()
    stored: Payment = await load(ctx, Payment, payment.id)
    assert stored.status == "succeeded"
    return stored


def refund_body(amount: str | None, currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict(extra)
    if amount is not None:
        body["amount"] = {"amount": amount, "currency": currency}
    return body


async def test_refunds_up_to_what_was_paid(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await paid(client, ctx, runner, Money(10000, "EUR"))
    admin = bearer(await make_admin(client, ctx))
    url = f"{API}/payments/{payment.id}/refunds"
    first = await client.post(url, json=refund_body("60.00", reason="late check-in"), headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "succeeded" and first.json()["amount"] == {
        "amount": "60.00",
        "currency": "EUR",
    }
    over = await client.post(url, json=refund_body("40.01"), headers=admin)
    body = assert_problem(over, 409, "payment.refund_exceeds")
    assert body["refundable"] == {"amount": "40.00", "currency": "EUR"}
    rest = await client.post(url, json=refund_body(None), headers=admin)  # the rest
    assert rest.status_code == 201 and rest.json()["amount"]["amount"] == "40.00"
    assert_problem(
        await client.post(url, json=refund_body(None), headers=admin), 409, "payment.refund_exceeds"
    )
    assert_problem(
        await client.post(url, json=refund_body("0.01"), headers=admin), 409, "payment.refund_exceeds"
    )
    stored = await load(ctx, Payment, payment.id)
    assert (stored.amount_received_minor, stored.amount_refunded_minor) == (10000, 10000)
    listed = (await client.get(url, headers=admin)).json()
    assert listed["total"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (refund_body("0.00"), 422, "payment.amount_invalid"),
        (refund_body("-5.00"), 422, "payment.amount_invalid"),
        (refund_body("5.00", "USD"), 422, "payment.currency_mismatch"),
        (refund_body("5.001"), 422, "money.precision"),
        (refund_body("abc"), 422, "money.invalid"),
        (refund_body("5.00", "XXZ"), 422, "money.unknown_currency"),
        ({"amount": {"amount": 5.0, "currency": "EUR"}}, 422, "request.validation"),
        ({"destination": "bank"}, 422, "request.validation"),
    ],
)
async def test_bad_refund_input_moves_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    runner: JobRunner,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    payment = await paid(client, ctx, runner, Money(1000, "EUR"))
    admin = bearer(await make_admin(client, ctx))
    r = await client.post(f"{API}/payments/{payment.id}/refunds", json=body, headers=admin)
    assert_problem(r, status, code)
    assert await count(ctx, Refund) == 0
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 0


async def test_refund_needs_a_succeeded_payment_and_an_admin(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    admin = bearer(await make_admin(client, ctx))
    url = f"{API}/payments/{payment.id}/refunds"
    assert_problem(await client.post(url, json={}, headers=admin), 409, "payment.not_refundable")
    assert_problem(await client.post(url, json={}, headers=bearer(await signup(client))), 403)
    r = await client.post(f"{API}/payments/{uuid.uuid4()}/refunds", json={}, headers=admin)
    assert_problem(r, 404, "payment.not_found")


async def test_refund_to_wallet(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> None:
    tokens = await signup(client)
    user_id = uuid.UUID(tokens["user"]["id"])
    payment = await paid(client, ctx, runner, Money(5000, "EUR"), purpose_type="booking", user_id=user_id)
    admin = bearer(await make_admin(client, ctx))
    r = await client.post(
        f"{API}/payments/{payment.id}/refunds",
        json=refund_body("12.34", destination="wallet", reason="hall tier 50%"),
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["destination"] == "wallet"
    wallet = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert wallet["balance"] == {"amount": "12.34", "currency": "EUR"}
    assert wallet["items"][0]["kind"] == "refund"


async def test_refund_is_idempotent_by_key(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await paid(client, ctx, runner, Money(1000, "EUR"))
    headers = {**bearer(await make_admin(client, ctx)), "Idempotency-Key": "refund-abc"}
    url = f"{API}/payments/{payment.id}/refunds"
    first = await client.post(url, json=refund_body("4.00"), headers=headers)
    again = await client.post(url, json=refund_body("4.00"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert await count(ctx, Refund) == 1


async def test_concurrent_refunds_never_exceed_the_payment(
    app: Any, client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await paid(client, ctx, runner, Money(10000, "EUR"))
    admin = bearer(await make_admin(client, ctx))
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        results = await asyncio.gather(
            *(
                http.post(
                    f"{API}/payments/{payment.id}/refunds",
                    json=refund_body("40.00"),
                    headers={**admin, "Idempotency-Key": f"r-{i}"},
                )
                for i in range(6)
            )
        )
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 2, [r.text for r in results]
    assert all(c == 409 for c in codes if c != 201), [r.text for r in results]
    stored = await load(ctx, Payment, payment.id)
    assert stored.amount_refunded_minor == 8000
    assert await count(ctx, Refund) == 2


async def test_refunds_for_a_purpose_never_exceed_its_total(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    first = await paid(client, ctx, runner, Money(3000, "EUR"), purpose_type="booking", purpose_id="b1")
    second = await paid(client, ctx, runner, Money(2000, "EUR"), purpose_type="booking", purpose_id="b1")
    await paid(client, ctx, runner, Money(9999, "EUR"), purpose_type="booking", purpose_id="other")
    actor = Actor.system("test")
    with pytest.raises(RefundExceeds):
        async with ctx.db.unit_of_work() as session:
            await service.refund_purpose(
                ctx, session, actor, purpose_type="booking", purpose_id="b1", amount=Money(5001, "EUR")
            )
    with pytest.raises(CurrencyMismatch):
        async with ctx.db.unit_of_work() as session:
            await service.refund_purpose(
                ctx, session, actor, purpose_type="booking", purpose_id="b1", amount=Money(100, "USD")
            )
    async with ctx.db.unit_of_work() as session:
        refunds = await service.refund_purpose(
            ctx, session, actor, purpose_type="booking", purpose_id="b1", amount=Money(2500, "EUR")
        )
    assert sorted(r.amount_minor for r in refunds) == [500, 2000]  # newest payment first
    async with ctx.db.unit_of_work(write=False) as session:
        assert await service.paid_for_purpose(session, "booking", "b1", "EUR") == Money(2500, "EUR")
    with pytest.raises(RefundExceeds):
        async with ctx.db.unit_of_work() as session:
            await service.refund_purpose(
                ctx, session, actor, purpose_type="booking", purpose_id="b1", amount=Money(2501, "EUR")
            )
    assert (await load(ctx, Payment, first.id)).amount_refunded_minor == 500
    assert (await load(ctx, Payment, second.id)).amount_refunded_minor == 2000
