"""Outages of the database and Redis: what a request answers, and how Redis-backed helpers degrade.

* **Database.** :func:`database_problem` names the failures that are not the request's fault (the
  server is unreachable or restarting, a lock wait outlasted ``lock_timeout``, a statement outlasted
  ``statement_timeout``, SQLite's busy timeout ran out) as 503 problems with ``Retry-After``.
  :mod:`innkeeper.kit.db` raises them in place of the driver's error (SQLAlchemy's ``handle_error``
  hook), so every caller sees the same answer. A lock wait that times out is 503, not 409: the request
  changed nothing, and the same request normally succeeds a moment later, whereas a 409 tells the
  client its request conflicts with the data and must change.
* **Redis** (cache, rate limits) is never worth a failed request. :class:`BackendGuard` remembers a
  failure: for ``retry_seconds`` after it, callers use their fallback at once instead of waiting on a
  dead server for every call (a circuit breaker), and the warning is logged once per outage and then
  at most once a minute, not once per request.
* :func:`install_outage_handlers` answers 503 for what can still escape (a pool with no free
  connection within ``pool_timeout``, a Redis error from code that uses the client directly).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request, Response
from sqlalchemy import exc as sa_exc

from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import AppError, ServiceUnavailable

log = structlog.get_logger(__name__)


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (down, restarting, failing over, out of connection slots)."""

    code = "database.unavailable"
    retry_after = 2

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {}).setdefault("Retry-After", str(self.retry_after))
        super().__init__(detail, **kw)


class DatabaseBusy(DatabaseUnavailable):
    """A lock stayed held longer than the lock timeout (SQLite: the busy timeout). Nothing changed."""

    code = "database.busy"
    retry_after = 1


class DatabaseTimeout(DatabaseUnavailable):
    """A statement ran longer than the statement timeout and was cancelled. Nothing changed."""

    code = "database.timeout"
    retry_after = 2


#: PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout (or NOWAIT)
QUERY_CANCELED = "57014"  # statement_timeout
_UNAVAILABLE_STATES = {
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, recovering)
    "53300",  # too_many_connections
}


def _sqlstate(error: BaseException | None) -> str | None:
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) else None


def database_problem(
    error: BaseException, *, is_disconnect: bool = False, connecting: bool = False
) -> AppError | None:
    """The 503 problem for a database failure that is not the request's fault, else ``None``.

    ``error`` is the driver's exception; ``is_disconnect``: the driver reported the connection dead;
    ``connecting``: it failed while opening a connection (refused, timed out, server not ready)."""
    cause = getattr(error, "__cause__", None)  # the driver's own error under SQLAlchemy's adapter
    state = _sqlstate(error) or _sqlstate(cause)
    if state == LOCK_NOT_AVAILABLE:
        return DatabaseBusy("A record is locked by another request; retry shortly")
    if state == QUERY_CANCELED:
        return DatabaseTimeout("The database took too long to answer; retry shortly")
    if "is locked" in str(error) and "sqlite" in type(error).__module__:
        return DatabaseBusy("The database is busy; retry shortly")
    lost = (
        is_disconnect
        or state in _UNAVAILABLE_STATES
        or (state or "").startswith("08")  # connection exception
        or isinstance(error, asyncpg.exceptions.ConnectionDoesNotExistError)
        or isinstance(cause, asyncpg.exceptions.ConnectionDoesNotExistError)
        # refused, reset, timed out (TimeoutError is an OSError): only when opening a connection,
        # where nothing but the network can raise one
        or (connecting and isinstance(error, OSError))
    )
    return DatabaseUnavailable("The database is unavailable; retry shortly") if lost else None


class ThrottledWarning:
    """Log a warning the first time, then at most once per ``every_seconds`` (counting what was skipped)."""

    def __init__(self, event: str, every_seconds: float = 60.0) -> None:
        self.event = event
        self.every_seconds = every_seconds
        self._last: float | None = None
        self._skipped = 0

    def __call__(self, **fields: Any) -> None:
        now = utcnow().timestamp()
        if self._last is not None and now - self._last < self.every_seconds:
            self._skipped += 1
            return
        log.warning(self.event, suppressed=self._skipped, **fields)
        self._last, self._skipped = now, 0

    def reset(self) -> None:
        self._last, self._skipped = None, 0


_database_warnings: dict[str, ThrottledWarning] = {}


def warn_database_problem(problem: AppError, error: BaseException) -> None:
    """Log what a 503 hides from the client (the driver's error), once a minute per kind at most."""
    warn = _database_warnings.get(problem.code)
    if warn is None:
        warn = _database_warnings[problem.code] = ThrottledWarning(problem.code)
    warn(error=f"{type(error).__name__}: {error}")


class BackendGuard:
    """Health of an optional backend shared by its callers (the Redis cache and rate limiter).

    ``available()`` is False for ``retry_seconds`` after a failure: callers then use their fallback
    without trying (a dead host would otherwise cost every call the full socket timeout). After that
    the next call tries again; success closes the breaker and logs the recovery once."""

    def __init__(
        self, name: str, *, retry_seconds: float = 5.0, now: Callable[[], float] | None = None
    ) -> None:
        self.name = name
        self.retry_seconds = retry_seconds
        self._now = now or (lambda: utcnow().timestamp())
        self._down_until: float | None = None
        self._warn = ThrottledWarning(f"{name}.unavailable")

    @property
    def down(self) -> bool:
        return self._down_until is not None

    def available(self) -> bool:
        return self._down_until is None or self._now() >= self._down_until

    def failed(self, error: BaseException, operation: str) -> None:
        self._down_until = self._now() + self.retry_seconds
        self._warn(
            operation=operation,
            error=f"{type(error).__name__}: {error}",
            fallback_seconds=self.retry_seconds,
        )

    def succeeded(self) -> None:
        if self._down_until is not None:
            self._down_until = None
            self._warn.reset()
            log.warning(f"{self.name}.recovered")


ProblemRenderer = Callable[[Request, AppError], Response]


def install_outage_handlers(app: FastAPI, render: ProblemRenderer, *, redis: bool) -> None:
    """503 (never 500) for an outage error that reaches the app: no pooled connection free within
    ``pool_timeout`` (``sqlalchemy.exc.TimeoutError``), or, when ``redis`` is configured, a Redis
    error from a direct client call. ``render`` turns a problem into the response
    (``kit.http.problem_response``). Without Redis there is no client to fail, and the client library
    is left unimported."""

    async def pool_exhausted(request: Request, exc: Exception) -> Response:
        log.warning("database.pool_exhausted", path=request.url.path)
        return render(request, DatabaseBusy("The server is busy; retry shortly"))

    async def redis_failed(request: Request, exc: Exception) -> Response:
        log.warning("redis.error_escaped", path=request.url.path, error=type(exc).__name__)
        return render(
            request,
            ServiceUnavailable(
                "A backing service is unavailable; retry shortly", headers={"Retry-After": "2"}
            ),
        )

    app.add_exception_handler(sa_exc.TimeoutError, pool_exhausted)
    if redis:
        from redis.exceptions import RedisError

        app.add_exception_handler(RedisError, redis_failed)
