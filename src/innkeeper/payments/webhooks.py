"""The webhook inbox: verify, store once, process after commit.

:func:`ingest` verifies the signature (forged or stale: 400, nothing stored), parses the event
(malformed: 400), checks that it refers to a payment we know (unknown: 404), and inserts it with
``ON CONFLICT (provider, event_id) DO NOTHING``: a duplicate delivery, even a concurrent one, is
stored once and answered 200. A stored event enqueues ``payments.process_event`` in the same
transaction, so it is processed if and only if it was stored.

:func:`process` applies one event with the payment row locked and is idempotent: an event already
processed is skipped, an outcome already recorded changes nothing. Out of order:

* a success after a failure wins (Stripe lets a failed intent succeed on a later attempt);
* a failure after a success is ignored;
* a refund event for a payment not yet succeeded is ``deferred`` and re-queued when the success
  arrives.

Events that are not about a payment are stored ``ignored``, unless a higher layer registered a
handler for their type (``hooks.on_event``: ``account.updated`` for Connect), which then applies them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import insert_for
from innkeeper.kit.errors import NotFound
from innkeeper.kit.jobs import enqueue
from innkeeper.kit.money import Money
from innkeeper.payments import hooks, service
from innkeeper.payments.errors import GatewayUnavailable, PaymentNotFound, WebhookUnknownPayment
from innkeeper.payments.gateways import GatewayEvent, parse_event
from innkeeper.payments.gateways.registry import gateway, simulated
from innkeeper.payments.models import (
    EventStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundDestination,
    RefundStatus,
    WebhookEvent,
)

PAYMENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.canceled",
}
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
_REFUND_STATUS = {
    "pending": RefundStatus.pending,
    "requires_action": RefundStatus.pending,
    "succeeded": RefundStatus.succeeded,
    "failed": RefundStatus.failed,
    "canceled": RefundStatus.failed,
}


async def _find_payment(session: AsyncSession, provider: str, event: GatewayEvent) -> Payment | None:
    if event.payment_id is not None:
        payment = await session.get(Payment, event.payment_id)
        if payment is not None and payment.provider == provider:
            return payment
    if event.payment_ref:
        return await session.scalar(
            select(Payment).where(Payment.provider == provider, Payment.gateway_ref == event.payment_ref)
        )
    return None


async def ingest(
    ctx: AppContext, session: AsyncSession, provider: str, body: bytes, signature: str | None
) -> tuple[WebhookEvent, bool]:
    """Store a signed event once. Returns (the stored event, whether this delivery was a duplicate)."""
    gw = gateway(ctx, provider)
    event = gw.parse_webhook(body, signature)
    handled = event.type in PAYMENT_EVENTS or event.type in REFUND_EVENTS
    payment = await _find_payment(session, provider, event)
    if handled and payment is None:
        raise WebhookUnknownPayment(f"No {provider} payment matches event {event.event_id}")
    # events about something else (``account.updated``: Connect) go to the layer that registered them
    handled = handled or hooks.event_handler(event.type) is not None
    stmt = insert_for(session, WebhookEvent).values(
        id=uuid.uuid4(),
        provider=provider,
        event_id=event.event_id,
        event_type=event.type,
        payload=event.raw,
        payment_id=payment.id if payment else None,
        status=(EventStatus.received if handled else EventStatus.ignored).value,
        attempts=0,
        received_at=utcnow(),
    )
    inserted = await session.execute(stmt.on_conflict_do_nothing(index_elements=["provider", "event_id"]))
    stored = await session.scalar(
        select(WebhookEvent).where(WebhookEvent.provider == provider, WebhookEvent.event_id == event.event_id)
    )
    assert stored is not None
    fresh = inserted.rowcount == 1  # type: ignore[attr-defined]
    if fresh and handled:
        enqueue(session, service.PROCESS_EVENT_JOB, {"event_row_id": str(stored.id)})
    return stored, not fresh


async def process(ctx: AppContext, session: AsyncSession, event_row_id: uuid.UUID) -> str:
    """Apply one stored event; returns its new status."""
    row = await session.get(WebhookEvent, event_row_id, with_for_update=True, populate_existing=True)
    if row is None:
        return "missing"
    if row.status in (EventStatus.processed, EventStatus.ignored):
        return row.status
    actor = Actor.system(f"webhook:{row.provider}")
    event = _parse_stored(row)
    payment = None
    if row.payment_id is not None:
        unlocked = await session.get(Payment, row.payment_id)
        if unlocked is not None:  # lock order: the purpose's row (the booking), then the payment
            await hooks.lock_purpose(session, unlocked.purpose_type, unlocked.purpose_id)
        payment = await service.get(session, row.payment_id, lock=True)
    other = hooks.event_handler(event.type)
    if payment is None and other is not None:
        obj = (row.payload.get("data") or {}).get("object") or {}
        status = EventStatus.processed if await other(session, obj, actor) else EventStatus.ignored
    elif payment is None:
        status = EventStatus.ignored
    elif event.type in PAYMENT_EVENTS:
        status = await _apply_payment_event(session, actor, payment, event)
    else:
        status = await _apply_refund_event(session, actor, payment, event)
    row.status = status.value
    row.attempts += 1
    row.last_error = None
    row.processed_at = utcnow() if status != EventStatus.deferred else None
    return row.status


def _parse_stored(row: WebhookEvent) -> GatewayEvent:
    return parse_event(json.dumps(row.payload).encode())


async def _apply_payment_event(
    session: AsyncSession, actor: Actor, payment: Payment, event: GatewayEvent
) -> EventStatus:
    if event.currency and event.currency != payment.currency:
        raise ValueError(f"event currency {event.currency} differs from the payment's {payment.currency}")
    changed = False
    if event.type == "payment_intent.succeeded":
        changed = await service.mark_succeeded(
            session, actor, payment, event.amount_minor or payment.amount_minor
        )
        if changed:
            await _requeue_deferred(session, payment.id)
    elif event.type == "payment_intent.payment_failed":
        changed = await service.mark_failed(session, actor, payment, event.failure_reason or "payment failed")
    elif event.type == "payment_intent.canceled":
        changed = await service.mark_failed(session, actor, payment, "cancelled", cancelled=True)
    elif event.type == "payment_intent.processing":
        changed = await service.mark_processing(session, actor, payment)
    return EventStatus.processed if changed else EventStatus.ignored


async def _requeue_deferred(session: AsyncSession, payment_id: uuid.UUID) -> None:
    deferred = (
        await session.scalars(
            select(WebhookEvent.id).where(
                WebhookEvent.payment_id == payment_id, WebhookEvent.status == EventStatus.deferred.value
            )
        )
    ).all()
    for event_row_id in deferred:
        enqueue(session, service.PROCESS_EVENT_JOB, {"event_row_id": str(event_row_id)})


async def _apply_refund_event(
    session: AsyncSession, actor: Actor, payment: Payment, event: GatewayEvent
) -> EventStatus:
    if payment.status != PaymentStatus.succeeded:
        return EventStatus.deferred  # the charge's success has not been recorded yet
    status = _REFUND_STATUS.get(event.status or "", RefundStatus.pending)
    if event.type == "refund.failed":
        status = RefundStatus.failed
    item: Refund | None = None
    if event.refund_id is not None:
        item = await session.get(Refund, event.refund_id, with_for_update=True, populate_existing=True)
    if item is None and event.object_ref:
        item = await session.scalar(
            select(Refund).where(Refund.gateway_ref == event.object_ref).with_for_update()
        )
    if item is None:
        # a refund made at the provider (its dashboard): record it, within what was paid
        if status == RefundStatus.failed or not event.amount_minor:
            return EventStatus.ignored
        amount = Money(event.amount_minor, payment.currency)
        await service.reserve_refund(session, payment, amount.minor)
        item = Refund(
            id=uuid.uuid4(),
            payment_id=payment.id,
            amount_minor=amount.minor,
            currency=amount.currency,
            status=RefundStatus.pending.value,
            destination=RefundDestination.card.value,
            gateway_ref=event.object_ref,
            reason="made at the payment provider",
        )
        session.add(item)
        await session.flush()
        record(
            session,
            actor,
            "refund.created",
            "refund",
            item.id,
            after={"amount": amount.to_api(), "external": True},
        )
    elif item.gateway_ref is None and event.object_ref:
        item.gateway_ref = event.object_ref
    changed = await service.settle_refund(session, actor, payment, item, status, event.failure_reason)
    return EventStatus.processed if changed or item.status == RefundStatus.pending else EventStatus.ignored


async def record_failure(ctx: AppContext, event_row_id: uuid.UUID, error: str) -> None:
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_row_id)
            .values(
                status=EventStatus.error.value, attempts=WebhookEvent.attempts + 1, last_error=error[:2000]
            )
        )


def event_summary(row: WebhookEvent) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "provider": row.provider,
        "event_id": row.event_id,
        "type": row.event_type,
        "payment_id": str(row.payment_id) if row.payment_id else None,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "received_at": row.received_at.isoformat(),
        "processed_at": row.processed_at.isoformat() if row.processed_at else None,
    }


async def simulate_outcome(
    ctx: AppContext, session: AsyncSession, payment_id: uuid.UUID, outcome: str
) -> tuple[WebhookEvent, bool]:
    """The simulated customer: build the event Stripe would send, sign it, and deliver it to the inbox
    exactly as ``POST /webhooks/simulated`` does (signature verification included). Refused (404)
    in production unless explicitly allowed: anyone holding a payment id could pay with nothing. The
    API's simulate endpoint and the checkout page both come through here."""
    if not ctx.settings.simulated_payments_allowed:
        raise GatewayUnavailable("The simulated payment provider is not enabled")
    gw = simulated(ctx)
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.provider != "simulated" or payment.gateway_ref is None:
        raise PaymentNotFound("No simulated payment with this id")
    event = gw.payment_event(
        payment_id=payment.id, payment_ref=payment.gateway_ref, amount=payment.amount, outcome=outcome
    )
    body, signature = gw.signed(event)
    return await ingest(ctx, session, "simulated", body, signature)


async def list_events(
    session: AsyncSession, status: str | None, *, limit: int, offset: int
) -> tuple[list[WebhookEvent], int]:
    """The inbox, newest first (optionally in one status), and how many there are in all."""
    stmt = select(WebhookEvent)
    if status:
        stmt = stmt.where(WebhookEvent.status == status)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(stmt.order_by(WebhookEvent.received_at.desc()).limit(limit).offset(offset))
    return list(rows.all()), total


async def retry_event(session: AsyncSession, actor: Actor, event_row_id: uuid.UUID) -> WebhookEvent:
    """Process an event again (one that failed, waits, or was never processed); 404 otherwise."""
    row = await session.get(WebhookEvent, event_row_id)
    if row is None or row.status not in (EventStatus.error, EventStatus.deferred, EventStatus.received):
        raise NotFound("No unprocessed webhook event with this id", code="webhook.not_found")
    enqueue(session, service.PROCESS_EVENT_JOB, {"event_row_id": str(row.id)})
    record(session, actor, "webhook.retry", "webhook_event", row.id, after={"at": utcnow().isoformat()})
    return row
