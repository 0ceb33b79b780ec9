"""reviews, favorites, loyalty ledger

Reviews (one per booking), favorites (a user's properties; the model sits in ``catalog`` so search can
read it), the loyalty accounts and their append-only ledger, and ``properties.review_count`` beside the
existing ``rating_x10``: both are kept from published reviews.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def _reviews() -> None:
    op.create_table(
        "reviews",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rejection_reason", sa.String(length=500), nullable=True),
        sa.Column("moderated_by", sa.Uuid(), nullable=True),
        sa.Column("moderated_at", UTCDateTime(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("reply_body", sa.Text(), nullable=True),
        sa.Column("reply_by", sa.Uuid(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'rejected')", name=op.f("ck_reviews_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_reviews_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_reviews_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reviews_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_reviews_booking_id")),
    )
    op.create_index("ix_reviews_property_id_status", "reviews", ["property_id", "status"], unique=False)
    op.create_index("ix_reviews_user_id", "reviews", ["user_id"], unique=False)


def _favorites() -> None:
    op.create_table(
        "favorites",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_favorites_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "property_id", name=op.f("pk_favorites")),
    )
    op.create_index("ix_favorites_property_id", "favorites", ["property_id"], unique=False)


def _loyalty() -> None:
    op.create_table(
        "loyalty_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("points", BIGINT, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_loyalty_accounts_points_nonnegative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_loyalty_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_loyalty_accounts")),
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", BIGINT, nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("credit_minor", BIGINT, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("wallet_entry_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('earn', 'reversal', 'redeem')", name=op.f("ck_loyalty_entries_kind_known")
        ),
        sa.CheckConstraint(
            "(kind = 'earn' AND points > 0) OR (kind IN ('reversal', 'redeem') AND points < 0)",
            name=op.f("ck_loyalty_entries_sign_matches_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_loyalty_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_loyalty_entries_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
    )
    op.create_index(
        "ix_loyalty_entries_user_id_created_at", "loyalty_entries", ["user_id", "created_at"], unique=False
    )
    op.create_index(
        "ux_loyalty_entries_earn",
        "loyalty_entries",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'earn'"),
        sqlite_where=sa.text("kind = 'earn'"),
    )
    op.create_index(
        "ux_loyalty_entries_refund",
        "loyalty_entries",
        ["refund_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'reversal'"),
        sqlite_where=sa.text("kind = 'reversal'"),
    )


def upgrade() -> None:
    # a plain ADD COLUMN (NOT NULL with a default): no table copy on SQLite, no rewrite on PostgreSQL
    op.add_column(
        "properties", sa.Column("review_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    _reviews()
    _favorites()
    _loyalty()


def downgrade() -> None:
    op.drop_table("loyalty_entries")
    op.drop_table("loyalty_accounts")
    op.drop_table("favorites")
    op.drop_table("reviews")
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.drop_column("review_count")
