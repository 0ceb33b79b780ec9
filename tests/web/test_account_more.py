"""Support tickets in the guest account (/account/tickets): opening one, a refusal shown on the form,
another user's booking or ticket is a 404, replying, a closed ticket refusing replies, and CSRF."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.catalog_support import freeze
from tests.helpers import API, PASSWORD, bearer, signup
from tests.web.support import HTML, book_as_guest, get, hotel, post_form, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def _sign_in(client: httpx.AsyncClient) -> dict[str, object]:
    tokens = await signup(client)
    page = await get(client, "/login")
    signed = await post_form(
        client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD
    )
    assert signed.status_code == 303
    return tokens


async def test_open_a_ticket_read_it_and_reply(client: httpx.AsyncClient) -> None:
    assert (await get(client, "/account/tickets")).headers["location"].startswith("/login")
    tokens = await _sign_in(client)
    account = await get(client, "/account")
    assert 'href="/account/tickets"' in account.text
    page = await get(client, "/account/tickets")
    assert page.status_code == 200 and 'name="subject"' in page.text
    made = await post_form(
        client, "/account/tickets", token_of(page.text), subject="Late arrival", body="We land at 2 am."
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    thread = await get(client, url)
    assert thread.status_code == 200 and "Late arrival" in thread.text and "We land at 2 am." in thread.text
    listed = await get(client, "/account/tickets")
    assert "Late arrival" in listed.text
    # the API sees the same ticket, opened through the same service
    api = await client.get(f"{API}/support/tickets", headers=bearer(tokens))
    assert api.json()["total"] == 1 and api.json()["items"][0]["subject"] == "Late arrival"
    replied = await post_form(client, f"{url}/messages", token_of(thread.text), body="Is that fine?")
    assert replied.status_code == 303
    assert "Is that fine?" in (await get(client, url)).text
    empty = await post_form(client, f"{url}/messages", token_of(thread.text), body="  ")
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    # closed through the API: the page refuses another message with the domain's sentence
    ticket_id = url.rsplit("/", 1)[1]
    closed = await client.post(
        f"{API}/support/tickets/{ticket_id}/status", json={"status": "closed"}, headers=bearer(tokens)
    )
    assert closed.status_code == 200
    refused = await post_form(client, f"{url}/messages", token_of(thread.text), body="One more thing")
    assert refused.status_code == 409 and "closed ticket" in refused.text
    assert 'name="body"' not in refused.text  # no reply form on a closed ticket


async def test_refusals_are_shown_on_the_form(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    guest_booking = await book_as_guest(client, rt)  # nobody's account: not this user's booking
    booking_id = guest_booking.headers["location"].rsplit("/", 1)[1]
    await _sign_in(client)
    page = await get(client, "/account/tickets")
    token = token_of(page.text)
    blank = await post_form(client, "/account/tickets", token, subject="", body="Hello")
    assert blank.status_code == 422 and 'role="alert"' in blank.text and 'aria-invalid="true"' in blank.text
    other = await post_form(
        client, "/account/tickets", token, subject="Their stay", body="Hello", booking_id=booking_id
    )
    assert other.status_code == 404 and 'role="alert"' in other.text and "Their stay" in other.text
    listed = await get(client, "/account/tickets")
    assert "Their stay" not in listed.text.split('id="new-ticket-heading"')[0]  # nothing opened


async def test_another_users_ticket_is_not_found(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    r = await client.post(
        f"{API}/support/tickets", json={"subject": "Private", "body": "Mine"}, headers=bearer(owner)
    )
    assert r.status_code == 201
    ticket_id = r.json()["id"]
    await _sign_in(client)
    assert (await get(client, f"/account/tickets/{ticket_id}")).status_code == 404
    token = token_of((await get(client, "/account/tickets")).text)
    reply = await post_form(client, f"/account/tickets/{ticket_id}/messages", token, body="Hi")
    assert reply.status_code == 404


async def test_ticket_forms_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    tokens = await _sign_in(client)
    missing = await client.post("/account/tickets", data={"subject": "S", "body": "B"}, headers=HTML)
    assert missing.status_code == 403
    api = await client.get(f"{API}/support/tickets", headers=bearer(tokens))
    assert api.json()["total"] == 0
    page = await get(client, "/account/tickets")
    made = await post_form(client, "/account/tickets", token_of(page.text), subject="S", body="B")
    url = made.headers["location"]
    forged = await post_form(client, f"{url}/messages", "x" * 40, body="Hi")
    assert forged.status_code == 403
