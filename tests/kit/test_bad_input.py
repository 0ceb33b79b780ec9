"""Hostile or broken input is a 4xx problem, never a 500, and changes nothing (issue 18).

NUL characters (a 500 on PostgreSQL, which cannot store them in text) are refused in one place, the
request middleware, for the query string, the path, header values and JSON or form bodies.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import MAX_MINOR_UNITS, Money
from innkeeper.payments.models import Payment
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup, unique_email
from tests.payments.support import live_server

SEARCH = {"checkin": "2030-03-10", "checkout": "2030-03-12"}


async def users(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def payments(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Payment)) or 0)


def nul_field(response: httpx.Response) -> str:
    problem = assert_problem(response, 422, "request.validation")
    [error] = problem["errors"]
    assert error["type"] == "string_nul"
    return str(error["field"])


# NUL characters ----------------------------------------------------------------------------------


async def test_nul_in_an_anonymous_search_is_422(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/search", params={"city": "a\x00b", **SEARCH})
    assert "%00" in str(r.request.url)
    assert nul_field(r) == "city"
    assert nul_field(await client.get(f"{API}/locations", params={"query": "\x00"})) == "query"


async def test_nul_in_a_json_body_is_422_and_creates_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "full_name": "Eve\x00"}
    raw = json.dumps(body).encode()
    assert b"\\u0000" in raw
    r = await client.post(f"{API}/auth/signup", content=raw, headers={"content-type": "application/json"})
    assert nul_field(r) == "full_name"
    # nested strings and keys are found too, with their path
    nested = {**body, "full_name": "Eve", "extra": {"items": ["ok", "bad\x00"]}}
    r = await client.post(f"{API}/auth/signup", json=nested)
    assert nul_field(r) == "extra.items.1"
    assert await users(ctx) == 0


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient) -> None:
    tokens = await signup(client, full_name="back\\u0000slash")
    assert tokens["user"]["full_name"] == "back\\u0000slash"


async def test_nul_in_the_path_a_header_or_a_form_is_422(client: httpx.AsyncClient) -> None:
    assert nul_field(await client.get(f"{API}/properties/a%00b")) == "path"
    login = {"email": "a@example.com", "password": PASSWORD}
    r = await client.post(f"{API}/auth/login", json=login, headers={"user-agent": "Evil\x00Browser"})
    assert nul_field(r) == "user-agent"
    r = await client.post(
        f"{API}/auth/login",
        content=b"email=a%40example.com&password=x%00y",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert nul_field(r) == "password"


# Content-Length ----------------------------------------------------------------------------------


def signup_request(content_length: bytes) -> tuple[bytes, bytes]:
    body = json.dumps({"email": unique_email(), "password": PASSWORD, "full_name": "Len"}).encode()
    head = (
        b"POST /api/v1/auth/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + content_length.replace(b"N", str(len(body)).encode())
    )
    return head + b"\r\n\r\n", body


async def test_malformed_content_length_reaching_the_app_is_a_problem(app: Any) -> None:
    """Over ASGI the app sees any header value: it answers problem+json."""

    async def send_with(content_length: bytes) -> tuple[int, dict[str, str], bytes]:
        _, body = signup_request(b"")
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/auth/signup",
            "raw_path": b"/api/v1/auth/signup",
            "query_string": b"",
            "headers": [(b"content-type", b"application/json"), (b"content-length", content_length)],
            "client": ("203.0.113.7", 1),
            "server": ("testserver", 80),
            "scheme": "http",
            "http_version": "1.1",
            "root_path": "",
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
        return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])

    for bad in (b"abc", b"-1", b"1.5", b"5, 5"):
        status, headers, body = await send_with(bad)
        assert (status, headers["content-type"]) == (400, "application/problem+json"), bad
        assert json.loads(body)["code"] == "request.bad"
    length = str(len(signup_request(b"")[1])).encode()
    status, _, body = await send_with(length + b" ")  # optional whitespace is allowed (RFC 9110)
    assert status == 201, body


async def test_real_server_content_length(app: Any) -> None:
    """Under uvicorn, a malformed Content-Length never reaches the app: the server's HTTP parser
    answers it (text/plain 400, see docs/architecture.md). What does reach the app, like trailing
    whitespace that httptools passes through, is handled."""

    async def exchange(base: str, content_length: bytes) -> bytes:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head, body = signup_request(content_length)
        writer.write(head + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
        return answer

    async with live_server(app) as base:
        trailing_space = await exchange(base, b"N ")
        malformed = await exchange(base, b"abc")
    assert trailing_space.startswith(b"HTTP/1.1 201"), trailing_space[:300]
    assert malformed.startswith(b"HTTP/1.1 400"), malformed[:300]


# Money and idempotency ---------------------------------------------------------------------------


async def test_absurd_top_up_amount_is_422_naming_the_field(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    tokens = await signup(client)
    for amount in ("1e30", "1e999999999", "10000000000000"):
        r = await client.post(
            f"{API}/users/me/wallet/top-ups",
            json={"amount": {"amount": amount, "currency": "EUR"}},
            headers=bearer(tokens),
        )
        problem = assert_problem(r, 422, "money.too_large")
        assert [e["field"] for e in problem["errors"]] == ["amount"]
    assert await payments(ctx) == 0


def test_money_parsing_bounds_magnitude_length_and_precision() -> None:
    biggest = Money.parse("9999999999999.99", "EUR")
    assert biggest.minor == MAX_MINOR_UNITS - 1
    for text, code in [
        ("1e30", "money.too_large"),
        ("-1e999999999", "money.too_large"),
        ("1e-999999999", "money.precision"),
        ("1" * 65, "money.invalid"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            Money.parse({"amount": text, "currency": "EUR"}, "EUR", field="base_price")
        assert caught.value.code == code and caught.value.status == 422
        assert caught.value.errors == [{"field": "base_price", "message": caught.value.detail, "type": code}]


async def test_deeply_nested_json_with_an_idempotency_key_is_400(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    tokens = await signup(client)
    deep = b'{"amount": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    r = await client.post(
        f"{API}/users/me/wallet/top-ups",
        content=deep,
        headers={**bearer(tokens), "content-type": "application/json", "Idempotency-Key": "deep-1"},
    )
    assert_problem(r, 400)
    assert await payments(ctx) == 0


async def test_an_empty_idempotency_key_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    tokens = await signup(client)
    for key in ("", " "):
        r = await client.post(
            f"{API}/users/me/wallet/top-ups",
            json={"amount": {"amount": "10.00", "currency": "EUR"}},
            headers={**bearer(tokens), "Idempotency-Key": key},
        )
        assert_problem(r, 422, "idempotency.key_invalid")
    assert await payments(ctx) == 0
    # refused on a route that does not honour keys too, rather than silently ignored
    r = await client.post(
        f"{API}/auth/signup",
        json={"email": unique_email(), "password": PASSWORD, "full_name": "Key"},
        headers={"Idempotency-Key": ""},
    )
    assert_problem(r, 422, "idempotency.key_invalid")
    assert await users(ctx) == 1
