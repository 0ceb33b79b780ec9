"""Small helpers shared by tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

API = "/api/v1"
PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}@example.com"


async def signup(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    body = {"email": email or unique_email(), "password": password, "full_name": "Test User", **extra}
    response = await client.post(f"{API}/auth/signup", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def client_at(app: Any, ip: str) -> httpx.AsyncClient:
    """Another client of the test's app, calling from ``ip`` (the ``client`` fixture is 203.0.113.7)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for key in ("type", "title", "detail", "code"):
        assert key in body, body
    if code is not None:
        assert body["code"] == code, body
    return body


def with_settings(settings: Any, **changes: Any) -> Any:
    """A validated copy of ``settings`` with ``changes`` applied."""
    return type(settings)(**{**settings.model_dump(), **changes})


@contextmanager
def statements(ctx: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement (and its parameters) the app's engine sends to the database inside the
    block."""
    seen: list[tuple[str, Any]] = []
    engine = ctx.db.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def selects(seen: list[tuple[str, Any]]) -> list[str]:
    """The SELECT statements among those :func:`statements` recorded."""
    return [sql for sql, _ in seen if sql.lstrip().upper().startswith("SELECT")]
