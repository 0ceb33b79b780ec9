"""Reviews, favorites and the loyalty ledger.

Favorites are ``catalog.models.Favorite``: search (below engagement) marks them in its results, so the
table lives beside the property; this package owns their routes and rules.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, TimestampMixin


class ReviewStatus(StrEnum):
    pending = "pending"
    published = "published"
    rejected = "rejected"


class Review(IdMixin, TimestampMixin, Base):
    """A guest's review of one finished booking (one per booking). Only ``published`` reviews are
    shown and counted in the property's ``rating_x10`` / ``review_count``."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("status IN ('pending', 'published', 'rejected')", name="status_known"),
        Index("ix_reviews_property_id_status", "property_id", "status"),
        Index("ix_reviews_user_id", "user_id"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: how the author is shown publicly ("Ana S."), fixed when written
    author_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.pending.value)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    moderated_by: Mapped[uuid.UUID | None]
    moderated_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    reply_body: Mapped[str | None] = mapped_column(Text)
    reply_by: Mapped[uuid.UUID | None]
    replied_at: Mapped[datetime | None]


class LoyaltyKind(StrEnum):
    earn = "earn"  # a finished stay or slot
    reversal = "reversal"  # a refund of a stay that had earned points
    redeem = "redeem"  # points turned into wallet credit


class LoyaltyAccount(Base):
    """A user's point balance: moved only together with a ledger row, by a conditional UPDATE, and a
    CHECK keeps it from going below zero whatever runs in parallel."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (CheckConstraint("points >= 0", name="points_nonnegative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    points: Mapped[int] = mapped_column(BigInt, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoyaltyEntry(IdMixin, Base):
    """The append-only points ledger; an account's ``points`` is always the sum of its rows."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('earn', 'reversal', 'redeem')", name="kind_known"),
        CheckConstraint(
            "(kind = 'earn' AND points > 0) OR (kind IN ('reversal', 'redeem') AND points < 0)",
            name="sign_matches_kind",
        ),
        Index("ix_loyalty_entries_user_id_created_at", "user_id", "created_at"),
        # a booking earns once; a refund is reversed once (payment hooks may fire again on a retry)
        Index(
            "ux_loyalty_entries_earn",
            "booking_id",
            unique=True,
            postgresql_where=text("kind = 'earn'"),
            sqlite_where=text("kind = 'earn'"),
        ),
        Index(
            "ux_loyalty_entries_refund",
            "refund_id",
            unique=True,
            postgresql_where=text("kind = 'reversal'"),
            sqlite_where=text("kind = 'reversal'"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    #: signed change of the balance
    points: Mapped[int] = mapped_column(BigInt)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    refund_id: Mapped[uuid.UUID | None]
    #: what a redemption credited to the wallet
    credit_minor: Mapped[int | None] = mapped_column(BigInt)
    currency: Mapped[str | None] = mapped_column(String(3))
    wallet_entry_id: Mapped[uuid.UUID | None]
    memo: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
