from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import AuthSession, User
from innkeeper.kit.clock import clock
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup, unique_email


async def count_users(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_signup_returns_tokens_user_and_session(client: httpx.AsyncClient) -> None:
    email = unique_email()
    data = await signup(client, email=email.upper(), phone="+1 415 555 0123")
    assert data["token_type"] == "bearer"
    assert data["access_token"] and data["refresh_token"] and data["session_id"]
    user = data["user"]
    assert user["email"] == email  # normalised to lower case
    assert user["phone"] == "+14155550123"  # normalised to E.164
    assert user["roles"] == ["customer"]
    assert user["loyalty_tier"] == "standard"
    me = await client.get(f"{API}/users/me", headers=bearer(data))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


async def test_signup_with_taken_email_is_409(client: httpx.AsyncClient, ctx: AppContext) -> None:
    email = unique_email()
    await signup(client, email=email)
    response = await client.post(
        f"{API}/auth/signup", json={"email": email, "password": PASSWORD, "full_name": "Again"}
    )
    assert_problem(response, 409, "identity.email_taken")
    assert await count_users(ctx) == 1


async def test_password_policy(client: httpx.AsyncClient, ctx: AppContext) -> None:
    for password, email in [
        ("short", "a@example.com"),
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("my jane.doe secret", "jane.doe@example.com"),
        ("aaaaaaaaaaaa", "b@example.com"),
    ]:
        response = await client.post(
            f"{API}/auth/signup", json={"email": email, "password": password, "full_name": "X"}
        )
        body = assert_problem(response, 422, "identity.weak_password")
        assert body["errors"][0]["field"] == "password"
    assert await count_users(ctx) == 0


async def test_login_and_enumeration_resistance(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    ok = await client.post(
        f"{API}/auth/login", json={"email": email, "password": PASSWORD, "device_info": "pytest"}
    )
    assert ok.status_code == 200
    assert ok.json()["user"]["email"] == email
    wrong = await client.post(f"{API}/auth/login", json={"email": email, "password": "wrong password!"})
    unknown = await client.post(
        f"{API}/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )
    a = assert_problem(wrong, 401, "identity.invalid_credentials")
    b = assert_problem(unknown, 401, "identity.invalid_credentials")
    for body in (a, b):
        body.pop("request_id")
    assert a == b  # the same answer whether or not the account exists


async def test_failed_logins_are_limited_per_account(client: httpx.AsyncClient, ctx: AppContext) -> None:
    email = unique_email()
    await signup(client, email=email)
    for _ in range(ctx.settings.login_failures_per_window):
        r = await client.post(f"{API}/auth/login", json={"email": email, "password": "not the password"})
        assert r.status_code == 401
    blocked = await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    body = assert_problem(blocked, 429, "rate_limited")
    retry = int(blocked.headers["Retry-After"])
    assert 0 < retry <= ctx.settings.login_failure_window_seconds
    assert body["retry_after"] == retry
    # an unknown account is limited the same way (no enumeration through the limiter)
    for _ in range(ctx.settings.login_failures_per_window):
        await client.post(f"{API}/auth/login", json={"email": "ghost@example.com", "password": "x" * 10})
    assert (
        await client.post(f"{API}/auth/login", json={"email": "ghost@example.com", "password": "x" * 10})
    ).status_code == 429
    clock.advance(timedelta(seconds=ctx.settings.login_failure_window_seconds + 1))
    assert (
        await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 200


async def test_logout_kills_access_token_on_next_request(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    other = (
        await client.post(f"{API}/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD})
    ).json()
    assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
    assert (await client.post(f"{API}/auth/logout", headers=bearer(tokens))).status_code == 204
    assert_problem(await client.get(f"{API}/users/me", headers=bearer(tokens)), 401, "identity.token_invalid")
    # the refresh token of that session is dead too
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(r, 401)
    # the other session is untouched
    assert (await client.get(f"{API}/users/me", headers=bearer(other))).status_code == 200


async def test_logout_all(client: httpx.AsyncClient) -> None:
    first = await signup(client)
    second = (
        await client.post(f"{API}/auth/login", json={"email": first["user"]["email"], "password": PASSWORD})
    ).json()
    assert (await client.post(f"{API}/auth/logout-all", headers=bearer(second))).status_code == 204
    for tokens in (first, second):
        assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 401


async def test_refresh_rotates_and_reuse_revokes_session(client: httpx.AsyncClient, ctx: AppContext) -> None:
    tokens = await signup(client)
    r1 = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r1.status_code == 200
    rotated = r1.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["session_id"] == tokens["session_id"]
    assert (await client.get(f"{API}/users/me", headers=bearer(rotated))).status_code == 200
    # the old refresh token comes back: theft assumed, the whole session dies
    replay = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(replay, 401, "identity.refresh_reused")
    assert (await client.get(f"{API}/users/me", headers=bearer(rotated))).status_code == 401
    assert (
        await client.post(f"{API}/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 401
    async with ctx.db.unit_of_work(write=False) as session:
        row = await session.get(AuthSession, __import__("uuid").UUID(tokens["session_id"]))
        assert row is not None and row.revoked_reason == "refresh_reuse"
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "session.revoked", AuditEntry.entity_id == tokens["session_id"])
        )
        assert audited == 1


async def test_access_token_expires(client: httpx.AsyncClient, ctx: AppContext) -> None:
    tokens = await signup(client)
    clock.advance(timedelta(seconds=ctx.settings.access_token_ttl_seconds + 1))
    assert_problem(await client.get(f"{API}/users/me", headers=bearer(tokens)), 401, "identity.token_invalid")
    refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert (await client.get(f"{API}/users/me", headers=bearer(refreshed.json()))).status_code == 200


async def test_sessions_list_and_revoke_one(client: httpx.AsyncClient) -> None:
    first = await signup(client, device_info="laptop")
    second = (
        await client.post(
            f"{API}/auth/login",
            json={"email": first["user"]["email"], "password": PASSWORD, "device_info": "phone"},
        )
    ).json()
    listing = await client.get(f"{API}/auth/sessions", headers=bearer(second))
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert {i["device_info"] for i in items} == {"laptop", "phone"}
    current = [i for i in items if i["current"]]
    assert len(current) == 1 and current[0]["id"] == second["session_id"]
    assert all(i["ip"] == "203.0.113.7" for i in items)
    assert all({"created_at", "last_seen_at"} <= i.keys() for i in items)
    r = await client.delete(f"{API}/auth/sessions/{first['session_id']}", headers=bearer(second))
    assert r.status_code == 204
    assert (await client.get(f"{API}/users/me", headers=bearer(first))).status_code == 401
    assert (await client.get(f"{API}/users/me", headers=bearer(second))).status_code == 200
    # someone else's session id is simply not found
    stranger = await signup(client)
    r = await client.delete(f"{API}/auth/sessions/{second['session_id']}", headers=bearer(stranger))
    assert_problem(r, 404)
    assert (await client.get(f"{API}/users/me", headers=bearer(second))).status_code == 200


async def test_patch_me(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    other = await signup(client)
    r = await client.patch(
        f"{API}/users/me", headers=bearer(tokens), json={"full_name": "New Name", "phone": "+442071838750"}
    )
    assert r.status_code == 200
    assert r.json()["full_name"] == "New Name"
    assert r.json()["phone"] == "+442071838750"
    r = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"email": other["user"]["email"]})
    assert_problem(r, 409, "identity.email_taken")
    r = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"phone": "12"})
    assert_problem(r, 422)
    me = (await client.get(f"{API}/users/me", headers=bearer(tokens))).json()
    assert me["email"] == tokens["user"]["email"] and me["phone"] == "+442071838750"


async def test_bad_bearer_tokens(client: httpx.AsyncClient) -> None:
    for header in ("Bearer nonsense", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer"):
        r = await client.get(f"{API}/users/me", headers={"Authorization": header})
        assert_problem(r, 401)
    assert_problem(await client.get(f"{API}/users/me"), 401, "identity.token_missing")
