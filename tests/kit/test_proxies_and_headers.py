"""The edge of the application: whose X-Forwarded-For counts (INNKEEPER_TRUSTED_PROXIES), security
headers on every answer, CORS only for listed origins, the Host check, and the per-IP budget of
anonymous reads (INNKEEPER_ANONYMOUS_READ_RATE_LIMIT)."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter
from pydantic import ValidationError

from innkeeper.app import create_app
from innkeeper.config import Settings
from innkeeper.kit.http import UnitOfWorkRoute
from tests.cli_support import cli_env, invoke_cli
from tests.helpers import (
    API,
    PASSWORD,
    assert_problem,
    bearer,
    client_at,
    signup,
    unique_email,
    with_settings,
)

PROXY_NET = "10.0.0.0/8"
APP_ORIGIN = "https://app.example.com"
#: tiny, so a test reaches it in a few requests; each test reads from addresses of its own
READS = 3

boom = APIRouter(route_class=UnitOfWorkRoute)


@boom.get("/__boom")
async def explode() -> None:
    raise RuntimeError("an unexpected failure")


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    return (boom,)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "trusted_proxies": [PROXY_NET],
        "cors_origins": [APP_ORIGIN],
        "allowed_hosts": ["testserver", "api.example.com"],
        "anonymous_read_rate_limit": f"{READS}/minute",
    }


async def session_ip(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """Sign up with ``headers`` (which records the session's source address) and read the address back."""
    body = {"email": unique_email(), "password": PASSWORD, "full_name": "Test User"}
    created = await client.post(f"{API}/auth/signup", json=body, headers=headers)
    assert created.status_code == 201, created.text
    sessions = await client.get(f"{API}/auth/sessions", headers=bearer(created.json()))
    return str(sessions.json()["items"][0]["ip"])


# -- whose X-Forwarded-For counts ----------------------------------------------------------------------


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
    app: Any, client: httpx.AsyncClient
) -> None:
    # the client fixture calls from 203.0.113.7, outside the trusted 10.0.0.0/8
    assert await session_ip(client, {"X-Forwarded-For": "198.51.100.1"}) == "203.0.113.7"
    for i in range(READS):  # a new "address" each time: the budget is still the peer's
        r = await client.get(f"{API}/locations", headers={"X-Forwarded-For": f"198.51.100.{i + 10}"})
        assert r.status_code == 200
    blocked = await client.get(f"{API}/locations", headers={"X-Forwarded-For": "198.51.100.99"})
    assert_problem(blocked, 429, "rate_limited")


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(app: Any) -> None:
    async with client_at(app, "10.0.0.2") as proxy:
        # the client sent its own (spoofed) header; the proxy appended the address it saw
        assert await session_ip(proxy, {"X-Forwarded-For": "192.0.2.1, 198.51.100.44"}) == "198.51.100.44"
        # two trusted hops: skipped from the right
        assert await session_ip(proxy, {"X-Forwarded-For": "198.51.100.45, 10.9.9.9"}) == "198.51.100.45"
        # without the header the proxy itself is the client
        assert await session_ip(proxy, {}) == "10.0.0.2"
        # two clients behind the one proxy have a budget each
        for _ in range(READS):
            r = await proxy.get(f"{API}/locations", headers={"X-Forwarded-For": "198.51.100.50"})
            assert r.status_code == 200
        blocked = await proxy.get(f"{API}/locations", headers={"X-Forwarded-For": "198.51.100.50"})
        assert_problem(blocked, 429, "rate_limited")
        other = await proxy.get(f"{API}/locations", headers={"X-Forwarded-For": "198.51.100.51"})
        assert other.status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def served_like_innkeeper_serve(app: Any, settings: Settings, monkeypatch: Any) -> AsyncIterator[str]:
    """``app`` on a loopback socket, under the uvicorn options ``innkeeper serve`` passes (captured)."""
    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: captured.update(options))
    result = invoke_cli(cli_env(settings), "serve", "--no-migrate")
    assert result.exit_code == 0, result.output
    assert captured, "innkeeper serve did not start uvicorn"
    request_options = {
        k: v
        for k, v in captured.items()
        if k not in {"factory", "host", "port", "workers", "log_level", "access_log"}
    }
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **request_options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # polling a starting server, not waiting for time to pass
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_innkeeper_serve_leaves_forwarded_headers_to_the_application(
    app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own proxy handling trusts loopback peers by default: behind it, anyone on the host
    could pick their address. ``innkeeper serve`` turns it off (the app trusts only its setting)."""
    async with served_like_innkeeper_serve(app, settings, monkeypatch) as base:
        async with httpx.AsyncClient(base_url=base, headers={"Host": "testserver"}) as client:
            assert await session_ip(client, {"X-Forwarded-For": "198.51.100.77"}) == "127.0.0.1"


# -- security headers ----------------------------------------------------------------------------------


def assert_security_headers(response: httpx.Response, *, hsts: bool = False) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", (response.status_code, headers)
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert ("Strict-Transport-Security" in headers) is hsts


async def test_every_answer_has_the_security_headers(app: Any, client: httpx.AsyncClient) -> None:
    ok = await client.get("/healthz")
    assert ok.status_code == 200
    assert_security_headers(ok)
    assert ok.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    page = await client.get("/")
    assert page.status_code == 200
    assert_security_headers(page)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    errors = [
        (await client.get(f"{API}/no-such-thing"), 404),
        (await client.delete("/healthz"), 405),
        (await client.get(f"{API}/search", params={"rooms": "many"}), 422),  # a route's validation
        (await client.get("/healthz", params={"q": "nul\x00"}), 422),  # refused by the middleware
        (
            await client.post(
                f"{API}/auth/login", content=b"{", headers={"content-type": "application/json"}
            ),
            400,
        ),
    ]
    for response, status in errors:
        assert_problem(response, status)
        assert_security_headers(response)


async def test_a_crash_answer_has_them_too(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        crashed = await client.get("/__boom")
    assert_problem(crashed, 500, "internal")
    assert_security_headers(crashed)
    assert crashed.headers["X-Request-ID"]


async def test_hsts_only_in_production(client: httpx.AsyncClient, settings: Settings) -> None:
    assert "Strict-Transport-Security" not in (await client.get("/healthz")).headers
    production = with_settings(settings, env="production", unsafe_allow_development_defaults=True)
    app = create_app(production)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            for response in (await other.get("/healthz"), await other.get(f"{API}/nothing-here")):
                assert_security_headers(response, hsts=True)
                assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_docs_are_served_without_a_cdn_or_inline_script(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert len(assets) == 3  # stylesheet, Swagger UI, the start-up script
    for asset in assets:
        assert (await client.get(asset)).status_code == 200
    redoc = await client.get("/redoc")
    assert redoc.status_code == 200 and "http://" not in redoc.text and "https://" not in redoc.text
    assert re.findall(r"<script([^>]*)>(.*?)</script>", redoc.text, re.DOTALL) == [
        (' src="/static/vendor/redoc-2.5.4.standalone.js"', "")
    ]
    assert '<redoc spec-url="/openapi.json">' in redoc.text
    assert (await client.get("/static/vendor/redoc-2.5.4.standalone.js")).status_code == 200
    # ReDoc's injected styles and search worker are allowed on that page only; scripts stay this site's
    policy = dict(p.strip().split(" ", 1) for p in redoc.headers["Content-Security-Policy"].split(";"))
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["worker-src"] == "'self' blob:"
    assert "script-src" not in policy and policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


# -- CORS and Host ---------------------------------------------------------------------------------------


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }


async def test_cors_answers_only_listed_origins(app: Any, client: httpx.AsyncClient) -> None:
    allowed = await client.options(f"{API}/bookings", headers=preflight(APP_ORIGIN))
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "idempotency-key" in allowed.headers["Access-Control-Allow-Headers"].lower()
    refused = await client.options(f"{API}/bookings", headers=preflight("https://evil.example"))
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    simple = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200 and "Access-Control-Allow-Origin" not in simple.headers
    listed = await client.get("/healthz", headers={"Origin": APP_ORIGIN})
    assert listed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


async def test_unknown_host_is_400(app: Any, client: httpx.AsyncClient) -> None:
    refused = await client.get("/healthz", headers={"Host": "attacker.example"})
    assert_problem(refused, 400, "request.host_invalid")
    assert_security_headers(refused)
    assert refused.headers["X-Request-ID"] == refused.json()["request_id"]
    assert (await client.get("/healthz", headers={"Host": "api.example.com:443"})).status_code == 200


async def test_defaults_no_cors_any_host_no_forwarded_header(settings: Settings) -> None:
    defaults = with_settings(
        settings,
        trusted_proxies=[],
        cors_origins=[],
        allowed_hosts=["*"],
        anonymous_read_rate_limit="300/minute",
    )
    assert Settings.model_fields["cors_origins"].default == []
    assert Settings.model_fields["trusted_proxies"].default == []
    assert Settings.model_fields["allowed_hosts"].default == ["*"]
    app = create_app(defaults)
    async with app.router.lifespan_context(app), client_at(app, "10.0.0.2") as client:
        answer = await client.options(f"{API}/bookings", headers=preflight(APP_ORIGIN))
        assert "Access-Control-Allow-Origin" not in answer.headers
        assert (await client.get("/healthz", headers={"Host": "anything.example"})).status_code == 200
        # no trusted proxy: even a private peer's header is ignored
        assert await session_ip(client, {"X-Forwarded-For": "198.51.100.1"}) == "10.0.0.2"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("trusted_proxies", "10.0.0.0/8,not-a-network"),
        ("cors_origins", "*"),
        ("cors_origins", "https://app.example.com/path"),
        ("allowed_hosts", "https://api.example.com"),
        ("allowed_hosts", "api.*.com"),
        ("anonymous_read_rate_limit", "lots"),
    ],
)
def test_malformed_edge_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(env="development", **{name: value})


def test_edge_settings_read_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INNKEEPER_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    monkeypatch.setenv("INNKEEPER_CORS_ORIGINS", "https://App.example.com/,http://localhost:5173")
    monkeypatch.setenv("INNKEEPER_ALLOWED_HOSTS", "api.example.com,*.example.org")
    read = Settings(env="development")
    assert read.trusted_proxies == ["10.0.0.0/8", "192.0.2.7/32"]
    assert read.cors_origins == ["https://app.example.com", "http://localhost:5173"]
    assert read.allowed_hosts == ["api.example.com", "*.example.org"]


# -- anonymous reads -------------------------------------------------------------------------------------

SOME_ID = "01a204d4-a0fd-75c6-aaae-d50b71943bbf"
ANONYMOUS_READS = [
    f"{API}/search?city=Lisbon&checkin=2030-01-01&checkout=2030-01-02",
    f"{API}/locations",
    f"{API}/properties/no-such-hotel",
    f"{API}/properties/no-such-hotel/availability?checkin=2030-01-01&checkout=2030-01-02",
    f"{API}/properties/no-such-hotel/calendar",
    f"{API}/bookings/lookup?reference=ABCDEF&email=guest@example.com",
    f"{API}/resources?date=2030-01-01",
    f"{API}/resources/{SOME_ID}/slots",
]


@pytest.mark.parametrize("path", ANONYMOUS_READS)
async def test_anonymous_reads_have_a_budget_per_ip(app: Any, path: str) -> None:
    octet = ANONYMOUS_READS.index(path) + 1
    async with client_at(app, f"192.0.2.{octet}") as reader:
        for _ in range(READS):
            assert (await reader.get(path)).status_code != 429
        blocked = await reader.get(path)
        assert_problem(blocked, 429, "rate_limited")
        assert 1 <= int(blocked.headers["Retry-After"]) <= 60
        assert_security_headers(blocked)
    async with client_at(app, f"192.0.2.{octet + 100}") as neighbour:
        assert (await neighbour.get(path)).status_code != 429


async def test_signed_in_readers_are_not_counted(app: Any) -> None:
    async with client_at(app, "192.0.2.200") as reader:
        tokens = await signup(reader)
        for _ in range(READS):
            assert (await reader.get(f"{API}/locations")).status_code == 200
        assert_problem(await reader.get(f"{API}/locations"), 429, "rate_limited")
        for _ in range(READS + 2):  # the same address, signed in
            assert (await reader.get(f"{API}/locations", headers=bearer(tokens))).status_code == 200
