"""operations and catalog completeness (soft delete, contact fields, room type images)

Properties, room types and rooms are soft-deleted (``deleted_at``); a property gets contact details;
images may belong to a room type (the same table and storage as a property's); guests, saved guests
and users may carry a date of birth, a gender (free text) and a nationality; a booking keeps the
guest's special requests.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: who may carry a date of birth, a gender and a nationality
_PERSON_TABLES = ("users", "saved_guests", "booking_guests")


def upgrade() -> None:
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
    for table in ("room_types", "rooms"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
    # (on SQLite a foreign key needs the table copied: nothing refers to property_images, so that is safe)
    with op.batch_alter_table("property_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room_type_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_property_images_room_type_id_room_types"),
            "room_types",
            ["room_type_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_property_images_room_type_id", ["room_type_id"], unique=False)
    for table in _PERSON_TABLES:
        op.add_column(table, sa.Column("date_of_birth", sa.Date(), nullable=True))
        op.add_column(table, sa.Column("gender", sa.String(length=40), nullable=True))
        op.add_column(table, sa.Column("nationality", sa.String(length=2), nullable=True))
    op.add_column("bookings", sa.Column("special_requests", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("special_requests")
    for table in reversed(_PERSON_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("nationality")
            batch_op.drop_column("gender")
            batch_op.drop_column("date_of_birth")
    with op.batch_alter_table("property_images", schema=None) as batch_op:
        batch_op.drop_index("ix_property_images_room_type_id")
        batch_op.drop_constraint(op.f("fk_property_images_room_type_id_room_types"), type_="foreignkey")
        batch_op.drop_column("room_type_id")
    for table in ("rooms", "room_types"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("deleted_at")
    with op.batch_alter_table("properties", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_email")
