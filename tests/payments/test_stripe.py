"""Stripe through the real SDK against a local fake Stripe HTTP server, webhooks signed as Stripe signs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import stripe
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from innkeeper.app import create_app
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.payments.gateways import IntentRequest
from innkeeper.payments.gateways.stripe_gateway import StripeGateway
from innkeeper.payments.models import Payment, Refund
from tests.helpers import API, assert_problem, bearer, signup, with_settings
from tests.identity.test_admin import make_admin
from tests.payments.support import count, free_port, load, new_payment

WHSEC = "whsec_test_secret_0123456789"


class FakeStripe:
    """Just enough of api.stripe.com: PaymentIntents and Refunds, honouring Idempotency-Key."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.intents: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.fail_next: int = 0

    async def _record(self, request: Request) -> dict[str, Any]:
        form = dict(await request.form()) if request.method == "POST" else {}
        entry = {
            "method": request.method,
            "path": request.url.path,
            "form": form,
            "idempotency_key": request.headers.get("idempotency-key"),
            "auth": request.headers.get("authorization"),
        }
        self.requests.append(entry)
        return entry

    async def create_intent(self, request: Request) -> JSONResponse:
        entry = await self._record(request)
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": {"type": "api_error", "message": "boom"}}, status_code=500)
        key = entry["idempotency_key"]
        if key in self.by_key:
            return JSONResponse(self.by_key[key])
        form = entry["form"]
        intent_id = f"pi_{uuid.uuid4().hex[:14]}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_abc",
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
        }
        self.intents[intent_id] = intent
        self.by_key[key] = intent
        return JSONResponse(intent)

    async def get_intent(self, request: Request) -> JSONResponse:
        await self._record(request)
        intent = self.intents.get(request.path_params["intent"])
        if intent is None:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}, 404
            )
        return JSONResponse(intent)

    async def cancel_intent(self, request: Request) -> JSONResponse:
        await self._record(request)
        intent = self.intents.get(request.path_params["intent"])
        if intent is None:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}, 404
            )
        intent["status"] = "canceled"
        return JSONResponse(intent)

    async def create_refund(self, request: Request) -> JSONResponse:
        entry = await self._record(request)
        key = entry["idempotency_key"]
        if key in self.by_key:
            return JSONResponse(self.by_key[key])
        form = entry["form"]
        if form["payment_intent"] not in self.intents:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}, 400
            )
        refund = {
            "id": f"re_{uuid.uuid4().hex[:14]}",
            "object": "refund",
            "amount": int(form["amount"]),
            "currency": self.intents[form["payment_intent"]]["currency"],
            "payment_intent": form["payment_intent"],
            "status": "succeeded",
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
        }
        self.by_key[key] = refund
        return JSONResponse(refund)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/payment_intents", self.create_intent, methods=["POST"]),
                Route("/v1/payment_intents/{intent}", self.get_intent, methods=["GET"]),
                Route("/v1/payment_intents/{intent}/cancel", self.cancel_intent, methods=["POST"]),
                Route("/v1/refunds", self.create_refund, methods=["POST"]),
            ]
        )


@pytest.fixture
async def fake_stripe() -> AsyncIterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield fake, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def stripe_app(settings: Settings, fake_stripe: tuple[FakeStripe, str]) -> AsyncIterator[Any]:
    _, base = fake_stripe
    app = create_app(
        with_settings(
            settings,
            payment_provider="stripe",
            stripe_secret_key="sk_test_fake",
            stripe_webhook_secret=WHSEC,
            stripe_api_base=base,
            stripe_max_network_retries=0,
        )
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def sclient(stripe_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stripe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def stripe_event(event_type: str, obj: dict[str, Any]) -> bytes:
    import json

    return json.dumps(
        {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": event_type, "data": {"object": obj}}
    ).encode()


async def post_signed(
    client: httpx.AsyncClient, body: bytes, secret: str = WHSEC, **kw: Any
) -> httpx.Response:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, **kw)
    return await client.post(
        f"{API}/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


async def test_top_up_with_stripe_end_to_end(
    stripe_app: Any, sclient: httpx.AsyncClient, fake_stripe: tuple[FakeStripe, str]
) -> None:
    fake, _ = fake_stripe
    ctx: AppContext = stripe_app.state.ctx
    runner = JobRunner(ctx.db, services={"app": ctx})
    tokens = await signup(sclient)
    created = await sclient.post(
        f"{API}/users/me/wallet/top-ups",
        json={"amount": {"amount": "1500", "currency": "JPY"}},
        headers=bearer(tokens),
    )
    assert created.status_code == 201, created.text
    payment = created.json()
    # the provider is called after commit, by a job: nothing has gone out yet
    assert payment["status"] == "requires_payment" and payment["client_secret"] is None
    assert payment["checkout_url"] is None and fake.requests == []
    await runner.drain()
    [call] = fake.requests
    assert call["path"] == "/v1/payment_intents"
    assert call["idempotency_key"] == f"innkeeper-payment-{payment['id']}"
    assert call["auth"] == "Bearer sk_test_fake"
    assert call["form"]["amount"] == "1500" and call["form"]["currency"] == "jpy"  # zero-decimal currency
    assert call["form"]["metadata[payment_id]"] == payment["id"]
    assert "transfer_data[destination]" not in call["form"]
    read = (await sclient.get(f"{API}/payments/{payment['id']}", headers=bearer(tokens))).json()
    assert read["client_secret"].endswith("_secret_abc")
    intent = fake.intents[read["client_secret"].split("_secret")[0]]

    succeeded = {**intent, "status": "succeeded", "amount_received": 1500}
    r = await post_signed(sclient, stripe_event("payment_intent.succeeded", succeeded))
    assert r.status_code == 200, r.text
    await runner.drain()
    wallet = (await sclient.get(f"{API}/users/me/wallet?currency=JPY", headers=bearer(tokens))).json()
    assert wallet["balance"] == {"amount": "1500", "currency": "JPY"}

    # refund part of it to the card: a job calls Stripe with our refund id as the idempotency key
    admin = await make_admin(sclient, ctx)
    refund = await sclient.post(
        f"{API}/payments/{payment['id']}/refunds",
        json={"amount": {"amount": "500", "currency": "JPY"}},
        headers={**bearer(admin), "Idempotency-Key": "refund-1"},
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["status"] == "pending"
    await runner.drain()
    refund_call = fake.requests[-1]
    assert refund_call["path"] == "/v1/refunds"
    assert refund_call["idempotency_key"] == f"innkeeper-refund-{refund.json()['id']}"
    assert refund_call["form"]["amount"] == "500"
    assert refund_call["form"]["payment_intent"] == intent["id"]
    stored = await load(ctx, Refund, uuid.UUID(refund.json()["id"]))
    assert stored.status == "succeeded" and stored.gateway_ref.startswith("re_")
    wallet = (await sclient.get(f"{API}/users/me/wallet?currency=JPY", headers=bearer(tokens))).json()
    assert wallet["balance"] == {"amount": "1000", "currency": "JPY"}
    # Stripe's own refund.updated webhook for the same refund changes nothing more
    refund_obj = fake.by_key[refund_call["idempotency_key"]]
    r = await post_signed(sclient, stripe_event("refund.updated", refund_obj))
    assert r.status_code == 200
    await runner.drain()
    assert await count(ctx, Refund) == 1
    assert (await load(ctx, Payment, uuid.UUID(payment["id"]))).amount_refunded_minor == 500


async def test_connect_destination_charge_and_retry_is_idempotent(
    stripe_app: Any, fake_stripe: tuple[FakeStripe, str]
) -> None:
    fake, _ = fake_stripe
    ctx: AppContext = stripe_app.state.ctx
    runner = JobRunner(ctx.db, services={"app": ctx})
    fake.fail_next = 1  # the first call fails like a Stripe outage: the job retries
    payment = await new_payment(
        ctx,
        Money(12345, "EUR"),
        connected_account="acct_hotel123",
        application_fee=Money(1234, "EUR"),
        description="Booking ABC123",
    )
    await runner.drain()
    assert len(fake.requests) == 1 and fake.intents == {}
    from datetime import timedelta

    from innkeeper.kit.clock import clock

    clock.advance(timedelta(minutes=10))
    await runner.drain()
    first, second = fake.requests
    assert first["idempotency_key"] == second["idempotency_key"] == f"innkeeper-payment-{payment.id}"
    form = second["form"]
    assert form["transfer_data[destination]"] == "acct_hotel123"
    assert form["application_fee_amount"] == "1234"
    assert form["amount"] == "12345" and form["currency"] == "eur"
    assert form["description"] == "Booking ABC123"
    stored = await load(ctx, Payment, payment.id)
    assert stored.gateway_ref in fake.intents
    # calling the gateway again with the same key returns the same intent (no second charge)
    gw = StripeGateway("sk_test_fake", WHSEC, api_base=ctx.settings.stripe_api_base, max_network_retries=0)
    request = IntentRequest(
        payment_id=payment.id,
        amount=Money(12345, "EUR"),
        idempotency_key=f"innkeeper-payment-{payment.id}",
        metadata={"payment_id": str(payment.id)},
    )
    again = await gw.create_intent(request)
    assert again.ref == stored.gateway_ref and len(fake.intents) == 1
    assert (await gw.retrieve_intent(again.ref)).client_secret == stored.client_secret


async def test_stripe_webhook_signatures(
    stripe_app: Any, sclient: httpx.AsyncClient, fake_stripe: tuple[FakeStripe, str]
) -> None:
    import time

    from innkeeper.payments.models import WebhookEvent

    ctx: AppContext = stripe_app.state.ctx
    payment = await new_payment(ctx, Money(1000, "EUR"))
    obj = {
        "id": "pi_123",
        "object": "payment_intent",
        "amount": 1000,
        "amount_received": 1000,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {"payment_id": str(payment.id)},
    }
    body = stripe_event("payment_intent.succeeded", obj)
    assert_problem(await post_signed(sclient, body, secret="whsec_forged"), 400, "webhook.signature_invalid")
    stale = int(time.time()) - 600
    assert_problem(await post_signed(sclient, body, timestamp=stale), 400, "webhook.signature_invalid")
    assert await count(ctx, WebhookEvent) == 0
    ok = await post_signed(sclient, body)
    assert ok.status_code == 200 and ok.json()["duplicate"] is False
    # the SDK's own verifier accepts what we accept
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WHSEC)
    assert stripe.Webhook.construct_event(body, header, WHSEC).type == "payment_intent.succeeded"


async def test_refund_rejected_by_stripe_releases_the_amount(
    stripe_app: Any, sclient: httpx.AsyncClient, fake_stripe: tuple[FakeStripe, str]
) -> None:
    fake, _ = fake_stripe
    ctx: AppContext = stripe_app.state.ctx
    runner = JobRunner(ctx.db, services={"app": ctx})
    payment = await new_payment(ctx, Money(1000, "EUR"))
    async with ctx.db.unit_of_work() as session:  # a succeeded intent Stripe does not know
        locked = await session.get(Payment, payment.id)
        assert locked is not None
        locked.gateway_ref, locked.status, locked.amount_received_minor = "pi_gone", "succeeded", 1000
    from innkeeper.audit.service import Actor
    from innkeeper.payments import service

    async with ctx.db.unit_of_work() as session:
        item = await service.refund(ctx, session, Actor.system("test"), payment.id, amount=Money(600, "EUR"))
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 600  # reserved while pending
    await runner.drain()
    failed = await load(ctx, Refund, item.id)
    assert failed.status == "failed" and "payment_intent" in failed.failure_reason
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 0
    assert fake.requests[-1]["path"] == "/v1/refunds"


async def test_cancel_an_open_stripe_payment(stripe_app: Any, fake_stripe: tuple[FakeStripe, str]) -> None:
    from innkeeper.audit.service import Actor
    from innkeeper.payments import service

    fake, _ = fake_stripe
    ctx: AppContext = stripe_app.state.ctx
    runner = JobRunner(ctx.db, services={"app": ctx})
    payment = await new_payment(ctx, Money(5000, "EUR"))
    await runner.drain()
    async with ctx.db.unit_of_work() as session:
        assert await service.cancel_payment(
            ctx, session, Actor.system("test"), payment.id, reason="hold expired"
        )
    async with ctx.db.unit_of_work() as session:  # twice is harmless
        assert not await service.cancel_payment(ctx, session, Actor.system("test"), payment.id)
    stored = await load(ctx, Payment, payment.id)
    assert (stored.status, stored.failure_reason) == ("cancelled", "hold expired")
    await runner.drain()
    cancel = fake.requests[-1]
    assert cancel["path"] == f"/v1/payment_intents/{stored.gateway_ref}/cancel"
    assert cancel["idempotency_key"] == f"innkeeper-payment-{payment.id}-cancel"
    assert fake.intents[stored.gateway_ref]["status"] == "canceled"
    # cancelled before the intent existed: no intent is ever created
    early = await new_payment(ctx, Money(100, "EUR"))
    async with ctx.db.unit_of_work() as session:
        await service.cancel_payment(ctx, session, Actor.system("test"), early.id)
    calls = len(fake.requests)
    await runner.drain()
    assert len(fake.requests) == calls
