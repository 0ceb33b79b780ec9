"""hourly resources: resources and their add-ons, weekly windows, exceptions, allocations, rates

Two active allocations of one resource never overlap, and the database says so: on PostgreSQL an
exclusion constraint over ``tstzrange(starts_at, ends_at, '[)')`` (``btree_gist`` gives the ``=`` on
``resource_id``), on SQLite BEFORE INSERT / BEFORE UPDATE triggers. SQLite stores the instants as
naive UTC text of fixed width (``YYYY-MM-DD HH:MM:SS.ffffff``, kit.db.UTCDateTime), so the triggers'
text comparisons order them as instants.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import JSONType, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")

#: SQLite: an active row that overlaps another active row of its resource aborts the statement
_SQLITE_OVERLAP = """
    SELECT RAISE(ABORT, 'slot_overlap') WHERE EXISTS (
        SELECT 1 FROM resource_allocations AS other
        WHERE other.resource_id = NEW.resource_id AND other.active AND other.id != NEW.id
          AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at
    );
"""


def _resources() -> None:
    op.create_table(
        "resources",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("hourly_price_minor", BIGINT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("max_duration_minutes", sa.Integer(), nullable=True),
        sa.Column("slot_step_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("amenities", JSONType, nullable=False),
        sa.Column("images", JSONType, nullable=False),
        sa.Column("travel", JSONType, nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('hall', 'meeting_room', 'professional')", name=op.f("ck_resources_kind")
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name=op.f("ck_resources_capacity")),
        sa.CheckConstraint("hourly_price_minor >= 0", name=op.f("ck_resources_hourly_price")),
        sa.CheckConstraint("min_duration_minutes >= 1", name=op.f("ck_resources_min_duration")),
        sa.CheckConstraint(
            "max_duration_minutes IS NULL OR max_duration_minutes >= min_duration_minutes",
            name=op.f("ck_resources_max_duration"),
        ),
        sa.CheckConstraint("slot_step_minutes >= 1", name=op.f("ck_resources_slot_step")),
        sa.CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name=op.f("ck_resources_buffers")
        ),
        sa.CheckConstraint("min_notice_minutes >= 0", name=op.f("ck_resources_min_notice")),
        sa.CheckConstraint("horizon_days >= 1", name=op.f("ck_resources_horizon_days")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_resources_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_resources_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index("ix_resources_property_id", ["property_id"], unique=False)
        batch_op.create_index("ix_resources_kind_is_active", ["kind", "is_active"], unique=False)

    op.create_table(
        "resource_addons",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_minor", BIGINT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_resource_addons_price")),
        sa.CheckConstraint(
            "unit IN ('per_booking', 'per_hour', 'per_person')", name=op.f("ck_resource_addons_unit")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_addons_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_addons")),
        sa.UniqueConstraint("resource_id", "code", name=op.f("uq_resource_addons_resource_id_code")),
    )


def _schedule() -> None:
    op.create_table(
        "resource_windows",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_resource_windows_weekday")),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name=op.f("ck_resource_windows_minutes"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_windows_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_windows")),
    )
    with op.batch_alter_table("resource_windows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_windows_resource_id_weekday", ["resource_id", "weekday"], unique=False
        )

    op.create_table(
        "resource_exceptions",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_resource_exceptions_range")),
        sa.CheckConstraint("kind IN ('closed', 'open')", name=op.f("ck_resource_exceptions_kind")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_exceptions_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_exceptions")),
    )
    with op.batch_alter_table("resource_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_exceptions_resource_id_starts_at", ["resource_id", "starts_at"], unique=False
        )


def _allocations() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "resource_allocations",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_resource_allocations_range")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_resource_allocations_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_allocations_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_allocations")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_resource_allocations_booking_id")),
    )
    with op.batch_alter_table("resource_allocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_allocations_resource_id_starts_at", ["resource_id", "starts_at"], unique=False
        )
    if postgres:
        op.execute(
            "ALTER TABLE resource_allocations ADD CONSTRAINT ex_resource_allocations_no_overlap "
            "EXCLUDE USING gist (resource_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (active)"
        )
    else:
        op.execute(
            "CREATE TRIGGER resource_allocations_no_overlap_insert BEFORE INSERT ON resource_allocations "
            f"WHEN NEW.active BEGIN {_SQLITE_OVERLAP} END"
        )
        op.execute(
            "CREATE TRIGGER resource_allocations_no_overlap_update "
            "BEFORE UPDATE OF resource_id, starts_at, ends_at, active ON resource_allocations "
            f"WHEN NEW.active BEGIN {_SQLITE_OVERLAP} END"
        )


def _rates() -> None:
    op.create_table(
        "resource_rates",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=True),
        sa.Column("start_minute", sa.Integer(), nullable=True),
        sa.Column("end_minute", sa.Integer(), nullable=True),
        sa.Column("hourly_price_minor", BIGINT, nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(hourly_price_minor IS NULL) != (percent IS NULL)", name=op.f("ck_resource_rates_one_price")
        ),
        sa.CheckConstraint(
            "hourly_price_minor IS NULL OR hourly_price_minor >= 0", name=op.f("ck_resource_rates_price")
        ),
        sa.CheckConstraint("percent IS NULL OR percent >= 0", name=op.f("ck_resource_rates_percent")),
        sa.CheckConstraint(
            "weekdays IS NULL OR (weekdays BETWEEN 1 AND 127)", name=op.f("ck_resource_rates_weekdays")
        ),
        sa.CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name=op.f("ck_resource_rates_minutes"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_rates_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_rates")),
    )


def upgrade() -> None:
    _resources()
    _schedule()
    _allocations()
    _rates()


def downgrade() -> None:
    op.drop_table("resource_rates")
    if op.get_context().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS resource_allocations_no_overlap_update")
        op.execute("DROP TRIGGER IF EXISTS resource_allocations_no_overlap_insert")
    with op.batch_alter_table("resource_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_allocations_resource_id_starts_at")
    op.drop_table("resource_allocations")
    with op.batch_alter_table("resource_exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_exceptions_resource_id_starts_at")
    op.drop_table("resource_exceptions")
    with op.batch_alter_table("resource_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_windows_resource_id_weekday")
    op.drop_table("resource_windows")
    op.drop_table("resource_addons")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_kind_is_active")
        batch_op.drop_index("ix_resources_property_id")
    op.drop_table("resources")
