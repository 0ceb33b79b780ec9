"""The schema the migrations build is exactly the one the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from innkeeper.domains import load_models
from innkeeper.kit.context import AppContext
from innkeeper.kit.db import Base


def _diff(connection: Any) -> list[Any]:
    load_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_migrations(ctx: AppContext) -> None:
    async with ctx.db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
