"""The benchmarks' own PostgreSQL databases: made when missing (a fresh machine has only ``test``),
emptied before each run. Callers refuse shared database names before calling."""

from __future__ import annotations

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


async def reset_database(url: str) -> None:
    """Create the database of ``url`` if it does not exist, then drop and recreate its public schema."""
    parsed = make_url(url)
    server = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with server.connect() as conn:
        exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
        if not await conn.scalar(exists, {"name": parsed.database}):
            await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    await server.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
