"""Database access: engines for SQLite and PostgreSQL, the declarative base, the unit of work.

* Services never commit. The request (or job) boundary owns the transaction: :meth:`Database.unit_of_work`
  commits when the block ends without error and rolls back otherwise, then runs ``on_commit`` hooks.
* SQLite: WAL, foreign keys on, a busy timeout, and SQLAlchemy emits ``BEGIN IMMEDIATE`` for write
  units of work (the documented aiosqlite recipe), so writers queue on the database lock up front
  instead of failing with "database is locked" half-way through.
* PostgreSQL: asyncpg with a sized pool; ``SELECT … FOR UPDATE`` / ``SKIP LOCKED`` work as usual.
  Every connection starts with ``lock_timeout`` and ``statement_timeout`` set, so no request waits
  without bound on a lock or a runaway statement.
* Outages: a lost or unreachable database, a lock or statement timeout, SQLite's busy timeout are
  raised as the 503 problems of :mod:`innkeeper.kit.outage` (with ``Retry-After``), not as driver
  errors that would end as 500s.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, DateTime, MetaData, TypeDecorator, event, text
from sqlalchemy import exc as exc_module
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from innkeeper.kit.clock import utcnow
from innkeeper.kit.ids import new_id
from innkeeper.kit.outage import database_problem, warn_database_problem
from innkeeper.kit.rows import RowsSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on both databases (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        # asyncpg decodes every timestamptz as an aware UTC instant already: no call per value (search
        # reads tens of thousands of them a request)
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_loads(text: str | bytes) -> Any:
    """The engine's JSON reader: orjson (several times faster than ``json``, which decodes every JSON
    column of every row read), with ``json`` for what orjson refuses and the standard module accepts
    (NaN, integers past 64 bits, lone surrogates)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Money and counters: 64-bit integers (SQLite's INTEGER is 64-bit already).
BigInt = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, uuid.UUID: Uuid, dict[str, Any]: JSONType}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def on_commit(session: AsyncSession, hook: Callable[[], Awaitable[None]]) -> None:
    """Run ``hook`` after the unit of work owning ``session`` commits (never if it rolls back)."""
    session.info.setdefault("on_commit", []).append(hook)


def dialect_name(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def dialect_insert(dialect: str) -> Callable[[Any], Any]:
    """The dialect's INSERT construct, which supports ``on_conflict_do_nothing``/``do_update``
    (for statements built once per dialect)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_for(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific INSERT that supports ``on_conflict_do_nothing``/``do_update``."""
    return dialect_insert(dialect_name(session))(table)


class Database:
    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
        sqlite_busy_timeout: float = 30.0,
        ping_idle_seconds: float = 5.0,
        lock_timeout_ms: int = 0,
        statement_timeout_ms: int = 0,
        connect_timeout: float = 60.0,
    ) -> None:
        """``lock_timeout_ms``, ``statement_timeout_ms`` (PostgreSQL; 0: no limit): the longest a
        statement waits for a lock, or runs, before it fails (503). ``connect_timeout``: seconds to
        open a PostgreSQL connection. ``sqlite_busy_timeout``: seconds a SQLite writer waits for the
        database lock."""
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # parameters (e-mails, phone numbers, hashes) stay out of error texts, which reach logs and the
        # jobs table's last_error; only explicit SQL echo shows them
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": not echo, "json_deserializer": json_loads}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": sqlite_busy_timeout}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800)
            kwargs["connect_args"] = {
                "timeout": connect_timeout,
                # sent with the connection start-up: no extra round trip
                "server_settings": {
                    "lock_timeout": str(int(lock_timeout_ms)),
                    "statement_timeout": str(int(statement_timeout_ms)),
                },
            }
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_ms=int(sqlite_busy_timeout * 1000))
        else:
            _ping_when_idle(self.engine, ping_idle_seconds)
        _raise_outages_as_problems(self.engine)
        #: Reads on SQLite take no write lock; everything else begins IMMEDIATE.
        self.read_engine = self.engine.execution_options(innkeeper_read_only=True)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=True, sync_session_class=RowsSession
        )
        self.read_sessions = async_sessionmaker(
            self.read_engine, expire_on_commit=False, sync_session_class=RowsSession
        )
        #: PostgreSQL: reads in autocommit mode, no BEGIN/COMMIT round trips. Under READ COMMITTED
        #: every statement takes its own snapshot anyway, so a read-only request sees the same data
        #: either way. (SQLite keeps its deferred read transaction: one snapshot for the request.)
        self.statement_read_sessions = (
            self.read_sessions
            if self.is_sqlite
            else async_sessionmaker(
                self.read_engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                autoflush=False,
                sync_session_class=RowsSession,
            )
        )

    @asynccontextmanager
    async def unit_of_work(
        self, *, write: bool = True, statement_reads: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One transaction: commit on success, roll back on error, then run ``on_commit`` hooks.
        ``statement_reads``: a read-only unit that needs no transaction (see ``statement_read_sessions``);
        it must not write."""
        if write:
            session = self.sessions()
        else:
            session = (self.statement_read_sessions if statement_reads else self.read_sessions)()
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            hooks = session.info.pop("on_commit", []) if session.info.get("committed") else []
            session.info.pop("on_commit", None)
            await session.close()
        for hook in hooks:
            await hook()

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling, cheaper than ``pool_pre_ping``: a pooled connection is pinged
    on checkout only when it has sat unused for ``idle_seconds`` (``pool_pre_ping`` pings on every
    checkout: two extra round trips per request). A dead one is replaced before the request sees it;
    the pool retries with a fresh connection. A connection that dies while in steady use (a database
    restart under load) fails its current request once (503) and the pool is invalidated."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["innkeeper_idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("innkeeper_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or used a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise exc_module.DisconnectionError("connection failed its ping") from exc
        if not alive:
            raise exc_module.DisconnectionError("connection failed its ping")


def _raise_outages_as_problems(engine: AsyncEngine) -> None:
    """Raise an outage (connection lost or refused, lock or statement timeout, SQLite busy) as its
    503 problem in place of the driver's error, for every caller of this engine. SQLAlchemy's
    documented way to substitute an exception; the connection is still invalidated as usual."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        # a refused or timed-out connect raises OSError, which SQLAlchemy hands on unwrapped, past
        # ``handle_error``: translate it here, where every new connection is opened
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            problem = database_problem(exc, connecting=True)
            if problem is None:
                raise
            warn_database_problem(problem, exc)
            raise problem from exc

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        if context.is_pre_ping:  # the pool's own liveness check handles these
            return None
        problem = database_problem(
            context.original_exception,
            is_disconnect=context.is_disconnect,
            connecting=context.connection is None,
        )
        if problem is not None:
            warn_database_problem(problem, context.original_exception)
        return problem


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take BEGIN away from the driver; we emit our own below
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get("innkeeper_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@event.listens_for(RowsSession, "after_commit")
def _mark_committed(session: Any) -> None:
    session.info["committed"] = True


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Serialise transactions on ``key`` until commit. SQLite writers are already serialised by
    ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-scoped advisory lock."""
    if dialect_name(session) != "postgresql":
        return
    lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
