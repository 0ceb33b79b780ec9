"""Test harness: every test that asks for ``app``/``client`` runs on SQLite, and again on PostgreSQL
(+ Redis) when ``INNKEEPER_TEST_DATABASE_URL`` (and ``INNKEEPER_TEST_REDIS_URL``) are set.

The schema is built by the Alembic migrations only: once per session into a template (SQLite file,
copied per test) or into the test database (PostgreSQL, truncated between tests).

Under pytest-xdist (``-n auto`` in pyproject.toml: a whole run uses one worker per core) each worker
has its own PostgreSQL database and Redis db, derived from the URLs given (see ``per_worker_*``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from innkeeper.app import build_runner, create_app
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.db import Base
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.logging import configure_logging
from innkeeper.kit.migrate import upgrade

#: Under pytest-xdist ("gw0", "gw1", …): each worker has its own PostgreSQL database and Redis db.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def per_worker_database(url: str | None) -> str | None:
    """``…/test`` -> ``…/test_gw1`` for worker gw1 (created by ``postgres_schema`` when missing)."""
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def per_worker_redis(url: str | None) -> str | None:
    """``redis://…/5`` -> ``redis://…/6`` for worker gw1: the suite flushes its Redis db between tests."""
    if not url or not WORKER:
        return url
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + int(WORKER.removeprefix("gw"))
    if db > 15:
        raise pytest.UsageError(f"{url}: worker {WORKER} would need Redis db {db}; use fewer workers (-n)")
    return urlunsplit(parts._replace(path=f"/{db}"))


PG_URL = per_worker_database(os.environ.get("INNKEEPER_TEST_DATABASE_URL"))
REDIS_URL = per_worker_redis(os.environ.get("INNKEEPER_TEST_REDIS_URL"))
TEST_SECRET = "test-secret-key-0123456789abcdef"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not PG_URL, reason="PostgreSQL part skipped: INNKEEPER_TEST_DATABASE_URL is not set"
        ),
    ),
]


async def create_database(url: str) -> None:
    """Create the database of ``url`` unless it exists (a worker's own database under pytest-xdist)."""
    parsed = make_url(url)
    engine = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    await engine.dispose()


async def reset_postgres(url: str) -> None:
    await create_database(url)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    assert PG_URL
    asyncio.run(reset_postgres(PG_URL))
    upgrade(PG_URL)
    return PG_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "innkeeper.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("postgres_schema")
    return url


async def truncate_postgres(url: str) -> None:
    """Truncate every table written since the last truncate, leaving the database as if all were.

    TRUNCATE of all 31 tables costs ~130 ms (new files for each table and index), a good part of a
    PostgreSQL test. A table truncated and not written since has no pages, and any insert since, even
    one rolled back or deleted, gave it one: so the tables with pages are truncated (CASCADE adds the
    tables referencing them), and every other table is already exactly as TRUNCATE leaves it. About a
    third of the tests write nothing and skip the TRUNCATE; most others truncate a few tables.
    Over a plain asyncpg connection: SQLAlchemy's first-connect set-up would cost more than the rest."""
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        written = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY($1::text[])"
            " AND pg_relation_size(c.oid) > 0",
            [t.name for t in Base.metadata.sorted_tables],
        )
        if written:
            names = ", ".join(f'"{row["relname"]}"' for row in written)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
async def settings(backend: str, database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    redis_url = None
    if backend == "postgres":
        await truncate_postgres(database_url)
        if REDIS_URL:
            redis_url = REDIS_URL
            redis = Redis.from_url(REDIS_URL)
            await redis.flushdb()
            await redis.aclose()
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
        "redis_url": redis_url,
        "run_jobs_in_process": False,
        "log_level": "WARNING",
        # argon2id at its cheapest: the suite signs up hundreds of users (production keeps the defaults)
        "password_time_cost": 1,
        "password_memory_kib": 1024,
        "password_parallelism": 1,
    }
    values.update(settings_overrides)
    return Settings(**values)


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


#: Built apps by their settings (less the database and Redis URLs), most recently used last.
_APPS: OrderedDict[str, FastAPI] = OrderedDict()
_MAX_APPS = 8


def app_fingerprint(application: FastAPI) -> tuple[Any, ...]:
    """What a test could change on an app: its routes, middleware, overrides, handlers, state."""
    return (
        tuple(map(id, application.router.routes)),
        tuple(map(id, application.user_middleware)),
        tuple(application.dependency_overrides.items()),
        tuple(application.exception_handlers.items()),
        tuple(sorted(application.state._state)),
    )


def app_for(settings: Settings, extra_routers: tuple[APIRouter, ...] = ()) -> FastAPI:
    """An app for ``settings`` with a fresh context (its own database engine, cache, rate limiter).

    Building the FastAPI app (create_app and the routes' first use) costs ~0.7 s of pure route analysis,
    most of a typical test's time, so a built app is reused by later tests with the same settings (less
    the database and Redis URLs), re-bound to a new context; its lifespan still runs once per test. An
    app that a test changed (see ``app_fingerprint``) is not reused. ``extra_routers`` are included
    when the app is built (a test's own endpoints, part of the key)."""
    application = _APPS.pop(_app_key(settings, extra_routers), None)
    if application is None:
        application = create_app(settings)
        for router in extra_routers:
            application.include_router(router)
        return application
    configure_logging(level=settings.log_level, json=settings.json_logs)
    ctx = AppContext.build(settings)
    application.state.ctx = ctx
    application.state.db = ctx.db
    return application


def _app_key(settings: Settings, extra_routers: tuple[APIRouter, ...]) -> str:
    routers = ",".join(str(id(router)) for router in extra_routers)
    return settings.model_dump_json(exclude={"database_url", "redis_url"}) + routers


def release_app(
    settings: Settings,
    application: FastAPI,
    fingerprint: tuple[Any, ...],
    extra_routers: tuple[APIRouter, ...] = (),
) -> None:
    """Offer ``application`` for reuse once its test is done, unless the test changed it."""
    if app_fingerprint(application) != fingerprint:
        return
    _APPS[_app_key(settings, extra_routers)] = application
    while len(_APPS) > _MAX_APPS:
        _APPS.popitem(last=False)


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    """Override in a test module to add its own endpoints to its app (built once, then reused)."""
    return ()


@pytest.fixture
async def app(settings: Settings, extra_routers: tuple[APIRouter, ...]) -> AsyncIterator[Any]:
    application = app_for(settings, extra_routers)
    fingerprint = app_fingerprint(application)
    async with application.router.lifespan_context(application):
        yield application
    release_app(settings, application, fingerprint, extra_routers)


@pytest.fixture
def ctx(app: Any) -> AppContext:
    context: AppContext = app.state.ctx
    return context


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second application on the same database: its own per-process caches, as another
    server process has."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def runner(ctx: AppContext) -> JobRunner:
    return build_runner(ctx)


API = "/api/v1"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject.toml): workers for a whole run (no paths given, as ``make test`` and CI
    run it), one per core up to 4; none when tests are named on the command line, where starting
    workers costs more than it saves (``-n 2`` asks for them anyway)."""
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return 0
    return max(1, min(4, os.cpu_count() or 1))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist workers, modules marked ``slow`` (real server processes) go first: the scheduler hands
    out modules in collection order, and a long one handed out last leaves the other worker idle."""
    if WORKER:
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable
