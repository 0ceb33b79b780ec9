"""The wallet: one account per user and currency, and its append-only ledger.

``balance_minor`` on the account is a cache of the sum of its *completed* entries, kept in the same
transaction as each entry and checked by :func:`innkeeper.billing.wallet.reconcile`. A CHECK constraint
keeps it from going negative, so an overdraft fails in the database even if a code path forgot to ask.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, JSONType, TimestampMixin
from innkeeper.kit.money import Money


class EntryKind(StrEnum):
    credit = "credit"  # money in: a top-up
    debit = "debit"  # money out: paying with the wallet
    refund = "refund"  # money back into the wallet
    adjustment = "adjustment"  # a platform admin's correction, either sign


class EntryStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    failed = "failed"


class WalletAccount(IdMixin, TimestampMixin, Base):
    __tablename__ = "wallet_accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "currency"),
        CheckConstraint("balance_minor >= 0", name="balance_nonnegative"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInt, default=0)

    @property
    def balance(self) -> Money:
        return Money(self.balance_minor, self.currency)


class WalletEntry(IdMixin, Base):
    __tablename__ = "wallet_entries"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        CheckConstraint(
            "(kind IN ('credit', 'refund') AND amount_minor > 0) OR (kind = 'debit' AND amount_minor < 0)"
            " OR kind = 'adjustment'",
            name="sign_matches_kind",
        ),
        CheckConstraint("kind IN ('credit', 'debit', 'refund', 'adjustment')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'completed', 'failed')", name="status_known"),
        Index("ix_wallet_entries_account_created", "account_id", "created_at"),
        Index("ix_wallet_entries_reference", "reference_type", "reference_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wallet_accounts.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    #: Signed: credits and refunds positive, debits negative, adjustments either.
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    memo: Mapped[str | None] = mapped_column(String(500))
    actor_user_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# -- folios and invoices --------------------------------------------------------------------------------


class SettlementStatus(StrEnum):
    """A booking's ``payment_status``: how far its folio is paid (derived from the folio's totals)."""

    unpaid = "unpaid"
    partially_paid = "partially_paid"
    paid = "paid"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class FolioKind(StrEnum):
    charge = "charge"  # what the guest owes: nights, discounts (negative), taxes, fees, cancellation
    payment = "payment"  # money received (one row per succeeded payment)
    refund = "refund"  # money given back (one row per succeeded refund; a reversal is negative)


class FolioEntry(IdMixin, Base):
    """One append-only row of a booking's running bill. Never updated, never deleted: a change posts
    an adjusting row. balance = sum(charges) - sum(payments) + sum(refunds)."""

    __tablename__ = "folio_entries"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        CheckConstraint("kind IN ('charge', 'payment', 'refund')", name="kind_known"),
        CheckConstraint(
            "kind <> 'payment' OR (amount_minor > 0 AND payment_id IS NOT NULL)", name="payment_row"
        ),
        CheckConstraint("kind <> 'refund' OR refund_id IS NOT NULL", name="refund_row"),
        Index("ix_folio_entries_booking_created", "booking_id", "created_at"),
        Index("ix_folio_entries_property_created", "property_id", "created_at"),
        # a payment or refund lands on the folio once, however often its outcome is replayed
        Index(
            "ux_folio_entries_payment",
            "payment_id",
            unique=True,
            postgresql_where=text("kind = 'payment'"),
            sqlite_where=text("kind = 'payment'"),
        ),
        Index(
            "ux_folio_entries_refund",
            "refund_id",
            "category",
            unique=True,
            postgresql_where=text("kind = 'refund'"),
            sqlite_where=text("kind = 'refund'"),
        ),
        # a delivered service order's lines (its charge, its VAT) land once, however often "deliver"
        # is pressed (billing.folio.post_service_order)
        Index(
            "ux_folio_entries_service_order",
            "service_order_id",
            "category",
            unique=True,
            postgresql_where=text("service_order_id IS NOT NULL"),
            sqlite_where=text("service_order_id IS NOT NULL"),
        ),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"))
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    #: accommodation, loyalty, promo, vat, city_tax, fee, cancellation, payment, refund, refund_reversal
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    service_date: Mapped[date | None] = mapped_column(Date)
    #: Signed for charges (discounts negative); payments positive; refunds positive (reversal negative).
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"))
    #: the service order (``extras``) a row bills; no foreign key, because billing sits below extras
    #: and must not name its table. Such rows are outside the stay's quote (``sync_charges``) and
    #: survive a cancellation of the booking.
    service_order_id: Mapped[uuid.UUID | None]
    actor_user_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class InvoiceCounter(Base):
    """The next invoice number of a property, taken with the row locked: numbers have no gaps."""

    __tablename__ = "invoice_counters"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number"),)

    property_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("properties.id", ondelete="RESTRICT"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(BigInt, default=0)


class Invoice(IdMixin, Base):
    """An issued invoice or credit note: a frozen snapshot (property details, lines, taxes, payments),
    numbered per property without gaps. Never changed after issue; a credit note reverses it."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)", name="credit_note_refers"
        ),
        Index("ix_invoices_booking_id", "booking_id"),
        Index(
            "ux_invoices_credited",
            "credited_invoice_id",
            unique=True,
            postgresql_where=text("credited_invoice_id IS NOT NULL"),
            sqlite_where=text("credited_invoice_id IS NOT NULL"),
        ),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(BigInt)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    credited_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT")
    )
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInt)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[uuid.UUID | None]
    #: the frozen document: seller, buyer, lines, taxes, payments, totals
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
