"""Logging can neither stall a worker nor leak (issue 18): tracebacks without locals and bounded in
size in every format, the standard library's loggers through the same chain, one access line per
request without query values."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text

from innkeeper.context import AppContext
from innkeeper.kit.logging import MAX_EXCEPTION_CHARS, MAX_FRAMES, redact, scrub
from tests.helpers import API, assert_problem
from tests.log_capture import captured_logs

LOCAL_CANARY = "local-canary-5f1e"
FORMATS = pytest.mark.parametrize("json_format", [False, True], ids=["console", "json"])

explosive = APIRouter()


@explosive.get("/__explode")
async def explode() -> None:
    secret_local = LOCAL_CANARY  # a local variable of the failing frame
    many = [f"{secret_local}-{i}" for i in range(20_000)]
    raise RuntimeError(f"exploded with {len(many)} items: " + "z" * 500_000)


@explosive.get("/__recurse")
async def recurse() -> None:
    def down(depth: int) -> int:
        if depth == 0:
            raise ValueError("bottom")
        return down(depth - 1) + 1  # distinct frames: no "[Previous line repeated]" folding

    down(400)


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    return (explosive,)


async def unhandled(app: Any, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get(path)


@FORMATS
async def test_an_unhandled_error_logs_a_bounded_traceback_without_locals(
    app: Any, json_format: bool
) -> None:
    with captured_logs(json=json_format) as logs:
        response = await unhandled(app, "/__explode")
        recursion = await unhandled(app, "/__recurse")
    assert_problem(response, 500, "internal")
    assert_problem(recursion, 500, "internal")
    output = logs.getvalue()
    assert LOCAL_CANARY not in output  # no locals
    # a 500,000-character message and 400 frames cost a few kilobytes each
    assert len(output) < 3 * MAX_EXCEPTION_CHARS, len(output)
    if json_format:
        errors = [e for e in map(json.loads, output.splitlines()) if e["event"] == "request.unhandled_error"]
        assert [e["route"] for e in errors] == ["/__explode", "/__recurse"]
        assert errors[0]["exception"][0]["exc_value"].startswith("exploded with 20000 items")
        [stack] = errors[1]["exception"]
        assert stack["exc_type"] == "ValueError"
        assert len(stack["frames"]) <= MAX_FRAMES + 1  # and one "Skipped frames: n"
        assert stack["frames"][-1]["name"] == "down"  # the innermost frames are kept
        assert all(frame.get("locals") is None for frame in stack["frames"])
    else:
        assert output.count("request.unhandled_error") == 2
        assert "RuntimeError: exploded with 20000 items" in output and "ValueError: bottom" in output
        assert output.count(", in down\n") <= MAX_FRAMES


@FORMATS
def test_standard_library_lines_pass_the_same_chain(json_format: bool) -> None:
    with captured_logs(json=json_format) as logs:
        try:
            raise ConnectionError("lost bob@example.com with Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl")
        except ConnectionError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("some.library").info("user %s signed in", "ann@example.com")
    output = logs.getvalue()
    assert "Exception in ASGI application" in output and "signed in" in output
    for secret in ("bob@example.com", "ann@example.com", "eyJhbGciOi", "c2lnbmF0dXJl"):
        assert secret not in output
    if json_format:
        first = json.loads(output.splitlines()[0])
        assert first["logger"] == "uvicorn.error" and first["exception"][0]["exc_type"] == "ConnectionError"


async def test_sql_parameters_stay_out_of_the_logs_at_debug(ctx: AppContext) -> None:
    """Without an explicit SQL echo, neither SQLAlchemy nor the drivers print parameters or rows."""
    with captured_logs(json=True, level="DEBUG") as logs:
        async with ctx.db.unit_of_work() as session:
            value = await session.scalar(text("SELECT :v"), {"v": "param-canary-77"})
    assert value == "param-canary-77"
    assert "param-canary-77" not in logs.getvalue()


async def test_one_access_line_per_request_without_query_values(client: httpx.AsyncClient) -> None:
    with captured_logs(json=True, level="INFO") as logs:
        search = await client.get(
            f"{API}/search",
            params={"city": "query-canary", "checkin": "2030-03-10", "checkout": "2030-03-12"},
        )
        missing = await client.get(f"{API}/properties/slug-canary")
    assert missing.status_code == 404
    events = [json.loads(line) for line in logs.getvalue().splitlines()]
    access = [e for e in events if e["event"] == "http.request"]
    assert [(e["method"], e["route"], e["status"]) for e in access] == [
        ("GET", f"{API}/search", search.status_code),
        ("GET", f"{API}/properties/{{slug}}", 404),
    ]
    assert [e["request_id"] for e in access] == [
        search.headers["x-request-id"],
        missing.headers["x-request-id"],
    ]
    assert all(isinstance(e["duration_ms"], float) and e["level"] == "info" for e in access)
    assert "query-canary" not in logs.getvalue() and "slug-canary" not in logs.getvalue()


def test_redaction_masks_sensitive_keys_at_any_depth_and_scrubs_free_text() -> None:
    event = {
        "event": "signup failed for eve@example.com",
        "password": "hunter2-hunter2",
        "body": {
            "user": {"Email": "x", "id_document_number": "X123", "name": "Eve"},
            "cards": [{"card_number": 1}],
        },
        "error": (
            "(asyncpg.exceptions.UniqueViolationError) duplicate key\n"
            "DETAIL:  Key (email)=(eve@example.com) already exists.\n"
            "[SQL: INSERT INTO users (email) VALUES (%s)]\n"
            "[parameters: ('eve@example.com', '$argon2id$v=19$x')]"
        ),
        "detail": "1 validation error\n  input_value='hunter2-hunter2', input_type=str",
        "note": "call +1 415 555 0199, card 4242 4242 4242 4242, hash $argon2id$v=19$m=65536$abc",
        "status": 500,
    }
    out = redact(None, "error", event)
    assert out["password"] == "***" and out["status"] == 500
    assert out["body"] == {
        "user": {"Email": "***", "id_document_number": "***", "name": "Eve"},
        "cards": [{"card_number": "***"}],
    }
    flat = json.dumps(out)
    for secret in ("eve@example.com", "hunter2", "argon2id$", "415 555", "4242 4242"):
        assert secret not in flat, secret
    assert "Key (email)=(***)" in out["error"] and "[parameters: ***]" in out["error"]
    assert "INSERT INTO users" in out["error"]  # the statement itself stays: it carries no values


def test_scrubbing_hostile_text_stays_linear() -> None:
    """Text an attacker can get into an exception message cannot make a log line slow: a quadratic
    pattern took 11 s on the first of these, on the event loop."""
    hostile = ["z" * 48_000, "eyJ" * 16_000, "Key (a)=(" * 5_000, "a@" * 24_000, "+1" * 24_000]
    started = time.perf_counter()
    for sample in hostile:
        scrub(sample, MAX_EXCEPTION_CHARS)
    assert time.perf_counter() - started < 3


def test_scrub_cuts_long_text_after_scrubbing() -> None:
    long = "a@example.com " * 10_000
    cut = scrub(long, 200)
    assert len(cut) < 300 and "@example.com" not in cut and "characters cut" in cut
