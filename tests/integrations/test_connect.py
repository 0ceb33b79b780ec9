"""Stripe Connect onboarding through the official SDK against a local fake Stripe (INNKEEPER_STRIPE_API_BASE):
one Express account per property, a fresh account link each time, the flags read back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from innkeeper.config import Settings
from tests.conftest import app_for
from tests.helpers import API, assert_problem, with_settings
from tests.integrations.support import hotel
from tests.payments.support import free_port


class FakeStripe:
    """Just enough of api.stripe.com for Connect: accounts (honouring Idempotency-Key) and account links."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    async def create_account(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.requests.append(("POST", request.url.path, form))
        key = request.headers.get("idempotency-key") or ""
        if key not in self.by_key:
            acct = {
                "id": f"acct_{uuid.uuid4().hex[:12]}",
                "object": "account",
                "type": form["type"],
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
            }
            self.accounts[acct["id"]] = self.by_key[key] = acct
        return JSONResponse(self.by_key[key])

    async def get_account(self, request: Request) -> JSONResponse:
        self.requests.append(("GET", request.url.path, {}))
        return JSONResponse(self.accounts[request.path_params["acct"]])

    async def create_link(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.requests.append(("POST", request.url.path, form))
        if form.get("account") not in self.accounts:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "No such account"}}, 400
            )
        return JSONResponse(
            {
                "object": "account_link",
                "url": f"https://connect.example.test/{form['account']}",
                "created": 1898848800,
                "expires_at": 1898849100,
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/accounts", self.create_account, methods=["POST"]),
                Route("/v1/accounts/{acct}", self.get_account, methods=["GET"]),
                Route("/v1/account_links", self.create_link, methods=["POST"]),
            ]
        )


@pytest.fixture
async def stripe_client(settings: Settings) -> AsyncIterator[tuple[FakeStripe, httpx.AsyncClient]]:
    fake = FakeStripe()
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
            stripe_api_base=f"http://127.0.0.1:{port}",
            stripe_max_network_retries=0,
        )
    )
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield fake, http
    finally:
        server.should_exit = True
        await task


async def test_onboarding_makes_one_account_and_reads_its_flags_back(
    stripe_client: tuple[FakeStripe, httpx.AsyncClient],
) -> None:
    fake, client = stripe_client
    h = await hotel(client)
    base = f"{API}/properties/{h['pid']}/connect"
    assert_problem(await client.get(base, headers=h["owner"]), 404, "connect.not_onboarded")
    first = await client.post(f"{base}/onboarding", headers=h["owner"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["account_id"].startswith("acct_") and body["onboarding_url"].endswith(body["account_id"])
    assert body["charges_enabled"] is False
    again = await client.post(f"{base}/onboarding", headers=h["owner"])
    assert again.json()["account_id"] == body["account_id"] and len(fake.accounts) == 1
    assert [r[1] for r in fake.requests].count("/v1/accounts") == 1

    fake.accounts[body["account_id"]].update(
        charges_enabled=True, payouts_enabled=True, details_submitted=True
    )
    refreshed = await client.post(f"{base}/refresh", headers=h["owner"])
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["payouts_enabled"] is True
    assert (await client.get(base, headers=h["owner"])).json()["details_submitted"] is True
    stranger = await hotel(client)
    assert_problem(
        await client.post(f"{base}/onboarding", headers=stranger["owner"]), 404, "property.not_found"
    )


async def test_connect_needs_the_stripe_provider(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    r = await client.post(f"{API}/properties/{h['pid']}/connect/onboarding", headers=h["owner"])
    assert_problem(r, 409, "connect.unavailable")
