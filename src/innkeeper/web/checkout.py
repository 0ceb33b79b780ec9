"""The simulated gateway's checkout page: ``checkout_url`` leads here; Pay / Fail deliver a signed
webhook through the same inbox as Stripe's (see ``payments.webhooks.simulate_outcome``); a booking's
payment links back to its booking page.

The one form of the site without a CSRF token, on purpose: it acts on nothing but the payment id in
its URL (no cookie, no session: anyone holding the id may press Pay, exactly as with
``POST /api/v1/payments/{id}/simulate``), so a forged post could do nothing its sender cannot do
directly. It exists only where the simulated gateway is allowed (never in production by default)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from innkeeper.identity.deps import Ctx
from innkeeper.kit.http import DbSession
from innkeeper.payments import service
from innkeeper.payments.errors import PaymentNotFound
from innkeeper.payments.gateways.registry import simulated
from innkeeper.payments.models import Payment
from innkeeper.payments.webhooks import simulate_outcome
from innkeeper.web.errors import WebRoute
from innkeeper.web.pages import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _page(payment: Payment, done: str | None) -> dict[str, Any]:
    back = f"/book/{payment.purpose_id}" if payment.purpose_type == "booking" else None
    return {"payment": payment, "amount": payment.amount.to_api(), "done": done, "back": back}


@router.get("/pay/{payment_id}")
async def checkout(payment_id: uuid.UUID, request: Request, session: DbSession, ctx: Ctx) -> Response:
    simulated(ctx)  # 404 unless the simulated provider is enabled
    payment = await service.get(session, payment_id)
    if payment.provider != "simulated":
        raise PaymentNotFound("No simulated payment with this id")
    return render(request, "checkout.html", _page(payment, None))


@router.post("/pay/{payment_id}")
async def checkout_submit(
    payment_id: uuid.UUID,
    request: Request,
    session: DbSession,
    ctx: Ctx,
    outcome: Annotated[str, Form(pattern="^(succeeded|failed)$")],
) -> Response:
    payment = await service.get(session, payment_id)
    await simulate_outcome(ctx, session, payment_id, outcome)
    return render(request, "checkout.html", _page(payment, outcome))
