from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import AuthSession, User
from innkeeper.identity.service import ACCOUNT_CEILING_FACTOR, LOGIN_BACKOFF_BASE
from innkeeper.kit.clock import clock
from tests.helpers import API, PASSWORD, assert_problem, bearer, client_at, signup, unique_email


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


async def test_failed_logins_slow_their_source_down_not_the_owner(
    app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Failures count per account *and* source: the guessing address waits, longer after each failure
    once it has used its allowance, while the owner logs in from elsewhere."""
    clock.freeze()
    email = unique_email()
    await signup(client, email=email)
    wrong = {"email": email, "password": "not the password"}
    right = {"email": email, "password": PASSWORD}
    async with client_at(app, "198.51.100.66") as attacker:
        for _ in range(ctx.settings.login_failures_per_window):
            assert_problem(await attacker.post(f"{API}/auth/login", json=wrong), 401)
        waits = []
        for _ in range(4):
            # even the right password waits at this address: it proves nothing after so many guesses
            blocked = await attacker.post(f"{API}/auth/login", json=right)
            body = assert_problem(blocked, 429, "rate_limited")
            waits.append(int(blocked.headers["Retry-After"]))
            assert body["retry_after"] == waits[-1]
            # the owner, at their own address, is not locked out
            assert (await client.post(f"{API}/auth/login", json=right)).status_code == 200
            clock.advance(timedelta(seconds=waits[-1] - 1))
            assert (await attacker.post(f"{API}/auth/login", json=wrong)).status_code == 429
            clock.advance(timedelta(seconds=1))
            # the wait is over: the next try is heard, and counted again
            assert_problem(await attacker.post(f"{API}/auth/login", json=wrong), 401)
    base = int(LOGIN_BACKOFF_BASE.total_seconds())
    assert waits == [base, 2 * base, 4 * base, 8 * base]


async def test_unknown_accounts_are_throttled_like_real_ones(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    clock.freeze()
    email = unique_email()
    await signup(client, email=email)
    answers = []
    for address in (email, "ghost@example.com"):
        for _ in range(ctx.settings.login_failures_per_window):
            await client.post(f"{API}/auth/login", json={"email": address, "password": "x" * 10})
        blocked = await client.post(f"{API}/auth/login", json={"email": address, "password": "x" * 10})
        body = assert_problem(blocked, 429, "rate_limited")
        body.pop("request_id")
        answers.append((body, blocked.headers["Retry-After"]))
    assert answers[0] == answers[1]  # no enumeration through the throttle


@pytest.mark.parametrize("settings_overrides", [{"login_failures_per_window": 2}])
async def test_guessing_from_many_addresses_slows_new_addresses_never_known_ones(
    app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """The account's failures from everywhere meet a soft ceiling (``ACCOUNT_CEILING_FACTOR`` times the
    per-source allowance): addresses the account never logged in from then wait; its known ones never."""
    clock.freeze()
    email = unique_email()
    await signup(client, email=email)  # from 203.0.113.7, now a known address of the account
    free = ctx.settings.login_failures_per_window
    right = {"email": email, "password": PASSWORD}
    for bot in range(ACCOUNT_CEILING_FACTOR):
        async with client_at(app, f"198.51.100.{bot + 1}") as guesser:
            for _ in range(free):  # each address stays within its own allowance
                r = await guesser.post(f"{API}/auth/login", json={"email": email, "password": "guess " * 2})
                assert_problem(r, 401)
    async with client_at(app, "192.0.2.50") as travelling:  # the owner on a network never used before
        blocked = await travelling.post(f"{API}/auth/login", json=right)
        assert_problem(blocked, 429, "rate_limited")
        assert int(blocked.headers["Retry-After"]) == int(LOGIN_BACKOFF_BASE.total_seconds())
        assert (await client.post(f"{API}/auth/login", json=right)).status_code == 200
        # soft: once the wait is over, the new address gets in too
        clock.advance(LOGIN_BACKOFF_BASE)
        assert (await travelling.post(f"{API}/auth/login", json=right)).status_code == 200


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
