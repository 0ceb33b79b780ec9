"""Managing a booking made without an account from another browser: find it by reference and e-mail, ask for
a link (e-mailed to the booking's address, the same answer whatever was typed), open it once to get the
booking's guest token in this browser (the link shows a button: only its post acts); used, expired or
forged links are refused; an account's booking gets no link."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from innkeeper.bookings.models import Booking
from innkeeper.bookings.service import guest_link
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import d, freeze
from tests.helpers import API, bearer, signup
from tests.web.support import book_as_guest, get, hotel, post_form, token_of

LINK = re.compile(r"https://inn\.example(/book/[0-9a-f-]+/access/[0-9]+\.[0-9a-f]+)")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"public_url": "https://inn.example"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def _mails(client: httpx.AsyncClient, runner: JobRunner, to: str) -> list[dict[str, Any]]:
    await runner.drain()
    items: list[dict[str, Any]] = (await client.get("/dev/outbox.json", params={"to": to})).json()["items"]
    return [m for m in items if "/access/" in m["body"]]


async def _guest_booking(client: httpx.AsyncClient) -> tuple[str, str, dict[str, Any]]:
    _, rt = await hotel(client)
    made = await book_as_guest(client, rt)
    assert made.status_code == 303, made.text
    booking_id = made.headers["location"].rsplit("/", 1)[-1]
    page = await get(client, f"/book/{booking_id}")
    reference = re.search(r'class="reference">([A-Z0-9-]+)<', page.text)
    assert reference
    return booking_id, reference.group(1), rt


async def _ask(client: httpx.AsyncClient, reference: str, email: str) -> httpx.Response:
    page = await get(client, "/lookup")
    return await post_form(client, "/lookup/link", token_of(page.text), reference=reference, email=email)


async def test_a_link_by_mail_lets_another_browser_manage_the_booking_once(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    booking_id, reference, _ = await _guest_booking(client)
    first_browser = dict(client.cookies)
    client.cookies.clear()  # another browser, without the booking's guest token
    assert (await get(client, f"/book/{booking_id}")).status_code == 404

    page = await get(client, "/lookup")
    found = await post_form(
        client, "/lookup", token_of(page.text), reference=reference, email="PAT@example.com"
    )
    assert found.status_code == 200 and "E-mail me a link to manage it" in found.text

    # a wrong address gets the same answer and no mail
    wrong = await _ask(client, reference, "someone@example.com")
    assert wrong.status_code == 200 and "a link to manage it is on its way" in wrong.text
    assert await _mails(client, runner, "someone@example.com") == []

    sent = await _ask(client, reference, "pat@example.com")
    assert sent.status_code == 200 and "a link to manage it is on its way" in sent.text
    mails = await _mails(client, runner, "pat@example.com")
    assert len(mails) == 1 and reference in mails[0]["subject"]
    link = LINK.search(mails[0]["body"])
    assert link and booking_id in link.group(1)

    # fetching the link (a mail scanner, a preview) shows a button and uses nothing up
    for _ in range(2):
        shown = await get(client, link.group(1))
        assert shown.status_code == 200 and "Manage this booking here" in shown.text
    assert (await get(client, f"/book/{booking_id}")).status_code == 404
    opened = await post_form(client, link.group(1), token_of(shown.text))
    assert opened.status_code == 303 and opened.headers["location"] == f"/book/{booking_id}"
    booking = await get(client, f"/book/{booking_id}")
    assert booking.status_code == 200 and f"/book/{booking_id}/cancel" in booking.text
    cancel_page = await get(client, f"/book/{booking_id}/cancel")
    cancelled = await post_form(client, f"/book/{booking_id}/cancel", token_of(cancel_page.text))
    assert cancelled.status_code == 200 and "Your booking is cancelled." in cancelled.text

    again = await get(client, link.group(1))  # used: the guest token it was made for is gone
    assert again.status_code == 404 and "expired or was used" in again.text
    replay = await post_form(client, link.group(1), token_of(shown.text))
    assert replay.status_code == 404 and "expired or was used" in replay.text
    client.cookies.clear()
    client.cookies.update(first_browser)  # the browser that booked lost the booking to the newer token
    assert (await get(client, f"/book/{booking_id}")).status_code == 404


async def test_expired_and_forged_links_and_an_accounts_booking(
    client: httpx.AsyncClient, runner: JobRunner, ctx: AppContext
) -> None:
    booking_id, _, rt = await _guest_booking(client)
    client.cookies.clear()
    async with ctx.db.unit_of_work() as session:
        b = await session.get(Booking, uuid.UUID(booking_id))
        assert b is not None
        secret = str(ctx.settings.secret_key)
        expired = guest_link.link_token(secret, b, utcnow() - timedelta(minutes=guest_link.LINK_MINUTES + 1))
        good = guest_link.link_token(secret, b, utcnow())
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    page = await get(client, "/lookup")
    for token in (expired, forged, "nonsense", "123.abc"):
        r = await get(client, f"/book/{booking_id}/access/{token}")
        assert r.status_code == 404, token
        posted = await post_form(client, f"/book/{booking_id}/access/{token}", token_of(page.text))
        assert posted.status_code == 404, token
    assert (await get(client, f"/book/{uuid.uuid4()}/access/{good}")).status_code == 404
    assert (await get(client, f"/book/{booking_id}")).status_code == 404  # none of them gave access

    # a booking of an account: managed by signing in, no link is sent
    tokens = await signup(client)
    made = await client.post(
        f"{API}/bookings",
        json={"room_type_id": rt["id"], "checkin": d(20), "checkout": d(22), "guests": 1},
        headers=bearer(tokens),
    )
    assert made.status_code == 201, made.text
    reference, email = made.json()["reference"], tokens["user"]["email"]
    page = await get(client, "/lookup")
    found = await post_form(client, "/lookup", token_of(page.text), reference=reference, email=email)
    assert "belongs to an account" in found.text and "E-mail me a link" not in found.text
    await _ask(client, reference, email)
    assert await _mails(client, runner, email) == []
