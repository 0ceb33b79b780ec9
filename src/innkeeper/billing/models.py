"""The wallet: one account per user and currency, and its append-only ledger.

``balance_minor`` on the account is a cache of the sum of its *completed* entries, kept in the same
transaction as each entry and checked by :func:`innkeeper.billing.wallet.reconcile`. A CHECK constraint
keeps it from going negative, so an overdraft fails in the database even if a code path forgot to ask.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, TimestampMixin
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
