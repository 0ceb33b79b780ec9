"""Payment jobs, run after the transaction that enqueued them committed (never inside one)."""

from __future__ import annotations

import traceback
import uuid
from typing import Any

import structlog

from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobContext, enqueue, registry
from innkeeper.payments import service, webhooks
from innkeeper.payments.errors import GatewayError
from innkeeper.payments.gateways.registry import gateway
from innkeeper.payments.models import PaymentStatus, Refund, RefundStatus

log = structlog.get_logger(__name__)


@registry.handler(service.PROCESS_EVENT_JOB)
async def process_event(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    event_row_id = uuid.UUID(payload["event_row_id"])
    try:
        async with app.db.unit_of_work() as session:
            await webhooks.process(app, session, event_row_id)
    except Exception as exc:
        # the event stays visible as `error` with its last error; the job retries with backoff
        await webhooks.record_failure(
            app, event_row_id, "".join(traceback.format_exception_only(exc)).strip()
        )
        raise


@registry.handler(service.CREATE_INTENT_JOB)
async def create_intent(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    payment_id = uuid.UUID(payload["payment_id"])
    async with app.db.unit_of_work(write=False) as session:
        payment = await service.get(session, payment_id)
    if payment.gateway_ref or payment.status != PaymentStatus.requires_payment:
        return  # done already, or cancelled before the intent existed (then none is ever made)
    gw = gateway(app, payment.provider)
    actor = Actor.system(service.CREATE_INTENT_JOB)
    try:
        intent = await gw.create_intent(service.intent_request(payment))  # idempotent at the provider
    except GatewayError as exc:
        async with app.db.unit_of_work() as session:
            locked = await service.get(session, payment_id, lock=True)
            await service.mark_failed(session, actor, locked, f"provider refused: {exc.detail}")
        return
    async with app.db.unit_of_work() as session:
        locked = await service.get(session, payment_id, lock=True)
        if locked.gateway_ref is None:
            locked.gateway_ref = intent.ref
            locked.client_secret = intent.client_secret
            if locked.status != PaymentStatus.requires_payment:  # cancelled while we were calling
                enqueue(session, service.CANCEL_INTENT_JOB, {"payment_id": str(locked.id)})
            record(
                session,
                actor,
                "payment.intent_created",
                "payment",
                locked.id,
                after={"gateway_ref": intent.ref},
            )


@registry.handler(service.EXECUTE_REFUND_JOB)
async def execute_refund(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    refund_id = uuid.UUID(payload["refund_id"])
    async with app.db.unit_of_work(write=False) as session:
        item = await session.get(Refund, refund_id)
        if item is None or item.status != RefundStatus.pending or item.gateway_ref:
            return
        payment = await service.get(session, item.payment_id)
    gw = gateway(app, payment.provider)
    actor = Actor.system(service.EXECUTE_REFUND_JOB)
    assert payment.gateway_ref, "a succeeded card payment has a gateway reference"
    try:
        result = await gw.refund(
            payment.gateway_ref,
            item.amount,
            idempotency_key=service.refund_key(item.id),
            metadata={"refund_id": str(item.id), "payment_id": str(payment.id)},
            reverse_transfer=payment.connected_account is not None,
        )
        status, reason, ref = RefundStatus(result.status), None, result.ref
    except GatewayError as exc:
        status, reason, ref = RefundStatus.failed, exc.detail, None
    async with app.db.unit_of_work() as session:
        locked_payment = await service.get(session, payment.id, lock=True)
        locked = await session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        assert locked is not None
        if ref and locked.gateway_ref is None:
            locked.gateway_ref = ref
        await service.settle_refund(session, actor, locked_payment, locked, status, reason)


@registry.handler(service.CANCEL_INTENT_JOB)
async def cancel_intent(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    payment_id = uuid.UUID(payload["payment_id"])
    async with app.db.unit_of_work(write=False) as session:
        payment = await service.get(session, payment_id)
    if payment.gateway_ref is None:
        return  # cancelled before its intent was created: create_intent will not make one
    try:
        await gateway(app, payment.provider).cancel_intent(
            payment.gateway_ref, idempotency_key=f"{service.payment_key(payment.id)}-cancel"
        )
    except GatewayError as exc:  # e.g. it succeeded meanwhile: its webhook records the money
        log.info("payments.cancel_refused", payment_id=str(payment_id), error=exc.detail)
