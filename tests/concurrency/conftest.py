"""A real ``innkeeper serve --workers 2`` per backend (module-scoped): SQLite on a fresh file, and
PostgreSQL when ``INNKEEPER_TEST_DATABASE_URL`` is set (schema reset and migrated like tests/conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from innkeeper.kit.migrate import upgrade
from tests.concurrency.server import Server
from tests.conftest import BACKENDS, REDIS_URL, truncate_postgres


async def _flush_redis(url: str) -> None:
    redis = Redis.from_url(url)
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"live-{request.param}")
    redis_url = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'live.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("postgres_schema")  # dropped and migrated once per session
        asyncio.run(truncate_postgres(url))
        if REDIS_URL:
            redis_url = REDIS_URL
            asyncio.run(_flush_redis(REDIS_URL))
    server = Server(url, workdir, workers=2, redis_url=redis_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()
