"""Account recovery: forgot/reset password with a single-use expiring token, e-mail verification."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from innkeeper.context import AppContext
from innkeeper.identity.models import AccountToken, AuthSession
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup, unique_email

NEW_PASSWORD = "a brand new secret 42"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"public_url": "https://inn.example"}


async def mails(client: httpx.AsyncClient, runner: JobRunner, to: str) -> list[dict[str, Any]]:
    await runner.drain()
    items: list[dict[str, Any]] = (await client.get("/dev/outbox.json", params={"to": to})).json()["items"]
    return items


def token_in(mail: dict[str, Any], path: str) -> str:
    match = re.search(rf"https://inn\.example{path}\?token=([A-Za-z0-9_\-]+)", mail["body"])
    assert match, mail["body"]
    return match.group(1)


async def reset_token(client: httpx.AsyncClient, runner: JobRunner, email: str) -> str:
    r = await client.post(f"{API}/auth/password/forgot", json={"email": email})
    assert r.status_code == 202, r.text
    resets = [m for m in await mails(client, runner, email) if "reset-password" in m["body"]]
    assert resets, "no reset e-mail"
    return token_in(resets[0], "/account/reset-password")


@contextmanager
def statements(ctx: AppContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": password})


async def test_forgot_answers_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    known = (await signup(client))["user"]["email"]
    unknown = unique_email("nobody")
    with statements(ctx) as known_work:
        a = await client.post(f"{API}/auth/password/forgot", json={"email": known.upper()})
    with statements(ctx) as unknown_work:
        b = await client.post(f"{API}/auth/password/forgot", json={"email": unknown})
    assert a.status_code == b.status_code == 202
    assert a.json() == b.json() == {"status": "accepted"}
    assert len(known_work) == len(unknown_work) > 0  # nothing that timing could tell apart
    assert [m for m in await mails(client, runner, unknown)] == []
    [reset] = [m for m in await mails(client, runner, known) if "reset-password" in m["body"]]
    assert reset["subject"] == "Reset your Innkeeper password"
    # the token is stored hashed only
    token = token_in(reset, "/account/reset-password")
    async with ctx.db.unit_of_work(write=False) as session:
        hashes = (await session.scalars(select(AccountToken.token_hash))).all()
    assert token not in hashes and all(len(h) == 64 for h in hashes)


async def test_reset_sets_the_password_once_and_revokes_every_session(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    email = tokens["user"]["email"]
    other_device = (await login(client, email, PASSWORD)).json()
    token = await reset_token(client, runner, email)
    r = await client.post(f"{API}/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    for t in (tokens, other_device):  # both sessions are over
        assert_problem(await client.get(f"{API}/users/me", headers=bearer(t)), 401)
        assert_problem(
            await client.post(f"{API}/auth/refresh", json={"refresh_token": t["refresh_token"]}), 401
        )
    async with ctx.db.unit_of_work(write=False) as session:
        live = await session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))
        )
    assert live == 0
    assert_problem(await login(client, email, PASSWORD), 401)
    fresh = await login(client, email, NEW_PASSWORD)
    assert fresh.status_code == 200
    # the link reached the mailbox: the address is proven
    assert fresh.json()["user"]["email_verified"] is True
    # single use
    again = await client.post(
        f"{API}/auth/password/reset", json={"token": token, "password": "yet another secret 7"}
    )
    assert_problem(again, 400, "recovery.token_invalid")
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200


async def test_reset_tokens_expire_and_only_the_latest_works(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    clock.freeze()
    email = (await signup(client))["user"]["email"]
    first = await reset_token(client, runner, email)
    second = await reset_token(client, runner, email)
    assert first != second
    assert_problem(
        await client.post(f"{API}/auth/password/reset", json={"token": first, "password": NEW_PASSWORD}),
        400,
        "recovery.token_invalid",
    )
    clock.advance(timedelta(seconds=ctx.settings.password_reset_ttl_seconds + 1))
    assert_problem(
        await client.post(f"{API}/auth/password/reset", json={"token": second, "password": NEW_PASSWORD}),
        400,
        "recovery.token_invalid",
    )
    assert (await login(client, email, PASSWORD)).status_code == 200  # nothing changed


async def test_bad_reset_input_changes_nothing(client: httpx.AsyncClient, runner: JobRunner) -> None:
    tokens = await signup(client)
    email = tokens["user"]["email"]
    token = await reset_token(client, runner, email)
    weak = await client.post(f"{API}/auth/password/reset", json={"token": token, "password": "short"})
    assert_problem(weak, 422, "identity.weak_password")
    for body in ({"token": "x", "password": NEW_PASSWORD}, {"token": token}, {"password": NEW_PASSWORD}, {}):
        assert_problem(await client.post(f"{API}/auth/password/reset", json=body), 422)
    unknown = await client.post(
        f"{API}/auth/password/reset", json={"token": "A" * 43, "password": NEW_PASSWORD}
    )
    assert_problem(unknown, 400, "recovery.token_invalid")
    # the refused attempts spent nothing: the session lives and the token still works
    assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
    r = await client.post(f"{API}/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 204, r.text


async def test_reset_mails_per_address_are_limited_silently(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    clock.freeze()
    email = (await signup(client))["user"]["email"]
    allowed = ctx.settings.password_reset_mails_per_window
    for _ in range(allowed + 2):
        r = await client.post(f"{API}/auth/password/forgot", json={"email": email})
        assert r.status_code == 202  # the same answer past the allowance
    resets = [m for m in await mails(client, runner, email) if "reset-password" in m["body"]]
    assert len(resets) == allowed
    clock.advance(timedelta(seconds=ctx.settings.password_reset_window_seconds + 1))
    await client.post(f"{API}/auth/password/forgot", json={"email": email})
    resets = [m for m in await mails(client, runner, email) if "reset-password" in m["body"]]
    assert len(resets) == allowed + 1


@pytest.mark.parametrize("settings_overrides", [{"recovery_rate_limit": "3/minute"}])
async def test_recovery_requests_are_rate_limited_per_ip(client: httpx.AsyncClient) -> None:
    for i in range(3):
        r = await client.post(f"{API}/auth/password/forgot", json={"email": f"x{i}@example.com"})
        assert r.status_code == 202
    limited = await client.post(f"{API}/auth/password/forgot", json={"email": "y@example.com"})
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert_problem(await client.post(f"{API}/auth/email/verify", json={"token": "A" * 43}), 429)


async def test_signup_sends_a_verification_link(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    email = tokens["user"]["email"]
    assert tokens["user"]["email_verified"] is False
    [mail] = await mails(client, runner, email)
    assert mail["subject"] == "Confirm your e-mail address"
    token = token_in(mail, "/account/verify-email")
    r = await client.post(f"{API}/auth/email/verify", json={"token": token})
    assert r.status_code == 200, r.text
    assert r.json() == {"email": email, "email_verified": True}
    me = (await client.get(f"{API}/users/me", headers=bearer(tokens))).json()
    assert me["email_verified"] is True
    assert_problem(
        await client.post(f"{API}/auth/email/verify", json={"token": token}), 400, "recovery.token_invalid"
    )
    # a reset token is not a verification token (and the other way round)
    reset = await reset_token(client, runner, email)
    assert_problem(
        await client.post(f"{API}/auth/email/verify", json={"token": reset}), 400, "recovery.token_invalid"
    )


async def test_a_changed_address_must_be_verified_again_and_old_links_die(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    tokens = await signup(client)
    old = tokens["user"]["email"]
    [mail] = await mails(client, runner, old)
    old_token = token_in(mail, "/account/verify-email")
    new = unique_email("moved")
    r = await client.patch(f"{API}/users/me", headers=bearer(tokens), json={"email": new})
    assert r.status_code == 200 and r.json()["email_verified"] is False, r.text
    assert_problem(
        await client.post(f"{API}/auth/email/verify", json={"token": old_token}),
        400,
        "recovery.token_invalid",
    )
    resent = await client.post(f"{API}/auth/email/verify/resend", headers=bearer(tokens))
    assert resent.status_code == 202, resent.text
    [mail] = await mails(client, runner, new)
    r = await client.post(f"{API}/auth/email/verify", json={"token": token_in(mail, "/account/verify-email")})
    assert r.status_code == 200 and r.json()["email"] == new
    # verified: resending sends nothing
    await client.post(f"{API}/auth/email/verify/resend", headers=bearer(tokens))
    assert len(await mails(client, runner, new)) == 1
    assert_problem(await client.post(f"{API}/auth/email/verify/resend"), 401)


async def test_recovery_mails_speak_the_users_language(client: httpx.AsyncClient, runner: JobRunner) -> None:
    tokens = await signup(client, locale="pt")
    email = tokens["user"]["email"]
    assert tokens["user"]["locale"] == "pt"
    [verify] = await mails(client, runner, email)
    assert verify["subject"] == "Confirme o seu endereço de e-mail"
    await client.post(f"{API}/auth/password/forgot", json={"email": email})
    [reset, *_] = [m for m in await mails(client, runner, email) if "reset-password" in m["body"]]
    assert reset["subject"] == "Redefinir a sua palavra-passe Innkeeper"
    assert "palavra-passe" in reset["body"]
    assert_problem(
        await client.post(
            f"{API}/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "full_name": "X", "locale": "xx"},
        ),
        422,
    )
