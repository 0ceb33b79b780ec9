"""bookings take slots of hourly resources: kind, resource, start/end, attendees, mode, address, add-ons

A booking is one aggregate whatever it books. ``kind`` says what: ``stay`` (nights of a room type, as
before) or ``slot`` (a time range of a resource, allocated in ``resource_allocations``). A slot's
``checkin``/``checkout`` are the property-local days it touches, so day-based lists and reports see it.

SQLite cannot drop NOT NULL in place: the table is rebuilt (batch mode). The partial index is dropped
first and made again after, so the rebuild cannot lose its WHERE clause.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from innkeeper.kit.db import JSONType, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_HOLD = "status IN ('reserved', 'guests_added', 'payment_pending')"
_KIND = (
    "(kind = 'stay' AND room_type_id IS NOT NULL) OR (kind = 'slot' AND resource_id IS NOT NULL "
    "AND start_at IS NOT NULL AND end_at IS NOT NULL AND end_at > start_at)"
)


def _holds_index(batch_op: object, create: bool) -> None:
    if create:
        batch_op.create_index(  # type: ignore[attr-defined]
            "ix_bookings_holds_due",
            ["room_type_id", "expires_at"],
            unique=False,
            postgresql_where=sa.text(_HOLD),
            sqlite_where=sa.text(_HOLD),
        )
    else:
        batch_op.drop_index("ix_bookings_holds_due")  # type: ignore[attr-defined]


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        _holds_index(batch_op, create=False)
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="stay", nullable=False))
        batch_op.add_column(sa.Column("resource_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("start_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("end_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("attendees", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("address", JSONType, nullable=True))
        batch_op.add_column(sa.Column("addons", JSONType, nullable=True))
        batch_op.alter_column("room_type_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_bookings_resource_id_resources"), "resources", ["resource_id"], ["id"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_bookings_kind"), _KIND)
        batch_op.create_index("ix_bookings_resource_start", ["resource_id", "start_at"], unique=False)
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        _holds_index(batch_op, create=True)


def downgrade() -> None:
    op.execute("DELETE FROM bookings WHERE kind = 'slot'")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        _holds_index(batch_op, create=False)
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_resource_start")
        batch_op.drop_constraint(batch_op.f("ck_bookings_kind"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_bookings_resource_id_resources"), type_="foreignkey")
        batch_op.alter_column("room_type_id", existing_type=sa.Uuid(), nullable=False)
        for column in ("addons", "address", "mode", "attendees", "end_at", "start_at", "resource_id", "kind"):
            batch_op.drop_column(column)
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        _holds_index(batch_op, create=True)
