from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from innkeeper.context import AppContext
from innkeeper.kit.outputs import Instant, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyIn, MoneyOut
from innkeeper.payments.models import Payment, Refund
from innkeeper.payments.service import checkout_url


class RefundIn(BaseModel):
    amount: MoneyIn | None = None
    destination: Literal["card", "wallet"] | None = None
    reason: str | None = Field(None, max_length=500)


class SimulateIn(BaseModel):
    outcome: Literal["succeeded", "failed"]


class RefundOut(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    status: str
    amount: MoneyOut
    destination: str
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, item: Refund) -> RefundOut:
        return cls(
            id=item.id,
            payment_id=item.payment_id,
            status=item.status,
            amount=MoneyOut(**item.amount.to_api()),
            destination=item.destination,
            reason=item.reason,
            created_at=item.created_at,
        )


class PaymentOut(BaseModel):
    id: uuid.UUID
    status: str
    method: str
    provider: str
    amount: MoneyOut
    amount_received: MoneyOut
    amount_refunded: MoneyOut
    purpose_type: str
    purpose_id: str
    client_secret: str | None = None
    checkout_url: str | None = None
    failure_reason: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, ctx: AppContext, payment: Payment, *, show_secret: bool = True) -> PaymentOut:
        return cls(
            id=payment.id,
            status=payment.status,
            method=payment.method,
            provider=payment.provider,
            amount=MoneyOut(**payment.amount.to_api()),
            amount_received=MoneyOut(**payment.received.to_api()),
            amount_refunded=MoneyOut(**payment.refunded.to_api()),
            purpose_type=payment.purpose_type,
            purpose_id=payment.purpose_id,
            client_secret=payment.client_secret if show_secret else None,
            checkout_url=checkout_url(ctx, payment),
            failure_reason=payment.failure_reason,
            created_at=payment.created_at,
        )


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool
    event_id: str
    status: str


class WebhookEventOut(Out):
    """A received provider event (``payments.webhooks.event_summary``)."""

    id: uuid.UUID
    provider: str
    event_id: str
    type: str = Field(examples=["payment_intent.succeeded"])
    payment_id: uuid.UUID | None
    status: str = Field(examples=["processed"])
    attempts: int
    last_error: str | None
    received_at: Instant
    processed_at: Instant | None


class WebhookEventList(ListOf[WebhookEventOut]):
    pass
