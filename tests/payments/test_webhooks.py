"""The webhook inbox: signatures, malformed bodies, duplicates, out-of-order events, retries."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import Job, JobRunner
from innkeeper.kit.money import Money
from innkeeper.payments import hooks
from innkeeper.payments.gateways.registry import simulated
from innkeeper.payments.models import Payment, Refund, WebhookEvent
from tests.helpers import API, assert_problem, bearer, signup, with_settings
from tests.identity.test_admin import make_admin
from tests.payments.support import count, deliver, load, new_payment, payment_event, refund_event, signed


async def nothing_stored(ctx: AppContext) -> None:
    assert await count(ctx, WebhookEvent) == 0
    assert await count(ctx, Job) == 0


async def test_good_signature_is_stored_once(client: httpx.AsyncClient, ctx: AppContext) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    r = await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    assert r.status_code == 200, r.text
    assert r.json()["duplicate"] is False and r.json()["status"] == "received"
    assert await count(ctx, WebhookEvent) == 1


async def test_forged_signature_is_400_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    event = payment_event(ctx, payment, "succeeded")
    assert_problem(
        await deliver(client, ctx, event, secret="whsec_not_ours"), 400, "webhook.signature_invalid"
    )
    # a valid signature over another body
    body = json.dumps(event).encode()
    _, good = (body, (await _signature(ctx, body)))
    tampered = body.replace(b'"amount_received": 1000', b'"amount_received": 9')
    r = await client.post(f"{API}/webhooks/simulated", content=tampered, headers=good)
    assert_problem(r, 400, "webhook.signature_invalid")
    r = await client.post(f"{API}/webhooks/simulated", content=body)  # no signature at all
    assert_problem(r, 400, "webhook.signature_invalid")
    r = await client.post(f"{API}/webhooks/simulated", content=body, headers={"Stripe-Signature": "garbage"})
    assert_problem(r, 400, "webhook.signature_invalid")
    await nothing_stored(ctx)
    assert (await load(ctx, Payment, payment.id)).status == "requires_payment"


async def _signature(ctx: AppContext, body: bytes) -> dict[str, str]:
    from innkeeper.payments.gateways.signing import HEADER, sign

    return {HEADER: sign(body, simulated(ctx).webhook_secret), "content-type": "application/json"}


async def test_stale_or_future_signature_is_400(client: httpx.AsyncClient, ctx: AppContext) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    event = payment_event(ctx, payment, "succeeded")
    stale = int(time.time()) - 301
    assert_problem(await deliver(client, ctx, event, timestamp=stale), 400, "webhook.signature_invalid")
    future = int(time.time()) + 3600
    assert_problem(await deliver(client, ctx, event, timestamp=future), 400, "webhook.signature_invalid")
    # signed now, delivered after the tolerance (the injected clock moves on)
    body, headers = signed(event, simulated(ctx).webhook_secret)
    clock.advance(timedelta(seconds=301))
    r = await client.post(f"{API}/webhooks/simulated", content=body, headers=headers)
    assert_problem(r, 400, "webhook.signature_invalid")
    await nothing_stored(ctx)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"type": "payment_intent.succeeded", "data": {"object": {}}}',
        b'{"id": "evt_1", "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "payment_intent.succeeded"}',
        b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"object": "payment_intent",'
        b' "amount_received": -5}}}',
        b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"object": "payment_intent",'
        b' "amount_received": "10.00"}}}',
    ],
)
async def test_malformed_body_is_400(client: httpx.AsyncClient, ctx: AppContext, body: bytes) -> None:
    assert_problem(await deliver(client, ctx, body), 400, "webhook.malformed")
    await nothing_stored(ctx)


async def test_unknown_payment_is_404_and_other_types_are_kept_but_ignored(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    event = payment_event(ctx, payment, "succeeded")
    event["data"]["object"]["id"] = "sim_pi_unknown"
    event["data"]["object"]["metadata"] = {"payment_id": "6c1e3f04-5a8e-4f0e-9a53-000000000000"}
    assert_problem(await deliver(client, ctx, event), 404, "webhook.unknown_payment")
    await nothing_stored(ctx)
    other = {"id": "evt_customer", "type": "customer.created", "data": {"object": {"object": "customer"}}}
    r = await deliver(client, ctx, other)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert await count(ctx, Job) == 0  # nothing to process


async def test_duplicate_delivery_has_one_effect(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    event = payment_event(ctx, payment, "succeeded")
    first = await deliver(client, ctx, event)
    again = await deliver(client, ctx, event)
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    concurrent = await asyncio.gather(*(deliver(client, ctx, event) for _ in range(4)))
    assert all(r.status_code == 200 and r.json()["duplicate"] for r in concurrent)
    await runner.drain()
    # the same payment succeeding again through another event id changes nothing either
    other = payment_event(ctx, payment, "succeeded")
    assert (await deliver(client, ctx, other)).json()["duplicate"] is False
    await runner.drain()
    assert await count(ctx, WebhookEvent) == 2
    assert await count(ctx, AuditEntry, AuditEntry.action == "payment.succeeded") == 1
    rows = await _events(ctx)
    assert sorted(r.status for r in rows) == ["ignored", "processed"]
    assert (await load(ctx, Payment, payment.id)).amount_received_minor == 1000


async def _events(ctx: AppContext) -> list[WebhookEvent]:
    from sqlalchemy import select

    async with ctx.db.unit_of_work(write=False) as session:
        return list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.received_at))).all())


async def test_success_after_failure_wins_and_failure_after_success_is_ignored(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    await deliver(client, ctx, payment_event(ctx, payment, "failed"))
    await runner.drain()
    assert (await load(ctx, Payment, payment.id)).status == "failed"
    await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    await runner.drain()
    assert (await load(ctx, Payment, payment.id)).status == "succeeded"
    late_failure = payment_event(ctx, payment, "failed")
    await deliver(client, ctx, late_failure)
    await runner.drain()
    stored = await load(ctx, Payment, payment.id)
    assert stored.status == "succeeded" and stored.failure_reason is None
    assert (await _events(ctx))[-1].status == "ignored"


async def test_refund_before_its_charge_is_deferred_then_applied(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    refund = refund_event(payment, 400)
    r = await deliver(client, ctx, refund)
    assert r.status_code == 200
    await runner.drain()
    assert [e.status for e in await _events(ctx)] == ["deferred"]
    assert await count(ctx, Refund) == 0
    await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    await runner.drain()
    assert sorted(e.status for e in await _events(ctx)) == ["processed", "processed"]
    stored = await load(ctx, Payment, payment.id)
    assert (stored.status, stored.amount_received_minor, stored.amount_refunded_minor) == (
        "succeeded",
        1000,
        400,
    )
    # the same refund again (Stripe sends refund.created and refund.updated) is one refund
    again = refund_event(payment, 400, refund_ref=refund["data"]["object"]["id"])
    await deliver(client, ctx, again)
    await runner.drain()
    assert await count(ctx, Refund) == 1
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 400


async def test_refund_event_above_what_was_paid_is_an_error_not_money(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    await deliver(client, ctx, refund_event(payment, 1001))
    await runner.drain()
    events = await _events(ctx)
    assert events[-1].status == "error" and "refund" in (events[-1].last_error or "").lower()
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 0


async def test_processing_failure_is_retried_and_visible(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    calls: list[str] = []

    async def flaky(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
        calls.append(outcome.kind)
        if len(calls) == 1:
            raise RuntimeError("booking service hiccup")

    hooks.on("flaky")(flaky)
    try:
        payment = await new_payment(ctx, Money(1000, "EUR"), purpose_type="flaky")
        await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
        await runner.drain()
        # the hook's failure rolled the outcome back; the event says why and will be retried
        assert (await load(ctx, Payment, payment.id)).status == "requires_payment"
        admin = await make_admin(client, ctx)
        listed = (await client.get(f"{API}/admin/webhook-events?status=error", headers=bearer(admin))).json()
        assert listed["total"] == 1
        assert "booking service hiccup" in listed["items"][0]["last_error"]
        assert listed["items"][0]["attempts"] == 1
        clock.advance(timedelta(minutes=5))
        await runner.drain()
        assert (await load(ctx, Payment, payment.id)).status == "succeeded"
        assert calls == ["succeeded", "succeeded"]
        done = (
            await client.get(f"{API}/admin/webhook-events?status=processed", headers=bearer(admin))
        ).json()
        assert done["total"] == 1 and done["items"][0]["last_error"] is None
    finally:
        hooks.remove("flaky", flaky)


async def test_admin_retry_of_an_event(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> None:
    payment = await new_payment(ctx, Money(1000, "EUR"))
    await deliver(client, ctx, refund_event(payment, 100))
    await runner.drain()
    admin = await make_admin(client, ctx)
    [event] = (await client.get(f"{API}/admin/webhook-events", headers=bearer(admin))).json()["items"]
    assert event["status"] == "deferred"
    r = await client.post(f"{API}/admin/webhook-events/{event['id']}/retry", headers=bearer(admin))
    assert r.status_code == 200
    await runner.drain()
    assert (await client.get(f"{API}/admin/webhook-events", headers=bearer(admin))).json()["items"][0][
        "status"
    ] == "deferred"
    user = await signup(client)
    assert_problem(await client.get(f"{API}/admin/webhook-events", headers=bearer(user)), 403)


async def test_disabled_or_unknown_provider_is_404(client: httpx.AsyncClient, ctx: AppContext) -> None:
    assert_problem(
        await client.post(f"{API}/webhooks/stripe", content=b"{}"), 404, "payment.provider_disabled"
    )
    assert_problem(
        await client.post(f"{API}/webhooks/paypal", content=b"{}"), 404, "webhook.unknown_provider"
    )
    await nothing_stored(ctx)


async def test_webhooks_are_outside_the_write_budget(settings: Any) -> None:
    from innkeeper.app import create_app

    app = create_app(with_settings(settings, write_rate_limit="2/minute"))
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        payment = await new_payment(ctx, Money(1000, "EUR"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for _ in range(5):
                r = await deliver(http, ctx, payment_event(ctx, payment, "succeeded"))
                assert r.status_code == 200, r.text
    assert await count(ctx, WebhookEvent) == 5


async def test_success_after_cancel_is_still_recorded(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    from innkeeper.audit.service import Actor
    from innkeeper.payments import service

    seen: list[str] = []

    async def watch(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
        seen.append(outcome.kind)

    hooks.on("watched")(watch)
    try:
        payment = await new_payment(ctx, Money(1000, "EUR"), purpose_type="watched")
        async with ctx.db.unit_of_work() as session:
            assert await service.cancel_payment(ctx, session, Actor.system("test"), payment.id)
        assert (await load(ctx, Payment, payment.id)).status == "cancelled"
        # the customer paid in the same moment: the money is recorded and the owner is told
        await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
        await runner.drain()
        assert (await load(ctx, Payment, payment.id)).status == "succeeded"
        assert seen == ["failed", "succeeded"]
    finally:
        hooks.remove("watched", watch)
