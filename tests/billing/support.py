"""Builders for booking-payment tests: policies, paying, simulating, reading the folio."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from innkeeper.audit.service import Actor
from innkeeper.billing import wallet
from innkeeper.billing.models import EntryKind
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from tests.helpers import API, bearer, signup


async def policies(client: httpx.AsyncClient, h: dict[str, Any], **body: Any) -> None:
    r = await client.patch(f"{API}/properties/{h['pid']}", json=body, headers=h["owner"])
    assert r.status_code == 200, r.text


async def customer(
    client: httpx.AsyncClient, ctx: AppContext, balance: Money | None = None
) -> tuple[dict[str, str], uuid.UUID]:
    tokens = await signup(client)
    user_id = uuid.UUID(tokens["user"]["id"])
    if balance is not None:
        async with ctx.db.unit_of_work() as session:
            await wallet.post(
                session,
                Actor.system("test"),
                user_id=user_id,
                amount=balance,
                kind=EntryKind.credit,
                memo="seed",
            )
    return bearer(tokens), user_id


async def pay(
    client: httpx.AsyncClient,
    booking_id: str,
    headers: dict[str, str],
    key: str | None = None,
    expect: int = 201,
    **body: Any,
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/bookings/{booking_id}/payments",
        json={"method": "card", **body},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def simulate(
    client: httpx.AsyncClient, runner: JobRunner, payment_id: str, outcome: str = "succeeded"
) -> None:
    r = await client.post(f"{API}/payments/{payment_id}/simulate", json={"outcome": outcome})
    assert r.status_code == 202, r.text
    await runner.drain()


async def get(client: httpx.AsyncClient, booking_id: str, headers: dict[str, str]) -> dict[str, Any]:
    r = await client.get(f"{API}/bookings/{booking_id}", headers=headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}
