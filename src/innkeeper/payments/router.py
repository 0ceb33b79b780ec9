"""Payments HTTP: read a payment, refund it, simulate the customer, receive webhooks, inspect the inbox."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from innkeeper.billing import wallet
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, PlatformAdmin
from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import IDEMPOTENT, JSON_WRITE, problem_responses
from innkeeper.kit.schemas import AmountInvalid, CurrencyMismatch, MoneyIn
from innkeeper.payments import service, topup, webhooks
from innkeeper.payments.errors import (
    GatewayError,
    GatewayUnavailable,
    NotRefundable,
    PaymentMethodUnavailable,
    PaymentNotFound,
    RefundExceeds,
    WebhookMalformed,
    WebhookSignatureInvalid,
    WebhookUnknownPayment,
)
from innkeeper.payments.gateways.registry import gateway
from innkeeper.payments.gateways.signing import HEADER
from innkeeper.payments.models import Payment
from innkeeper.payments.schemas import (
    PaymentOut,
    RefundIn,
    RefundOut,
    SimulateIn,
    WebhookAck,
    WebhookEventList,
    WebhookEventOut,
)

router = APIRouter(route_class=UnitOfWorkRoute, tags=["payments"], responses=problem_responses(422))


def _visible(payment: Payment, user: Any) -> None:
    if not (user.is_platform_admin or (payment.user_id is not None and payment.user_id == user.id)):
        raise PaymentNotFound("No such payment")


@router.get(
    "/payments/{payment_id}", response_model=PaymentOut, responses=problem_responses(401, PaymentNotFound)
)
async def read_payment(payment_id: uuid.UUID, session: DbSession, user: CurrentUser, ctx: Ctx) -> PaymentOut:
    payment = await service.get(session, payment_id)
    _visible(payment, user)
    return PaymentOut.of(ctx, payment)


@router.get(
    "/payments/{payment_id}/refunds",
    response_model=ListOf[RefundOut],
    responses=problem_responses(401, PaymentNotFound),
)
async def list_refunds(payment_id: uuid.UUID, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    payment = await service.get(session, payment_id)
    _visible(payment, user)
    items = [RefundOut.of(r) for r in await service.refunds_of(session, payment_id)]
    return {"items": items, "total": len(items)}


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(
        401,
        (403, "auth.admin_only"),
        PaymentNotFound,
        *JSON_WRITE,
        *IDEMPOTENT,
        AmountInvalid,
        CurrencyMismatch,
        PaymentMethodUnavailable,
        NotRefundable,
        RefundExceeds,
        GatewayError,
    ),
)
async def create_refund(
    payment_id: uuid.UUID, body: RefundIn, session: DbSession, admin: PlatformAdmin, actor: ActorDep, ctx: Ctx
) -> RefundOut:
    """Platform admins (property staff join when bookings own payments)."""
    amount = None
    if body.amount is not None:  # in the payment's currency
        payment = await service.get(session, payment_id)
        amount = body.amount.resolve(payment.currency, positive=True, mismatch=CurrencyMismatch)
    item = await service.refund(
        ctx,
        session,
        actor,
        payment_id,
        amount=amount,
        destination=body.destination,
        reason=body.reason,
    )
    return RefundOut.of(item)


@router.post(
    "/payments/{payment_id}/simulate",
    response_model=WebhookAck,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(*JSON_WRITE, PaymentNotFound, GatewayUnavailable),
)
async def simulate(payment_id: uuid.UUID, body: SimulateIn, session: DbSession, ctx: Ctx) -> WebhookAck:
    """Simulated provider only (404 otherwise). The payment id is the capability, as on the checkout page."""
    stored, duplicate = await webhooks.simulate_outcome(ctx, session, payment_id, body.outcome)
    return WebhookAck(duplicate=duplicate, event_id=stored.event_id, status=stored.status)


class TopUpIn(BaseModel):
    amount: MoneyIn


@router.post(
    "/users/me/wallet/top-ups",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    tags=["wallet"],
    responses=problem_responses(
        401, *JSON_WRITE, *IDEMPOTENT, AmountInvalid, CurrencyMismatch, GatewayUnavailable, GatewayError
    ),
)
async def top_up(
    body: TopUpIn, session: DbSession, user: CurrentUser, actor: ActorDep, ctx: Ctx
) -> PaymentOut:
    """Add money by card: a pending credit that completes when the card payment succeeds."""
    currency = await wallet.currency_of(session, user.id, body.amount, ctx.settings.wallet_default_currency)
    amount = body.amount.resolve(currency, positive=True, mismatch=CurrencyMismatch)
    payment = await topup.start_top_up(ctx, session, actor, user.id, amount)
    return PaymentOut.of(ctx, payment)


#: Mounted under ``/api/v1`` *outside* the per-IP write budget: providers deliver in bursts (Stripe
#: replays a backlog after an outage) from few addresses, and a forged request is refused by its
#: signature before it touches the database.
webhook_router = APIRouter(route_class=UnitOfWorkRoute, tags=["webhooks"])


@webhook_router.post(
    "/webhooks/{provider}",
    response_model=WebhookAck,
    responses=problem_responses(
        (404, "webhook.unknown_provider"),
        GatewayUnavailable,
        WebhookUnknownPayment,
        WebhookSignatureInvalid,
        WebhookMalformed,
        413,
        422,
    ),
)
async def receive_webhook(provider: str, request: Request, session: DbSession, ctx: Ctx) -> WebhookAck:
    """Signed provider events (``Stripe-Signature``). Duplicates are harmless: 200 ``duplicate: true``."""
    if provider not in ("stripe", "simulated"):
        raise NotFound("No such webhook", code="webhook.unknown_provider")
    gateway(ctx, provider)  # 404 when the provider is not enabled
    body = await request.body()
    stored, duplicate = await webhooks.ingest(ctx, session, provider, body, request.headers.get(HEADER))
    return WebhookAck(duplicate=duplicate, event_id=stored.event_id, status=stored.status)


admin = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["admin"],
    prefix="/admin",
    responses=problem_responses(401, (403, "auth.admin_only"), 422),
)


@admin.get("/webhook-events", response_model=WebhookEventList)
async def list_events(
    session: DbSession,
    _admin: PlatformAdmin,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(received|processed|ignored|deferred|error)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WebhookEventList:
    rows, total = await webhooks.list_events(session, status_, limit=limit, offset=offset)
    return WebhookEventList(items=[webhooks.event_summary(r) for r in rows], total=total)


@admin.post(
    "/webhook-events/{event_row_id}/retry",
    response_model=WebhookEventOut,
    responses=problem_responses((404, "webhook.not_found"), 429),
)
async def retry_event(
    event_row_id: uuid.UUID, session: DbSession, _admin: PlatformAdmin, actor: ActorDep
) -> dict[str, Any]:
    return webhooks.event_summary(await webhooks.retry_event(session, actor, event_row_id))


__all__ = ["admin", "router", "webhook_router"]
