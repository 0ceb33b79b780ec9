"""The simulated gateway end to end: top-up, checkout page, simulate endpoint, the same inbox."""

from __future__ import annotations

from typing import Any

import httpx

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.payments.models import Payment, WebhookEvent
from tests.helpers import API, assert_problem, bearer, signup, with_settings
from tests.payments.support import count


async def top_up(
    client: httpx.AsyncClient, tokens: dict[str, Any], amount: str, currency: str = "EUR"
) -> Any:
    return await client.post(
        f"{API}/users/me/wallet/top-ups",
        json={"amount": {"amount": amount, "currency": currency}},
        headers=bearer(tokens),
    )


async def test_top_up_paid_through_simulated_webhook(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    created = await top_up(client, tokens, "25.50")
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "requires_payment"
    assert payment["amount"] == {"amount": "25.50", "currency": "EUR"}
    assert payment["checkout_url"].endswith(f"/pay/{payment['id']}")
    wallet = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert wallet["balance"] == {"amount": "0.00", "currency": "EUR"}
    assert [i["status"] for i in wallet["items"]] == ["pending"]

    sim = await client.post(f"{API}/payments/{payment['id']}/simulate", json={"outcome": "succeeded"})
    assert sim.status_code == 202, sim.text
    assert sim.json()["duplicate"] is False
    assert await count(ctx, WebhookEvent) == 1
    await runner.drain()

    after = (await client.get(f"{API}/payments/{payment['id']}", headers=bearer(tokens))).json()
    assert after["status"] == "succeeded"
    assert after["amount_received"] == {"amount": "25.50", "currency": "EUR"}
    assert after["checkout_url"] is None
    wallet = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert wallet["balance"] == {"amount": "25.50", "currency": "EUR"}
    assert wallet["items"][0]["kind"] == "credit" and wallet["items"][0]["status"] == "completed"
    assert await count(ctx, AuditEntry, AuditEntry.action == "payment.succeeded") == 1


async def test_checkout_page_pay_and_fail(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    ok = (await top_up(client, tokens, "10.00")).json()
    bad = (await top_up(client, tokens, "20.00")).json()
    page = await client.get(ok["checkout_url"].replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200 and "Pay" in page.text and "Fail" in page.text
    assert "10.00" in page.text
    r = await client.post(f"/pay/{ok['id']}", data={"outcome": "succeeded"})
    assert r.status_code == 200 and "payment_intent.succeeded" in r.text
    r = await client.post(f"/pay/{bad['id']}", data={"outcome": "failed"})
    assert r.status_code == 200
    await runner.drain()
    assert (await client.get(f"{API}/payments/{ok['id']}", headers=bearer(tokens))).json()[
        "status"
    ] == "succeeded"
    failed = (await client.get(f"{API}/payments/{bad['id']}", headers=bearer(tokens))).json()
    assert failed["status"] == "failed" and "declined" in failed["failure_reason"]
    wallet = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert wallet["balance"]["amount"] == "10.00"
    assert sorted(i["status"] for i in wallet["items"]) == ["completed", "failed"]
    bad_outcome = await client.post(f"/pay/{ok['id']}", data={"outcome": "maybe"})
    assert bad_outcome.status_code == 422


async def test_payments_are_private(client: httpx.AsyncClient) -> None:
    owner, other = await signup(client), await signup(client)
    payment = (await top_up(client, owner, "5.00")).json()
    assert_problem(
        await client.get(f"{API}/payments/{payment['id']}", headers=bearer(other)), 404, "payment.not_found"
    )
    assert_problem(await client.get(f"{API}/payments/{payment['id']}"), 401)


async def test_simulate_is_404_with_stripe(settings: Any) -> None:
    from innkeeper.app import create_app

    app = create_app(with_settings(settings, payment_provider="stripe", stripe_secret_key="sk_test_123"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            import uuid

            r = await client.post(f"{API}/payments/{uuid.uuid4()}/simulate", json={"outcome": "succeeded"})
            assert_problem(r, 404, "payment.provider_disabled")
            r = await client.post(f"{API}/webhooks/simulated", content=b"{}")
            assert_problem(r, 404, "payment.provider_disabled")
            assert_problem(await client.get(f"/pay/{uuid.uuid4()}"), 404)


async def test_simulate_unknown_payment_and_bad_outcome(client: httpx.AsyncClient, ctx: AppContext) -> None:
    import uuid

    r = await client.post(f"{API}/payments/{uuid.uuid4()}/simulate", json={"outcome": "succeeded"})
    assert_problem(r, 404, "payment.not_found")
    tokens = await signup(client)
    payment = (await top_up(client, tokens, "5.00")).json()
    assert_problem(
        await client.post(f"{API}/payments/{payment['id']}/simulate", json={"outcome": "maybe"}), 422
    )
    assert await count(ctx, WebhookEvent) == 0
    assert await count(ctx, Payment) == 1
