"""service catalog and service orders; folio rows tagged with the service order they bill

``folio_entries.service_order_id`` has no foreign key on purpose: billing sits below extras and does
not name its tables. The partial unique index on (service_order_id, category) makes a delivered
order's charge and VAT land once. The column and index are added in place (no batch rebuild), so the
table's other partial indexes keep their WHERE clauses on SQLite.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import JSONType, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_CATEGORIES = "'airport_transfer', 'cab', 'laundry', 'spa', 'food', 'room_service', 'other'"
_UNITS = "'per_item', 'per_person', 'per_trip', 'per_hour'"
_DEPARTMENTS = "'front_desk', 'concierge', 'housekeeping', 'kitchen', 'spa'"
_STATUSES = "'requested', 'accepted', 'in_progress', 'delivered', 'rejected', 'cancelled'"
_SERVICE_ORDER = "service_order_id IS NOT NULL"


def _services() -> None:
    op.create_table(
        "services",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("price_minor", BIG, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("pre_stay", sa.Boolean(), nullable=False),
        sa.Column("in_stay", sa.Boolean(), nullable=False),
        sa.Column("needs_time", sa.Boolean(), nullable=False),
        sa.Column("lead_time_minutes", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.Time(), nullable=True),
        sa.Column("closes_at", sa.Time(), nullable=True),
        sa.Column("order_cutoff", sa.Time(), nullable=True),
        sa.Column("images", JSONType, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"category IN ({_CATEGORIES})", name=op.f("ck_services_category_known")),
        sa.CheckConstraint(f"unit IN ({_UNITS})", name=op.f("ck_services_unit_known")),
        sa.CheckConstraint(f"department IN ({_DEPARTMENTS})", name=op.f("ck_services_department_known")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_services_price_nonnegative")),
        sa.CheckConstraint("lead_time_minutes >= 0", name=op.f("ck_services_lead_time_nonnegative")),
        sa.CheckConstraint("pre_stay OR in_stay", name=op.f("ck_services_orderable")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_services_property_id_properties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_services_property_id_code")),
    )


def _orders() -> None:
    op.create_table(
        "service_orders",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("service_name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("unit_price_minor", BIG, nullable=False),
        sa.Column("subtotal_minor", BIG, nullable=False),
        sa.Column("tax_minor", BIG, nullable=False),
        sa.Column("tax_included", sa.Boolean(), nullable=False),
        sa.Column("tax_label", sa.String(length=60), nullable=True),
        sa.Column("total_minor", BIG, nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("details", JSONType, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("placed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_service_orders_status_known")),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_service_orders_quantity_positive")),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0",
            name=op.f("ck_service_orders_amounts"),
        ),
        sa.CheckConstraint("stage IN ('pre_stay', 'in_stay')", name=op.f("ck_service_orders_stage_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_service_orders_booking_id_bookings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_service_orders_property_id_properties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_orders_service_id_services"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_orders")),
    )
    op.create_index("ix_service_orders_booking_id", "service_orders", ["booking_id"], unique=False)
    op.create_index(
        "ix_service_orders_queue", "service_orders", ["property_id", "status", "scheduled_for"], unique=False
    )
    op.create_table(
        "service_order_events",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_ip", sa.String(length=64), nullable=True),
        sa.Column("data", JSONType, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_orders.id"],
            name=op.f("fk_service_order_events_order_id_service_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_events")),
    )
    op.create_index(
        "ix_service_order_events_order_at", "service_order_events", ["order_id", "at"], unique=False
    )


def upgrade() -> None:
    _services()
    _orders()
    op.add_column("folio_entries", sa.Column("service_order_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ux_folio_entries_service_order",
        "folio_entries",
        ["service_order_id", "category"],
        unique=True,
        postgresql_where=sa.text(_SERVICE_ORDER),
        sqlite_where=sa.text(_SERVICE_ORDER),
    )


def downgrade() -> None:
    op.execute("DELETE FROM folio_entries WHERE service_order_id IS NOT NULL")
    op.drop_index("ux_folio_entries_service_order", table_name="folio_entries")
    op.drop_column("folio_entries", "service_order_id")
    op.drop_index("ix_service_order_events_order_at", table_name="service_order_events")
    op.drop_table("service_order_events")
    op.drop_index("ix_service_orders_queue", table_name="service_orders")
    op.drop_index("ix_service_orders_booking_id", table_name="service_orders")
    op.drop_table("service_orders")
    op.drop_table("services")
