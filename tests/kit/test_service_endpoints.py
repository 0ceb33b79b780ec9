from __future__ import annotations

import httpx
import pytest

from innkeeper.app import create_app
from innkeeper.config import Settings
from tests.helpers import API, assert_problem, with_settings


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_readyz_checks_database_and_redis(client: httpx.AsyncClient, settings: Settings) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    checks = r.json()["checks"]
    assert checks["database"] == "ok"
    assert ("redis" in checks) == bool(settings.redis_url)


async def test_readyz_is_503_when_the_database_is_gone(settings: Settings, tmp_path: object) -> None:
    broken = with_settings(settings, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(broken)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.get("/readyz")
            assert r.status_code == 503
            assert r.json()["checks"]["database"].startswith("error")
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready


async def test_readyz_is_503_when_redis_is_gone(settings: Settings) -> None:
    app = create_app(with_settings(settings, redis_url="redis://127.0.0.1:1/0"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["redis"].startswith("error")


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.post(f"{API}/auth/login", json={"email": "x@example.com", "password": "whatever!!"})
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'innkeeper_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/auth/login",status="401"' in text
    assert "innkeeper_http_request_duration_seconds_bucket" in text
    assert 'innkeeper_logins_total{method="password",outcome="failed"}' in text


async def test_landing_page_and_docs(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "Innkeeper" in page.text
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/auth/signup" in spec["paths"]
    assert (await client.get("/static/site.css")).status_code == 200


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {}


async def test_auth_endpoints_are_rate_limited_per_ip(settings: Settings) -> None:
    app = create_app(with_settings(settings, auth_rate_limit="3/minute"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(3):
                r = await client.post(
                    f"{API}/auth/login", json={"email": "a@example.com", "password": "x" * 10}
                )
                assert r.status_code == 401
            blocked = await client.post(f"{API}/auth/otp/send", json={"phone": "+14155550100"})
            assert_problem(blocked, 429, "rate_limited")
            assert 1 <= int(blocked.headers["Retry-After"]) <= 60
        other = httpx.ASGITransport(app=app, client=("198.51.100.10", 1234))
        async with httpx.AsyncClient(transport=other, base_url="http://t") as client:
            r = await client.post(f"{API}/auth/login", json={"email": "a@example.com", "password": "x" * 10})
            assert r.status_code == 401  # another address has its own budget


async def test_writes_have_a_per_user_budget(settings: Settings) -> None:
    from tests.helpers import bearer, signup

    app = create_app(with_settings(settings, write_rate_limit="4/minute"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            tokens = await signup(client)  # 1st write from this IP (anonymous budget)
            for i in range(4):
                r = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"full_name": f"N{i}"})
                assert r.status_code == 200
            blocked = await client.patch(
                f"{API}/users/me", headers=bearer(tokens), json={"full_name": "Nope"}
            )
            assert_problem(blocked, 429, "rate_limited")
            assert "Retry-After" in blocked.headers
            me = await client.get(f"{API}/users/me", headers=bearer(tokens))
            assert (
                me.status_code == 200 and me.json()["full_name"] == "N3"
            )  # reads are not limited; nothing changed


async def test_a_serving_process_freezes_its_start_up_objects_and_collects_less_often(
    settings: Settings,
) -> None:
    """``innkeeper serve`` runs ``serve_app``: once serving, what start-up built is out of the collector's
    sight and the young generation is collected less often. Other apps (tests, workers) leave GC alone."""
    import gc

    from innkeeper.app import SERVING_GC_THRESHOLD

    before = gc.get_threshold()
    plain = create_app(settings, run_jobs=False)
    async with plain.router.lifespan_context(plain):
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    served = create_app(settings, run_jobs=False, serving=True)
    try:
        async with served.router.lifespan_context(served):
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == SERVING_GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
