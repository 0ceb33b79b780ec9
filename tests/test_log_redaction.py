"""No log line, in any format and at any level, carries a secret or personal data (issue 18).

Canary values go through sign-up, login, phone OTP, booking guests (identity documents) and payments,
each request once with the database refusing its write (a 500, logged with its traceback) and once
normally; the jobs run; then every line logged at DEBUG, from structlog and the standard library,
is searched for the canaries and for anything the server handed out (tokens, the OTP code).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book, hotel
from tests.catalog_support import freeze
from tests.helpers import API, bearer
from tests.identity.test_otp import latest_code
from tests.log_capture import captured_logs, failing_writes

EMAIL = "canary.mail.q7@example.com"
PHONE = "+14155550177"
PASSWORD = "Canary-Pass-Q7-horse"
DOCUMENT = "CANARYDOC7731"
CARD = "4242424242424242"


async def forced_500_then_ok(
    client: httpx.AsyncClient, ctx: AppContext, table: str, method: str, path: str, **kw: Any
) -> httpx.Response:
    with failing_writes(ctx, table):
        failed = await client.request(method, path, **kw)
    assert failed.status_code == 500, failed.text
    ok = await client.request(method, path, **kw)
    assert ok.status_code < 300, ok.text
    return ok


async def canary_journey(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> list[str]:
    """Run the journey; return the secrets the server handed out (tokens, OTP code)."""
    handed_out: list[str] = []
    signup = {"email": EMAIL, "password": PASSWORD, "full_name": "Cora Canary", "phone": PHONE}
    r = await forced_500_then_ok(client, ctx, "users", "POST", f"{API}/auth/signup", json=signup)
    handed_out += [r.json()["access_token"], r.json()["refresh_token"]]
    login = {"email": EMAIL, "password": PASSWORD, "device_info": f"card {CARD}"}
    r = await forced_500_then_ok(client, ctx, "auth_sessions", "POST", f"{API}/auth/login", json=login)
    me = bearer(r.json())
    handed_out += [r.json()["access_token"], r.json()["refresh_token"]]
    wrong = await client.post(f"{API}/auth/login", json={"email": EMAIL, "password": PASSWORD + "x"})
    assert wrong.status_code == 401

    await forced_500_then_ok(client, ctx, "otp_codes", "POST", f"{API}/auth/otp/send", json={"phone": PHONE})
    code = await latest_code(client, runner, PHONE)
    verify = {"phone": PHONE, "code": code}
    r = await forced_500_then_ok(client, ctx, "auth_sessions", "POST", f"{API}/auth/otp/verify", json=verify)
    handed_out += [code, r.json()["access_token"], r.json()["refresh_token"]]

    h = await hotel(client)
    booking = await book(client, h, me)
    guests = [{"name": "Gus Guest", "id_document_type": "passport", "id_document_number": DOCUMENT}]
    path = f"{API}/bookings/{booking['id']}/guests"
    await forced_500_then_ok(client, ctx, "booking_guests", "PUT", path, json=guests, headers=me)
    pay = {"method": "card"}
    headers = {**me, "Idempotency-Key": uuid.uuid4().hex}
    path = f"{API}/bookings/{booking['id']}/payments"
    r = await forced_500_then_ok(client, ctx, "payments", "POST", path, json=pay, headers=headers)
    handed_out += [v for v in (r.json().get("client_secret"),) if v]
    top_up = {"amount": {"amount": "25.00", "currency": "EUR"}}
    path = f"{API}/users/me/wallet/top-ups"
    await forced_500_then_ok(client, ctx, "payments", "POST", path, json=top_up, headers=me)
    await runner.drain()
    return handed_out


def leaks(text: str, secret: str) -> bool:
    """``secret`` appears as a token of its own (a 6-digit code inside a hex id or a timestamp's
    microseconds is not the code)."""
    return re.search(rf"(?<![\w.-]){re.escape(secret)}(?![\w-])", text) is not None


@pytest.mark.parametrize("json_format", [False, True], ids=["console", "json"])
async def test_no_secret_or_personal_data_in_any_log_line(
    app: Any, ctx: AppContext, runner: JobRunner, json_format: bool
) -> None:
    freeze()
    # like a real server: a 500 is answered, then the error goes on to the server (and its log)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 50000))
    with captured_logs(json=json_format, level="DEBUG") as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            handed_out = await canary_journey(client, ctx, runner)
    text = logs.getvalue()
    # the journey was logged, failures with their tracebacks
    assert text.count("request.unhandled_error") >= 7, text[-3000:]
    assert "forced fault" in text
    assert ('"frames"' if json_format else "Traceback (most recent call last)") in text
    assert "$argon2" not in text  # no password hash
    assert text.count("http.request") >= 20
    found = [
        name
        for name, secret in [
            ("e-mail", EMAIL),
            ("phone", PHONE),
            ("phone digits", PHONE.removeprefix("+1")),
            ("password", PASSWORD),
            ("document number", DOCUMENT),
            ("card number", CARD),
            *[(f"handed-out secret {i}", value) for i, value in enumerate(handed_out)],
        ]
        if leaks(text, secret)
    ]
    assert not found, found
