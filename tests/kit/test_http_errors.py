"""Every error path answers problem+json; bad input is 4xx and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup


async def table_counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.unit_of_work(write=False) as session:
        users = await session.scalar(select(func.count()).select_from(User))
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return int(users or 0), int(audits or 0)


BAD_SIGNUPS: list[Any] = [
    {"email": "not-an-email", "password": PASSWORD, "full_name": "X"},
    {"email": "a@b", "password": PASSWORD, "full_name": "X"},
    {"email": "x" * 400 + "@example.com", "password": PASSWORD, "full_name": "X"},
    {"email": "ok@example.com", "password": PASSWORD, "full_name": ""},
    {"email": "ok@example.com", "password": PASSWORD, "full_name": "X" * 500},
    {"email": "ok@example.com", "password": "p" * 500, "full_name": "X"},
    {"email": "ok@example.com", "password": 12345678901, "full_name": "X"},
    {"email": ["ok@example.com"], "password": PASSWORD, "full_name": "X"},
    {"email": "ok@example.com", "password": PASSWORD, "full_name": "X", "phone": "123"},
    {"email": "ok@example.com", "password": PASSWORD, "full_name": "X", "phone": "+1 415 555 01999999"},
    {"email": "ok@example.com", "password": PASSWORD, "full_name": {"first": "X"}},
    {"email": "ok@example.com"},
    {},
    [],
    "just a string",
    None,
]


@pytest.mark.parametrize("body", BAD_SIGNUPS)
async def test_bad_signup_bodies_are_422_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, body: Any
) -> None:
    before = await table_counts(ctx)
    r = await client.post(
        f"{API}/auth/signup", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    problem = assert_problem(r, 422)
    assert problem["code"] == "request.validation"
    assert problem["errors"] and all({"field", "message"} <= e.keys() for e in problem["errors"])
    assert await table_counts(ctx) == before


async def test_validation_errors_name_the_fields(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{API}/auth/signup", json={"email": "nope", "password": PASSWORD, "full_name": "X", "phone": "12"}
    )
    fields = {e["field"] for e in assert_problem(r, 422)["errors"]}
    assert fields == {"email", "phone"}


async def test_malformed_json_is_400(client: httpx.AsyncClient, ctx: AppContext) -> None:
    r = await client.post(
        f"{API}/auth/signup",
        content=b'{"email": "a@example.com", "password": ',
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 400, "request.malformed_json")
    assert await table_counts(ctx) == (0, 0)


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, ctx: AppContext) -> None:
    r = await client.post(
        f"{API}/auth/signup",
        content=b"email=a@example.com&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(r, 415, "request.unsupported_media_type")
    r = await client.post(f"{API}/auth/login", content=b"hello", headers={"content-type": "text/plain"})
    assert_problem(r, 415)
    assert await table_counts(ctx) == (0, 0)


async def test_oversized_body_is_413(client: httpx.AsyncClient, ctx: AppContext) -> None:
    huge = json.dumps({"email": "a@example.com", "password": PASSWORD, "full_name": "x" * 2_000_000})
    r = await client.post(f"{API}/auth/signup", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await table_counts(ctx) == (0, 0)


async def test_oversized_chunked_body_is_413(client: httpx.AsyncClient, ctx: AppContext) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    r = await client.post(
        f"{API}/auth/signup", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert await table_counts(ctx) == (0, 0)


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"{API}/nope"), 404, "not_found")
    assert_problem(await client.put(f"{API}/auth/login", json={}), 405, "request.method_not_allowed")


async def test_bad_path_and_query_params(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    assert_problem(await client.delete(f"{API}/auth/sessions/not-a-uuid", headers=bearer(tokens)), 422)


async def test_unexpected_error_is_plain_500_with_request_id(app: Any) -> None:
    boom = APIRouter()

    @boom.get("/__boom")
    async def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.include_router(boom)
    # like a real server: the 500 is answered, then the error goes on to be logged
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        r = await http.get("/__boom", headers={"X-Request-ID": "req-123"})
    body = assert_problem(r, 500, "internal")
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    assert body["request_id"] == "req-123"
    assert r.headers["x-request-id"] == "req-123"


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert len(r.headers["x-request-id"]) >= 16


BAD_BODIES: list[tuple[str, str, Any]] = [
    ("post", "/auth/login", {"email": "nope", "password": PASSWORD}),
    ("post", "/auth/login", {"email": "a@example.com", "password": ""}),
    ("post", "/auth/login", {"email": "a@example.com", "password": None}),
    ("post", "/auth/login", {"email": "a@example.com", "password": PASSWORD, "device_info": "x" * 500}),
    ("post", "/auth/otp/verify", {"phone": "+14155550100", "code": 123456}),
    ("post", "/auth/otp/verify", {"phone": "+14155550100", "code": "1234567"}),
    ("post", "/auth/refresh", {"refresh_token": ""}),
    ("post", "/auth/refresh", {"refresh_token": "x" * 5000}),
    ("post", "/auth/refresh", {"refresh_token": ["a"]}),
    ("patch", "/users/me", {"full_name": ""}),
    ("patch", "/users/me", {"email": "bad"}),
    ("patch", "/users/me", {"phone": "+1"}),
    ("patch", "/users/me", {"roles": ["platform_admin"]}),
    ("patch", "/users/me", {"full_name": 42}),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_BODIES)
async def test_bad_bodies_everywhere_are_422(
    client: httpx.AsyncClient, ctx: AppContext, method: str, path: str, body: Any
) -> None:
    tokens = await signup(client)
    before = await table_counts(ctx)
    r = await client.request(method, f"{API}{path}", json=body, headers=bearer(tokens))
    assert_problem(r, 422)
    assert await table_counts(ctx) == before
    me = (await client.get(f"{API}/users/me", headers=bearer(tokens))).json()
    assert me == tokens["user"]  # nothing about the user changed
