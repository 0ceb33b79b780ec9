"""Helpers for payment tests: make payments, sign and deliver events, run a real server."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from innkeeper.audit.service import Actor
from innkeeper.context import AppContext
from innkeeper.kit.money import Money
from innkeeper.payments import service
from innkeeper.payments.gateways.registry import simulated
from innkeeper.payments.gateways.signing import HEADER, sign
from innkeeper.payments.models import Payment
from tests.helpers import API


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def live_server(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan already running) on a real socket in this event loop."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def new_payment(
    ctx: AppContext,
    amount: Money,
    *,
    purpose_type: str = "test",
    purpose_id: Any = "p1",
    user_id: uuid.UUID | None = None,
    **kw: Any,
) -> Payment:
    async with ctx.db.unit_of_work() as session:
        return await service.create_payment(
            ctx,
            session,
            Actor.system("test"),
            purpose_type=purpose_type,
            purpose_id=purpose_id,
            amount=amount,
            user_id=user_id,
            **kw,
        )


async def load(ctx: AppContext, model: Any, ident: Any) -> Any:
    async with ctx.db.unit_of_work(write=False) as session:
        return await session.get(model, ident)


async def count(ctx: AppContext, model: Any, *where: Any) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def payment_event(ctx: AppContext, payment: Payment, outcome: str) -> dict[str, Any]:
    assert payment.gateway_ref
    return simulated(ctx).payment_event(
        payment_id=payment.id, payment_ref=payment.gateway_ref, amount=payment.amount, outcome=outcome
    )


def refund_event(
    payment: Payment, amount_minor: int, *, status: str = "succeeded", refund_ref: str | None = None
) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "refund.updated",
        "data": {
            "object": {
                "id": refund_ref or f"re_{uuid.uuid4().hex[:16]}",
                "object": "refund",
                "amount": amount_minor,
                "currency": payment.currency.lower(),
                "payment_intent": payment.gateway_ref,
                "status": status,
                "metadata": {},
            }
        },
    }


def signed(
    event: dict[str, Any] | bytes, secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return body, {HEADER: sign(body, secret, timestamp), "content-type": "application/json"}


async def deliver(
    client: httpx.AsyncClient,
    ctx: AppContext,
    event: dict[str, Any] | bytes,
    *,
    provider: str = "simulated",
    secret: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    secret = secret or simulated(ctx).webhook_secret
    body, headers = signed(event, secret, timestamp)
    return await client.post(f"{API}/webhooks/{provider}", content=body, headers=headers)
