"""Production keeps the simulated gateway shut: ``POST /payments/{id}/simulate`` once let anyone credit
a wallet with money never paid. Settings refuse to start that way (tests/kit/test_settings.py); the
endpoint checks again, for settings that reached the app without validation."""

from __future__ import annotations

from typing import Any

import httpx

from innkeeper.app import create_app
from innkeeper.config import Env, Settings
from tests.helpers import API, assert_problem, bearer, signup, with_settings


async def _simulate_on(settings: Settings, payment_id: str, *, page: bool = False) -> httpx.Response:
    """Pay through the API's simulate endpoint, or (``page``) through the simulated checkout page."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            if page:
                return await other.post(f"/pay/{payment_id}", data={"outcome": "succeeded"})
            return await other.post(f"{API}/payments/{payment_id}/simulate", json={"outcome": "succeeded"})


async def _top_up(client: httpx.AsyncClient, tokens: dict[str, Any]) -> str:
    created = await client.post(
        f"{API}/users/me/wallet/top-ups",
        json={"amount": {"amount": "5000.00", "currency": "EUR"}},
        headers=bearer(tokens),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_simulate_is_404_in_production_without_the_unsafe_flag(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tokens = await signup(client)
    payment_id = await _top_up(client, tokens)
    unvalidated = settings.model_copy(update={"env": Env.production})  # model_copy does not validate
    assert_problem(await _simulate_on(unvalidated, payment_id), 404, "payment.provider_disabled")
    assert (await _simulate_on(unvalidated, payment_id, page=True)).status_code == 404
    wallet = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert [item["status"] for item in wallet["items"]] == ["pending"]  # no webhook was taken in


async def test_simulate_answers_in_production_with_the_unsafe_flag(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    payment_id = await _top_up(client, await signup(client))
    allowed = with_settings(settings, env="production", unsafe_allow_development_defaults=True)
    answer = await _simulate_on(allowed, payment_id)
    assert answer.status_code == 202, answer.text
