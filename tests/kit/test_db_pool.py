"""PostgreSQL sessions: a pooled connection that died while idle is replaced before use; read-only
routes read without a transaction."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from innkeeper.context import AppContext


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"database_ping_idle_seconds": 0}  # ping on every checkout


async def _pooled_backend_pid(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")))


async def test_a_connection_killed_while_idle_never_reaches_a_request(
    backend: str, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    if backend != "postgres":
        pytest.skip("the pool pings PostgreSQL connections only")
    pid = await _pooled_backend_pid(ctx)
    dsn = ctx.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/locations", params={"query": "x"})
    assert r.status_code == 200, r.text
    assert await _pooled_backend_pid(ctx) != pid  # the dead one was replaced


async def test_statement_reads_run_without_a_transaction_on_postgres(backend: str, ctx: AppContext) -> None:
    """Read-only routes (``ReadRoute``) skip BEGIN/COMMIT on PostgreSQL: each statement is its own
    transaction, so ``now()`` moves between statements; a normal unit of work keeps one transaction."""
    import asyncio

    if backend != "postgres":
        pytest.skip("SQLite keeps one read transaction per request")

    async def two_nows(**kw: Any) -> tuple[Any, Any]:
        async with ctx.db.unit_of_work(write=False, **kw) as session:
            first = await session.scalar(text("SELECT now()"))
            await asyncio.sleep(0.02)
            return first, await session.scalar(text("SELECT now()"))

    a, b = await two_nows()
    assert a == b  # one transaction
    a, b = await two_nows(statement_reads=True)
    assert a < b


async def test_a_failed_statement_keeps_its_parameters_out_of_the_error(ctx: AppContext) -> None:
    """Error texts reach logs and the jobs table's ``last_error``: no bound value (an e-mail, a hash)
    may ride along, unless SQL echo was asked for."""
    with pytest.raises(Exception) as failed:
        async with ctx.db.unit_of_work() as session:
            await session.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": "canary@example.com"})
    assert "no_such_table" in str(failed.value) and "canary@example.com" not in str(failed.value)
