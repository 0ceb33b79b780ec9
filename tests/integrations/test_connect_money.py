"""Stripe Connect money flows through the official SDK against a local fake Stripe: ``account.updated``
through the payments webhook inbox, booking payments as destination charges with the platform's fee,
refunds reversing the transfer, and the owner's payouts view."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
import stripe
import uvicorn
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from innkeeper.audit.service import Actor
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.integrations.connect import application_fee
from innkeeper.integrations.models import ConnectAccount
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.payments import service
from innkeeper.payments.models import Payment, WebhookEvent
from tests.billing.support import pay
from tests.catalog_support import freeze
from tests.conftest import app_for
from tests.helpers import API, assert_problem, bearer, signup, with_settings
from tests.integrations.support import book, hotel
from tests.payments.support import free_port, load, new_payment
from tests.payments.test_stripe import WHSEC, FakeStripe

FEE_PERCENT = 12.5


class ConnectFakeStripe(FakeStripe):
    """The payments suite's fake Stripe plus a connected account's payouts (``Stripe-Account`` header)."""

    def __init__(self) -> None:
        super().__init__()
        self.payouts: dict[str, list[dict[str, Any]]] = {}

    async def list_payouts(self, request: Request) -> JSONResponse:
        entry = await self._record(request)
        entry["stripe_account"] = request.headers.get("stripe-account")
        rows = self.payouts.get(entry["stripe_account"] or "", [])
        after = request.query_params.get("starting_after")
        start = next((i + 1 for i, p in enumerate(rows) if p["id"] == after), 0)
        limit = int(request.query_params.get("limit", 10))
        page = rows[start : start + limit]
        return JSONResponse(
            {"object": "list", "url": "/v1/payouts", "data": page, "has_more": start + limit < len(rows)}
        )

    def app(self) -> Any:
        app = super().app()
        app.router.routes.append(Route("/v1/payouts", self.list_payouts, methods=["GET"]))
        return app


@dataclass
class Env:
    fake: ConnectFakeStripe
    client: httpx.AsyncClient
    ctx: AppContext
    runner: JobRunner


@pytest.fixture
async def env(settings: Settings) -> AsyncIterator[Env]:
    fake = ConnectFakeStripe()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    app = app_for(
        with_settings(
            settings,
            payment_provider="stripe",
            stripe_secret_key="sk_test_fake",
            stripe_webhook_secret=WHSEC,
            stripe_api_base=f"http://127.0.0.1:{port}",
            stripe_max_network_retries=0,
            connect_application_fee_percent=FEE_PERCENT,
        )
    )
    try:
        async with app.router.lifespan_context(app):
            ctx: AppContext = app.state.ctx
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield Env(fake, http, ctx, JobRunner(ctx.db, services={"app": ctx}))
    finally:
        server.should_exit = True
        await task


async def connect(ctx: AppContext, property_id: str, *, charges: bool = True) -> str:
    account_id = f"acct_{uuid.uuid4().hex[:12]}"
    async with ctx.db.unit_of_work() as session:
        session.add(
            ConnectAccount(
                property_id=uuid.UUID(property_id),
                account_id=account_id,
                charges_enabled=charges,
                payouts_enabled=charges,
                details_submitted=charges,
            )
        )
    return account_id


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    body = {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": event_type}
    return json.dumps({**body, "data": {"object": obj}}).encode()


async def post_signed(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    # signed at the app's clock (a test may have frozen it), as the inbox checks the timestamp against it
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), WHSEC, timestamp=int(utcnow().timestamp())
    )
    return await client.post(
        f"{API}/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def test_the_fee_is_rounded_half_up() -> None:
    assert application_fee(Money(1004, "EUR"), 12.5) == Money(126, "EUR")  # 125.5 -> 126
    assert application_fee(Money(1003, "EUR"), 12.5) == Money(125, "EUR")  # 125.375 -> 125
    assert application_fee(Money(1000, "JPY"), 0.05) == Money(1, "JPY")  # 0.5 -> 1
    assert application_fee(Money(1000, "EUR"), 0) is None
    assert application_fee(Money(999, "EUR"), 100) == Money(999, "EUR")


async def test_account_updated_mirrors_the_flags_once(env: Env) -> None:
    h = await hotel(env.client)
    acct = await connect(env.ctx, h["pid"], charges=False)
    status = f"{API}/properties/{h['pid']}/connect"
    obj = {"id": acct, "object": "account", "charges_enabled": True, "payouts_enabled": True}
    body = event("account.updated", {**obj, "details_submitted": True}, "evt_acct_1")
    first = await post_signed(env.client, body)
    assert first.status_code == 200 and first.json()["duplicate"] is False, first.text
    await env.runner.drain()
    shown = (await env.client.get(status, headers=h["owner"])).json()
    assert (shown["charges_enabled"], shown["payouts_enabled"], shown["details_submitted"]) == (True,) * 3
    again = await post_signed(env.client, body)  # the same event id: stored once, applied once
    assert again.json()["duplicate"] is True
    # a later event without a flag leaves it as it is; one that switches payouts off is applied
    await post_signed(env.client, event("account.updated", {"id": acct, "payouts_enabled": False}))
    # an account that is not ours is stored and ignored
    await post_signed(env.client, event("account.updated", {"id": "acct_unknown", "charges_enabled": True}))
    await env.runner.drain()
    shown = (await env.client.get(status, headers=h["owner"])).json()
    assert (shown["charges_enabled"], shown["payouts_enabled"], shown["details_submitted"]) == (
        True,
        False,
        True,
    )
    async with env.ctx.db.unit_of_work(write=False) as session:
        statuses = sorted((await session.scalars(select(WebhookEvent.status))).all())
    assert statuses == ["ignored", "processed", "processed"]


async def test_a_booking_payment_is_a_destination_charge_and_its_refund_reverses_the_transfer(
    env: Env,
) -> None:
    freeze()
    h = await hotel(env.client)
    acct = await connect(env.ctx, h["pid"])
    guest = bearer(await signup(env.client))
    booking = (await book(env.client, h, guest, start=30)).json()
    paid = await pay(env.client, booking["id"], guest)
    await env.runner.drain()
    [call] = [r for r in env.fake.requests if r["path"] == "/v1/payment_intents"]
    form = call["form"]
    amount = int(form["amount"])
    fee = int((Decimal(amount) * Decimal(str(FEE_PERCENT)) / 100).quantize(Decimal(1), ROUND_HALF_UP))
    assert form["transfer_data[destination]"] == acct
    assert form["application_fee_amount"] == str(fee)
    stored = await load(env.ctx, Payment, uuid.UUID(paid["id"]))
    assert (stored.connected_account, stored.application_fee_minor) == (acct, fee)

    intent = env.fake.intents[stored.gateway_ref]
    succeeded = {**intent, "status": "succeeded", "amount_received": amount}
    assert (await post_signed(env.client, event("payment_intent.succeeded", succeeded))).status_code == 200
    await env.runner.drain()
    cancelled = await env.client.post(f"{API}/bookings/{booking['id']}/cancel", headers=guest, json={})
    assert cancelled.status_code == 200, cancelled.text
    await env.runner.drain()
    [refund] = [r for r in env.fake.requests if r["path"] == "/v1/refunds"]
    assert refund["form"]["payment_intent"] == stored.gateway_ref
    assert refund["form"]["reverse_transfer"] == "true"
    assert refund["form"]["refund_application_fee"] == "true"


async def test_no_destination_without_charges_enabled_and_plain_refunds_reverse_nothing(env: Env) -> None:
    h = await hotel(env.client)
    await connect(env.ctx, h["pid"], charges=False)
    payment = await new_payment(env.ctx, Money(5000, "EUR"), property_id=uuid.UUID(h["pid"]))
    plain = await new_payment(env.ctx, Money(700, "EUR"))
    await env.runner.drain()
    forms = [r["form"] for r in env.fake.requests if r["path"] == "/v1/payment_intents"]
    assert len(forms) == 2
    assert all("transfer_data[destination]" not in f and "application_fee_amount" not in f for f in forms)
    stored = await load(env.ctx, Payment, payment.id)
    assert stored.connected_account is None
    async with env.ctx.db.unit_of_work() as session:
        locked = await service.get(session, plain.id, lock=True)
        await service.mark_succeeded(session, Actor.system("test"), locked, 700)
    async with env.ctx.db.unit_of_work() as session:
        await service.refund(env.ctx, session, Actor.system("test"), plain.id, amount=Money(200, "EUR"))
    await env.runner.drain()
    [refund] = [r for r in env.fake.requests if r["path"] == "/v1/refunds"]
    assert "reverse_transfer" not in refund["form"] and "refund_application_fee" not in refund["form"]


async def test_the_owner_sees_the_connected_accounts_payouts_a_page_at_a_time(env: Env) -> None:
    h = await hotel(env.client)
    url = f"{API}/properties/{h['pid']}/connect/payouts"
    assert_problem(await env.client.get(url, headers=h["owner"]), 409, "connect.unavailable")
    acct = await connect(env.ctx, h["pid"])
    env.fake.payouts[acct] = [
        {
            "id": f"po_{i}",
            "object": "payout",
            "amount": 10000 + i,
            "currency": "eur",
            "status": "paid" if i else "in_transit",
            "arrival_date": 1900000000 + i,
            "created": 1899900000 + i,
            "method": "standard",
            "description": None,
        }
        for i in range(3)
    ]
    first = await env.client.get(url, params={"limit": 2}, headers=h["owner"])
    assert first.status_code == 200, first.text
    page = first.json()
    assert [p["id"] for p in page["items"]] == ["po_0", "po_1"] and page["has_more"] is True
    assert page["items"][1]["amount"] == {"amount": "100.01", "currency": "EUR"}
    assert page["items"][0]["status"] == "in_transit" and page["items"][0]["arrival_date"].startswith("2030")
    assert page["next"] == "po_1"
    rest = (
        await env.client.get(url, params={"limit": 2, "starting_after": page["next"]}, headers=h["owner"])
    ).json()
    assert [p["id"] for p in rest["items"]] == ["po_2"] and rest["has_more"] is False and rest["next"] is None
    calls = [r for r in env.fake.requests if r["path"] == "/v1/payouts"]
    assert {c["stripe_account"] for c in calls} == {acct}  # read on the connected account, not ours
    assert_problem(await env.client.get(url, params={"starting_after": "x'; drop"}, headers=h["owner"]), 422)
    stranger = await hotel(env.client)
    assert_problem(await env.client.get(url, headers=stranger["owner"]), 404, "property.not_found")


async def test_payouts_need_the_stripe_provider(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    r = await client.get(f"{API}/properties/{h['pid']}/connect/payouts", headers=h["owner"])
    assert_problem(r, 409, "connect.unavailable")
