"""The simulated gateway's checkout page: ``checkout_url`` leads here; Pay / Fail deliver a signed
webhook through the same inbox as Stripe's (see ``payments.webhooks.simulate_outcome``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from innkeeper.identity.deps import Ctx
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.payments import service
from innkeeper.payments.errors import PaymentNotFound
from innkeeper.payments.gateways.registry import simulated
from innkeeper.payments.webhooks import simulate_outcome

router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)


@router.get("/pay/{payment_id}", response_class=HTMLResponse)
async def checkout(payment_id: uuid.UUID, request: Request, session: DbSession, ctx: Ctx) -> HTMLResponse:
    simulated(ctx)  # 404 unless the simulated provider is enabled
    payment = await service.get(session, payment_id)
    if payment.provider != "simulated":
        raise PaymentNotFound("No simulated payment with this id")
    return request.app.state.templates.TemplateResponse(
        request, "checkout.html", {"payment": payment, "amount": payment.amount.format(), "done": None}
    )


@router.post("/pay/{payment_id}", response_class=HTMLResponse)
async def checkout_submit(
    payment_id: uuid.UUID,
    request: Request,
    session: DbSession,
    ctx: Ctx,
    outcome: Annotated[str, Form(pattern="^(succeeded|failed)$")],
) -> HTMLResponse:
    payment = await service.get(session, payment_id)
    await simulate_outcome(ctx, session, payment_id, outcome)
    return request.app.state.templates.TemplateResponse(
        request, "checkout.html", {"payment": payment, "amount": payment.amount.format(), "done": outcome}
    )
