"""inventory_days leaves a fifth of each page free, so counter updates stay HOT (PostgreSQL)

Every booking, modify, cancel and expiry rewrites the counters of its nights. With full pages the new
row version had to go to another page, adding an entry to each of the table's three indexes; under a
hot room type the indexes filled with dead entries between vacuums and the nights' lookups slowed down.
With free space on the page PostgreSQL keeps the new version there (a heap-only tuple): no index entry.

The setting applies to pages written from now on; existing rows move with the next rewrite of the table
(``VACUUM FULL inventory_days``, or as the rolling horizon replaces them). SQLite has no such setting.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory_days SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE inventory_days RESET (fillfactor)")
