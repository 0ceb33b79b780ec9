from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from innkeeper.context import AppContext
from innkeeper.identity.models import OtpCode, User
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.helpers import API, assert_problem, bearer

PHONE = "+14155550199"


async def latest_code(client: httpx.AsyncClient, runner: JobRunner, phone: str = PHONE) -> str:
    await runner.drain()
    outbox = (await client.get("/dev/outbox.json", params={"to": phone})).json()
    sms = [m for m in outbox["items"] if m["channel"] == "sms"]
    assert sms, outbox
    match = re.search(r"\b(\d{6})\b", sms[0]["body"])
    assert match, sms[0]
    return match.group(1)


async def test_otp_login_creates_user_then_logs_in(
    client: httpx.AsyncClient, runner: JobRunner, ctx: AppContext
) -> None:
    r = await client.post(f"{API}/auth/otp/send", json={"phone": "(415) 555-0199"})  # normalised to E.164
    assert r.status_code == 202
    assert r.json() == {"expires_in": 300}
    code = await latest_code(client, runner)
    v = await client.post(
        f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code, "device_info": "iPhone"}
    )
    assert v.status_code == 200, v.text
    tokens = v.json()
    assert tokens["user"]["phone"] == PHONE and tokens["user"]["email"] is None
    assert (await client.get(f"{API}/users/me", headers=bearer(tokens))).status_code == 200
    # the code is single-use
    again = await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code})
    assert_problem(again, 401, "identity.otp_invalid")
    # a second login by code finds the same user
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    second = await client.post(
        f"{API}/auth/otp/verify", json={"phone": PHONE, "code": await latest_code(client, runner)}
    )
    assert second.status_code == 200
    assert second.json()["user"]["id"] == tokens["user"]["id"]
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
        hashes = (await session.scalars(select(OtpCode.code_hash))).all()
    assert hashes and all(len(h) == 64 and code not in h for h in hashes)  # stored hashed


async def test_otp_dies_after_three_wrong_tries(client: httpx.AsyncClient, runner: JobRunner) -> None:
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    code = await latest_code(client, runner)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert_problem(
            await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": wrong}),
            401,
            "identity.otp_invalid",
        )
    # even the right code is refused now
    assert_problem(await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code}), 401)


async def test_otp_expires_after_five_minutes(client: httpx.AsyncClient, runner: JobRunner) -> None:
    clock.freeze()
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    code = await latest_code(client, runner)
    clock.advance(timedelta(minutes=5, seconds=1))
    assert_problem(await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code}), 401)


async def test_otp_valid_just_before_expiry(client: httpx.AsyncClient, runner: JobRunner) -> None:
    clock.freeze()
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    code = await latest_code(client, runner)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert (
        await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code})
    ).status_code == 200


async def test_otp_send_limit_three_per_thirty_minutes(client: httpx.AsyncClient, runner: JobRunner) -> None:
    clock.freeze()
    for _ in range(3):
        assert (await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})).status_code == 202
        clock.advance(timedelta(minutes=1))
    blocked = await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    assert_problem(blocked, 429, "rate_limited")
    # the first send was 3 minutes ago: it leaves the window in 27 minutes
    assert 26 * 60 <= int(blocked.headers["Retry-After"]) <= 27 * 60 + 1
    await runner.drain()
    outbox = (await client.get("/dev/outbox.json", params={"to": PHONE})).json()
    assert outbox["total"] == 3  # the refused send sent nothing
    # other numbers are not affected
    assert (await client.post(f"{API}/auth/otp/send", json={"phone": "+14155550198"})).status_code == 202
    clock.advance(timedelta(minutes=28))
    assert (await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})).status_code == 202


async def test_new_code_supersedes_old(client: httpx.AsyncClient, runner: JobRunner) -> None:
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    first = await latest_code(client, runner)
    await client.post(f"{API}/auth/otp/send", json={"phone": PHONE})
    second = await latest_code(client, runner)
    if first != second:
        assert (
            await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": first})
        ).status_code == 401
    assert (
        await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": second})
    ).status_code == 200


async def test_otp_bad_input(client: httpx.AsyncClient, ctx: AppContext) -> None:
    for body in (
        {"phone": "12"},
        {"phone": "not a phone"},
        {"phone": "+999999999999999"},
        {"phone": 4155550199},
        {},
        {"phone": "+1415555019" + "9" * 40},
    ):
        assert_problem(await client.post(f"{API}/auth/otp/send", json=body), 422)
    for body in ({"phone": PHONE, "code": "12345"}, {"phone": PHONE, "code": "abcdef"}, {"phone": PHONE}):
        assert_problem(await client.post(f"{API}/auth/otp/verify", json=body), 422)
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(OtpCode)) == 0
