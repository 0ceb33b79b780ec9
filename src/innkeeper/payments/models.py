"""Payments, refunds and the webhook inbox.

Amounts are integer minor units with an ISO currency on every row (invariant 4). The database backs the
money rules with CHECK constraints: a payment is positive, what was refunded never exceeds what was
received, a refund is positive. ``amount_refunded`` counts pending and succeeded refunds, so a refund
in flight already reserves its share and a concurrent one cannot overdraw the payment.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, TimestampMixin
from innkeeper.kit.money import Money


class PaymentStatus(StrEnum):
    requires_payment = "requires_payment"
    processing = "processing"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class PaymentMethod(StrEnum):
    card = "card"
    wallet = "wallet"


class RefundStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class RefundDestination(StrEnum):
    card = "card"  # back through the gateway that took the money
    wallet = "wallet"  # credited to the payer's wallet


class EventStatus(StrEnum):
    received = "received"  # stored, waiting for the job that processes it
    processed = "processed"
    ignored = "ignored"  # a type we do not act on, or nothing left to do
    deferred = "deferred"  # arrived before what it depends on (a refund before its charge)
    error = "error"  # processing raised; the job retries it


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Payment(IdMixin, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("amount_received_minor >= 0", name="received_nonnegative"),
        CheckConstraint("amount_received_minor <= amount_minor", name="received_within_amount"),
        CheckConstraint("amount_refunded_minor >= 0", name="refunded_nonnegative"),
        CheckConstraint("amount_refunded_minor <= amount_received_minor", name="refunded_within_received"),
        CheckConstraint(
            "application_fee_minor IS NULL"
            " OR (application_fee_minor >= 0 AND application_fee_minor <= amount_minor)",
            name="fee_within_amount",
        ),
        CheckConstraint(_in("status", PaymentStatus), name="status_known"),
        CheckConstraint(_in("method", PaymentMethod), name="method_known"),
        UniqueConstraint("provider", "gateway_ref"),
        Index("ix_payments_purpose", "purpose_type", "purpose_id"),
        Index("ix_payments_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What the money is for, owned by another domain: ("booking", <id>), ("wallet_topup", <account id>).
    purpose_type: Mapped[str] = mapped_column(String(40))
    purpose_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(20))  # simulated | stripe | wallet
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.requires_payment.value)
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    amount_received_minor: Mapped[int] = mapped_column(BigInt, default=0)
    amount_refunded_minor: Mapped[int] = mapped_column(BigInt, default=0)
    gateway_ref: Mapped[str | None] = mapped_column(String(255))
    client_secret: Mapped[str | None] = mapped_column(String(255))
    connected_account: Mapped[str | None] = mapped_column(String(255))
    application_fee_minor: Mapped[int | None] = mapped_column(BigInt)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    succeeded_at: Mapped[datetime | None]

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def received(self) -> Money:
        return Money(self.amount_received_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.amount_refunded_minor, self.currency)

    @property
    def refundable(self) -> Money:
        return Money(self.amount_received_minor - self.amount_refunded_minor, self.currency)


class Refund(IdMixin, TimestampMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(_in("status", RefundStatus), name="status_known"),
        CheckConstraint(_in("destination", RefundDestination), name="destination_known"),
        UniqueConstraint("gateway_ref"),
        Index("ix_refunds_payment_id", "payment_id"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.pending.value)
    destination: Mapped[str] = mapped_column(String(16), default=RefundDestination.card.value)
    gateway_ref: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(500))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class WebhookEvent(IdMixin, Base):
    """The inbox: every provider event stored once by (provider, event id), processed after commit."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        CheckConstraint(_in("status", EventStatus), name="status_known"),
        Index("ix_webhook_events_status", "status"),
        Index("ix_webhook_events_payment_id", "payment_id"),
    )

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.received.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
