"""The schema is made only by migrations, and the models must agree with them (on both databases)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from innkeeper.context import AppContext
from innkeeper.domains import load_models
from innkeeper.kit.db import Base


def _diff(connection: Any) -> list[Any]:
    load_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_migrations(ctx: AppContext) -> None:
    async with ctx.db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


async def test_every_model_table_exists(ctx: AppContext) -> None:
    from sqlalchemy import inspect

    async with ctx.db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


async def test_inventory_pages_leave_room_for_hot_counter_updates(ctx: AppContext) -> None:
    """Migration 0008: ``inventory_days`` is created with the fillfactor its model declares."""
    import pytest
    from sqlalchemy import text

    from innkeeper.inventory.models import INVENTORY_FILLFACTOR, InventoryDay

    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL storage parameter")
    async with ctx.db.engine.connect() as conn:
        options = await conn.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'inventory_days'"))
    assert options == [f"fillfactor={INVENTORY_FILLFACTOR}"]
    declared = InventoryDay.__table__.dialect_options["postgresql"]["with"]
    assert declared == {"fillfactor": INVENTORY_FILLFACTOR}
