"""Alembic environment: async engines for SQLite and PostgreSQL, one migration run at a time."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Literal

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from innkeeper.domains import load_models
from innkeeper.kit.db import Base, Database, JSONType, UTCDateTime

load_models()
target_metadata = Base.metadata
MIGRATION_LOCK_ID = 734_120_551  # pg_advisory_lock key shared by every migrating process


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the kit's column types by name so new migrations import them cleanly."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from innkeeper.kit.db import UTCDateTime")
        return "UTCDateTime()"
    if type_ == "type" and obj is JSONType:
        autogen_context.imports.add("from innkeeper.kit.db import JSONType")
        return "JSONType"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        render_item=_render_item,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=False,
    )


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


async def _run_async(url: str) -> None:
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await db.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if not url:
        raise SystemExit("sqlalchemy.url is not set")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async(url))
    else:  # called from async code: run in a fresh thread with its own loop
        errors: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(_run_async(url))
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
