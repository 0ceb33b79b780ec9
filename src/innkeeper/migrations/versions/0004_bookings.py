"""bookings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 17:33:02.340935
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import JSONType, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_guests",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("id_document_type", sa.String(length=20), nullable=True),
        sa.Column("id_document_number_enc", sa.Text(), nullable=True),
        sa.Column("id_document_last4", sa.String(length=4), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_guests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_guests")),
    )
    with op.batch_alter_table("saved_guests", schema=None) as batch_op:
        batch_op.create_index("ix_saved_guests_user_id", ["user_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("room_type_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("guest_token_hash", sa.String(length=64), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("checkin", sa.Date(), nullable=False),
        sa.Column("checkout", sa.Date(), nullable=False),
        sa.Column("release_from", sa.Date(), nullable=True),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payment_status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("refund_due_minor", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("promo_code", sa.String(length=40), nullable=True),
        sa.Column("quote", JSONType, nullable=False),
        sa.Column("cancellation_policy", JSONType, nullable=False),
        sa.Column("payment_policy", JSONType, nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("checked_in_at", UTCDateTime(), nullable=True),
        sa.Column("checked_out_at", UTCDateTime(), nullable=True),
        sa.Column("reminder_sent_at", UTCDateTime(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("checkout > checkin", name=op.f("ck_bookings_dates")),
        sa.CheckConstraint("guests >= rooms", name=op.f("ck_bookings_guests")),
        sa.CheckConstraint("refund_due_minor >= 0", name=op.f("ck_bookings_refund_due")),
        sa.CheckConstraint(
            "release_from IS NULL OR (release_from >= checkin AND release_from <= checkout)",
            name=op.f("ck_bookings_release_from"),
        ),
        sa.CheckConstraint("rooms >= 1", name=op.f("ck_bookings_rooms")),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_bookings_total")),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_bookings_property_id_properties")
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"], ["room_types.id"], name=op.f("fk_bookings_room_type_id_room_types")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("reference", name=op.f("uq_bookings_reference")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bookings_holds_due",
            ["room_type_id", "expires_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('reserved', 'guests_added', 'payment_pending')"),
            sqlite_where=sa.text("status IN ('reserved', 'guests_added', 'payment_pending')"),
        )
        batch_op.create_index("ix_bookings_property_checkin", ["property_id", "checkin"], unique=False)
        batch_op.create_index("ix_bookings_user_id", ["user_id"], unique=False)

    op.create_table(
        "booking_events",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_ip", sa.String(length=64), nullable=True),
        sa.Column("data", JSONType, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_events_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_events")),
    )
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.create_index("ix_booking_events_booking_id_at", ["booking_id", "at"], unique=False)

    op.create_table(
        "booking_guests",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("id_document_type", sa.String(length=20), nullable=True),
        sa.Column("id_document_number_enc", sa.Text(), nullable=True),
        sa.Column("id_document_last4", sa.String(length=4), nullable=True),
        sa.Column("saved_guest_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_guests_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_guests")),
    )
    with op.batch_alter_table("booking_guests", schema=None) as batch_op:
        batch_op.create_index("ix_booking_guests_booking_id", ["booking_id"], unique=False)

    op.create_table(
        "room_assignments",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_room_assignments_dates")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_room_assignments_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_room_assignments_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_assignments")),
        sa.UniqueConstraint(
            "booking_id",
            "room_id",
            "start_date",
            name=op.f("uq_room_assignments_booking_id_room_id_start_date"),
        ),
    )
    with op.batch_alter_table("room_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_room_assignments_booking_id", ["booking_id"], unique=False)
        batch_op.create_index(
            "ix_room_assignments_room_id_dates", ["room_id", "start_date", "end_date"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        # A room never holds two overlapping active stays, whatever the concurrency (SQLite: checked
        # under its write lock in bookings.service.stay).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE room_assignments ADD CONSTRAINT ex_room_assignments_no_overlap "
            "EXCLUDE USING gist (room_id WITH =, daterange(start_date, end_date) WITH &&) WHERE (active)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE room_assignments DROP CONSTRAINT IF EXISTS ex_room_assignments_no_overlap")
    with op.batch_alter_table("room_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_room_assignments_room_id_dates")
        batch_op.drop_index("ix_room_assignments_booking_id")

    op.drop_table("room_assignments")
    with op.batch_alter_table("booking_guests", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_guests_booking_id")

    op.drop_table("booking_guests")
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_events_booking_id_at")

    op.drop_table("booking_events")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_user_id")
        batch_op.drop_index("ix_bookings_property_checkin")
        batch_op.drop_index(
            "ix_bookings_holds_due",
            postgresql_where=sa.text("status IN ('reserved', 'guests_added', 'payment_pending')"),
            sqlite_where=sa.text("status IN ('reserved', 'guests_added', 'payment_pending')"),
        )

    op.drop_table("bookings")
    with op.batch_alter_table("saved_guests", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_guests_user_id")

    op.drop_table("saved_guests")
