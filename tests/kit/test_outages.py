"""Outages, simulated for real on loopback: a TCP proxy in front of PostgreSQL or Redis that the test
cuts (connections reset, new ones refused) and restores; Redis at a closed port or a silent one.

PostgreSQL down: every request is 503 ``database.unavailable`` with ``Retry-After``, never 500, and
the app recovers by itself. A lock held too long, a statement that runs too long, SQLite's busy
database: 503 ``database.busy`` / ``database.timeout``. Redis down: requests work (the session cache
reads the database, rate limits count in memory), ``/readyz`` says so, a revocation made while Redis
was away still reaches it."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from fastapi import APIRouter
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from structlog.testing import capture_logs

from innkeeper.app import create_app
from innkeeper.config import Settings
from innkeeper.kit.clock import clock
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.outage import BackendGuard
from tests.conftest import REDIS_URL
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup, unique_email, with_settings


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target address; :meth:`cut` resets every connection and stops
    listening (new connections are refused), :meth:`restore` listens on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, as when the server process dies
        await self._server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url.replace("+asyncpg", ""))
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _through(url: str, proxy: TcpProxy) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{proxy.port}" if userinfo else f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Any]:
    """``await running(routers=(), **changes)``: a started app with those settings, and a client."""
    started: list[tuple[Any, httpx.AsyncClient]] = []

    async def start(routers: tuple[APIRouter, ...] = (), **changes: Any) -> httpx.AsyncClient:
        app = create_app(with_settings(settings, **changes))
        for router in routers:
            app.include_router(router)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://t")
        started.append((lifespan, http))
        return http

    yield start
    for lifespan, http in reversed(started):
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


def _assert_outage(response: httpx.Response, code: str) -> None:
    assert_problem(response, 503, code)
    assert int(response.headers["Retry-After"]) >= 1


def _needs_postgres(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL only: runs with INNKEEPER_TEST_DATABASE_URL set")


# --- PostgreSQL ----------------------------------------------------------------------------------


async def test_postgres_down_is_503_with_retry_after_and_recovers(
    backend: str, settings: Settings, running: Any
) -> None:
    _needs_postgres(backend)
    proxy = await TcpProxy(*_host_port(settings.database_url, 5432)).start()
    try:
        client = await running(database_url=_through(settings.database_url, proxy))
        tokens = await signup(client)
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200

        await proxy.cut()  # the pooled connection dies under the app; new ones are refused
        answers = [
            await client.get(f"{API}/users/me", headers=bearer(tokens)),
            await client.get(f"{API}/users/me", headers=bearer(tokens)),
            await client.get(f"{API}/locations", params={"query": "x"}),
            await client.post(f"{API}/auth/login", json={"email": unique_email(), "password": PASSWORD}),
            await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"full_name": "B"}),
        ]
        for response in answers:
            _assert_outage(response, "database.unavailable")
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("error")

        await proxy.restore()  # recovers by itself: no restart, the very next request works
        me = await client.get(f"{API}/users/me", headers=bearer(tokens))
        assert me.status_code == 200, me.text
        assert (await client.get("/readyz")).status_code == 200
    finally:
        await proxy.close()


async def test_a_row_lock_held_too_long_is_503_busy_within_the_lock_timeout(
    backend: str, settings: Settings, running: Any
) -> None:
    _needs_postgres(backend)
    client = await running(database_lock_timeout_ms=200)
    tokens = await signup(client)
    holder = await asyncpg.connect(
        make_url(settings.database_url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        async with holder.transaction():
            await holder.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", tokens["user"]["id"])
            blocked = await asyncio.wait_for(  # without a lock timeout this request would wait forever
                client.patch(f"{API}/users/me", headers=bearer(tokens), json={"full_name": "Blocked"}),
                timeout=10,
            )
            _assert_outage(blocked, "database.busy")
        done = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"full_name": "Free"})
        assert done.status_code == 200 and done.json()["full_name"] == "Free"
    finally:
        await holder.close()


slow = APIRouter(route_class=UnitOfWorkRoute)


@slow.get("/test-outages/slow")
async def _slow_statement(session: DbSession) -> dict[str, str]:
    await session.execute(text("SELECT pg_sleep(2)"))
    return {"status": "finished"}


async def test_a_statement_over_the_statement_timeout_is_503(backend: str, running: Any) -> None:
    _needs_postgres(backend)
    client = await running(routers=(slow,), database_statement_timeout_ms=100)
    _assert_outage(await client.get("/test-outages/slow"), "database.timeout")


# --- SQLite --------------------------------------------------------------------------------------


async def test_sqlite_busy_past_its_timeout_is_503_busy(
    backend: str, settings: Settings, running: Any
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's database lock; PostgreSQL's row locks are tested above")
    client = await running(database_sqlite_busy_timeout_ms=50)
    other = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        busy = await client.post(
            f"{API}/auth/signup", json={"email": unique_email(), "password": PASSWORD, "full_name": "A"}
        )
        _assert_outage(busy, "database.busy")
        # the idempotency claim takes the lock before the endpoint runs: the same answer there
        claim = await client.post(f"{API}/bookings", headers={"Idempotency-Key": "k-1"}, json={})
        _assert_outage(claim, "database.busy")
        other.execute("ROLLBACK")
        assert (
            await client.post(
                f"{API}/auth/signup", json={"email": unique_email(), "password": PASSWORD, "full_name": "A"}
            )
        ).status_code == 201
    finally:
        other.close()


# --- Redis ---------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_redis_dead_requests_work_limits_hold_in_memory_readyz_says_so(running: Any) -> None:
    client = await running(redis_url=f"redis://127.0.0.1:{_closed_port()}/0", auth_rate_limit="3/minute")
    with capture_logs() as logs:  # after the app configured logging
        tokens = await signup(client)  # auth limit: 1 of 3
        me = await client.get(f"{API}/users/me", headers=bearer(tokens))
        assert me.status_code == 200, me.text  # the session cache falls back to the database
        patched = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"full_name": "B"})
        assert patched.status_code == 200, patched.text  # the write limit counts in memory
        for _ in range(2):  # auth limit: 2 and 3 of 3
            wrong = {"email": tokens["user"]["email"], "password": "wrong password!"}
            assert (await client.post(f"{API}/auth/login", json=wrong)).status_code == 401
        limited = await client.post(f"{API}/auth/login", json=wrong)
        assert_problem(limited, 429, "rate_limited")  # limits still hold, per process
        assert (await client.post(f"{API}/auth/logout", headers=bearer(tokens))).status_code == 204
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 401
        ready = await client.get("/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["redis"].startswith("error")
    warnings = [entry for entry in logs if entry["event"] == "redis.unavailable"]
    assert len(warnings) == 1, warnings  # one warning for the outage, not one per request


async def test_a_silent_redis_costs_one_timeout_per_retry_period(running: Any) -> None:
    """A Redis host that accepts and never answers: the first call waits ``redis_timeout_seconds``,
    the calls after it use the fallbacks without trying, until ``redis_retry_seconds`` have passed."""
    silent = await SilentServer().start()
    try:
        client = await running(
            redis_url=f"redis://127.0.0.1:{silent.port}/0", redis_timeout_seconds=0.2, redis_retry_seconds=5
        )
        tokens = await asyncio.wait_for(signup(client), timeout=3)  # a 5 s default would not fit
        for _ in range(3):
            me = await asyncio.wait_for(client.get(f"{API}/users/me", headers=bearer(tokens)), timeout=3)
            assert me.status_code == 200
        assert silent.accepted == 1
        clock.advance(timedelta(seconds=6))
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
        assert silent.accepted == 2  # tried again once the retry period was over
    finally:
        await silent.close()


class SilentServer:
    """Accepts connections and never answers (a hung or black-holed Redis)."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> SilentServer:
        async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            self._writers.append(writer)

        self._server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self._server.wait_closed()


@pytest.mark.skipif(not REDIS_URL, reason="needs a real Redis: INNKEEPER_TEST_REDIS_URL is not set")
async def test_redis_cut_and_back_a_logout_made_meanwhile_reaches_the_cache(running: Any) -> None:
    assert REDIS_URL
    proxy = await TcpProxy(*_host_port(REDIS_URL, 6379)).start()
    direct = Redis.from_url(REDIS_URL)
    try:
        client = await running(redis_url=_through(REDIS_URL, proxy), redis_retry_seconds=5)
        tokens = await signup(client)
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
        key = f"ik:sess:{tokens['session_id']}"
        assert await direct.get(key) == b"1"  # cached alive

        await proxy.cut()
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        assert (await client.post(f"{API}/auth/logout", headers=bearer(tokens))).status_code == 204
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 401
        assert await direct.get(key) == b"1"  # Redis never heard of the logout

        await proxy.restore()
        clock.advance(timedelta(seconds=6))  # past the retry period: the app tries Redis again
        # the stale "alive" entry would let the token in for its remaining TTL: the dead marker
        # that failed during the outage is written first
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 401
        assert await direct.get(key) == b"0"
        assert (await client.get("/readyz")).status_code == 200
    finally:
        await direct.aclose()
        await proxy.close()


def test_backend_guard_opens_for_the_retry_period_and_warns_once() -> None:
    now = [1000.0]
    guard = BackendGuard("thing", retry_seconds=5, now=lambda: now[0])
    with capture_logs() as logs:
        assert guard.available()
        guard.failed(ConnectionError("refused"), "op")
        assert not guard.available()
        now[0] += 4.9
        assert not guard.available()
        now[0] += 0.2
        assert guard.available()  # half-open: one call may try
        guard.failed(ConnectionError("refused"), "op")
        guard.succeeded()
        assert guard.available() and not guard.down
    assert [e["event"] for e in logs] == ["thing.unavailable", "thing.recovered"]
