"""Forms and sessions of the guest site: CSRF on every post, the browser session is an identity
session (logout-all ends it), booking as a guest with its hold and expiry, the price check, and
cancelling with the refund shown first equal to the refund made."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from innkeeper.app import build_runner
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from tests.catalog_support import NOW, d, freeze
from tests.helpers import API, PASSWORD, bearer, signup
from tests.web.support import HTML, book_as_guest, get, hotel, post_form, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def test_posts_without_a_valid_token_are_refused(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    email = tokens["user"]["email"]
    login = await get(client, "/login")
    token = token_of(login.text)
    missing = await client.post("/login", data={"email": email, "password": PASSWORD}, headers=HTML)
    assert (
        missing.status_code == 403 and "expired" in missing.text and "ik_session" not in str(missing.headers)
    )
    forged = await post_form(client, "/login", token[:-2] + "xx", email=email, password=PASSWORD)
    assert forged.status_code == 403
    other_site = await client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        headers={**HTML, "Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")  # no cookie
    async with stranger:
        assert (await post_form(stranger, "/login", token, email=email, password=PASSWORD)).status_code == 403
    ok = await post_form(client, "/login", token, email=email, password=PASSWORD, next="/account")
    assert ok.status_code == 303 and ok.headers["location"] == "/account"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("ik_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    # signing in renews the token: the one from before no longer works
    assert (await post_form(client, "/logout", token)).status_code == 403


async def test_wrong_password_is_a_message_and_counted(client: httpx.AsyncClient, ctx: AppContext) -> None:
    tokens = await signup(client)
    page = await get(client, "/login")
    wrong = await post_form(
        client, "/login", token_of(page.text), email=tokens["user"]["email"], password="x" * 12
    )
    assert wrong.status_code == 401 and 'role="alert"' in wrong.text
    assert "ik_session" not in str(wrong.headers)


async def test_browser_session_ends_with_logout_everywhere(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    page = await get(client, "/login")
    signed = await post_form(
        client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD
    )
    assert signed.status_code == 303
    account = await get(client, "/account")
    assert account.status_code == 200 and tokens["user"]["email"] in account.text
    assert "web: " in account.text  # the browser is one of the account's sessions
    # the API's logout-all (another device) ends the browser's session too
    r = await client.post(f"{API}/auth/logout-all", headers=bearer(tokens))
    assert r.status_code == 204
    after = await get(client, "/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


async def test_sign_out_here(client: httpx.AsyncClient) -> None:
    tokens = await signup(client)
    page = await get(client, "/login")
    await post_form(client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD)
    account = await get(client, "/account")
    out = await post_form(client, "/logout", token_of(account.text))
    assert out.status_code == 303
    assert (await get(client, "/account")).status_code == 303
    sessions = await client.get(f"{API}/auth/sessions", headers=bearer(tokens))
    assert [s["device_info"] for s in sessions.json()["items"]] == [None]  # only the API's own session


async def test_guest_booking_hold_and_expiry(client: httpx.AsyncClient, ctx: AppContext) -> None:
    prop, rt = await hotel(client)
    made = await book_as_guest(client, rt)
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    page = await get(client, url)
    assert page.status_code == 200
    assert "data-expires=" in page.text and 'role="timer"' in page.text
    assert re.search(r"€200\.00", page.text)  # the breakdown's total
    # another browser (no guest token) does not see it
    stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with stranger:
        assert (await get(stranger, url)).status_code == 404
    # the hold lapses: the page says so and offers to try again with the same dates
    clock.freeze(NOW + timedelta(hours=1))
    expired = await get(client, url)
    assert "This hold has expired" in expired.text
    assert f"/p/{prop['slug']}?checkin={d(10)}&amp;checkout={d(12)}" in expired.text


async def test_a_moved_price_is_refused_and_shown(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    refused = await book_as_guest(client, rt, expected_total="150.00")
    assert refused.status_code == 409
    assert "The total is now" in refused.text and 'name="expected_total" value="200.00"' in refused.text


async def test_missing_contact_is_a_field_message(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    refused = await book_as_guest(client, rt, contact_email="not-an-email")
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text


async def test_pay_confirm_and_cancel_with_the_refund_shown_first(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, rt = await hotel(client)
    made = await book_as_guest(client, rt)
    url = made.headers["location"]
    page = await get(client, url)
    pay = await post_form(client, f"{url}/pay", token_of(page.text))
    assert pay.status_code == 303 and pay.headers["location"].startswith("/pay/")
    checkout = await get(client, pay.headers["location"])
    assert checkout.status_code == 200 and f'href="{url}"' not in checkout.text
    done = await client.post(pay.headers["location"], data={"outcome": "succeeded"}, headers=HTML)
    assert f'href="{url}"' in done.text  # back to the booking
    await build_runner(ctx).drain()
    confirmed = await get(client, url)
    assert "Confirmed. Your reference is" in confirmed.text
    assert (await client.get(f"{url}/invoice.pdf")).headers["content-type"] == "application/pdf"
    assert b"BEGIN:VCALENDAR" in (await client.get(f"{url}/booking.ics")).content
    preview = await get(client, f"{url}/cancel")
    shown = re.search(r"you get back (€[\d.,]+) \((\d+)%", preview.text)
    assert shown and shown.group(2) == "100"
    cancelled = await post_form(client, f"{url}/cancel", token_of(preview.text))
    assert cancelled.status_code == 200 and f"Refund: {shown.group(1)} to your card." in cancelled.text
    booking_id = url.rsplit("/", 1)[-1]
    guest_token = None  # the API agrees, read through the lookup
    reference = re.search(r'class="reference">([A-Z0-9-]+)<', confirmed.text)
    assert reference
    r = await client.get(
        f"{API}/bookings/lookup", params={"reference": reference.group(1), "email": "pat@example.com"}
    )
    assert r.json()["id"] == booking_id and r.json()["status"] == "cancelled" and guest_token is None


async def test_lookup_by_reference_and_email(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    made = await book_as_guest(client, rt)
    page = await get(client, made.headers["location"])
    reference = re.search(r'class="reference">([A-Z0-9-]+)<', page.text)
    assert reference
    form = await get(client, "/lookup")
    found = await post_form(
        client, "/lookup", token_of(form.text), reference=reference.group(1).lower(), email="PAT@example.com"
    )
    assert found.status_code == 200 and f"Booking {reference.group(1)}" in found.text
    wrong = await post_form(
        client, "/lookup", token_of(form.text), reference=reference.group(1), email="x@example.com"
    )
    assert wrong.status_code == 404 and "No booking with this reference" in wrong.text


async def test_favorites_from_the_property_page_to_the_account(client: httpx.AsyncClient) -> None:
    prop, _ = await hotel(client)
    tokens = await signup(client)
    page = await get(client, "/login")
    await post_form(client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD)
    before = await get(client, f"/p/{prop['slug']}")
    assert 'aria-pressed="false"' in before.text and "No reviews yet." in before.text
    saved = await post_form(client, f"/p/{prop['slug']}/favorite", token_of(before.text))
    assert saved.status_code == 303
    assert 'aria-pressed="true"' in (await get(client, f"/p/{prop['slug']}")).text
    account = await get(client, "/account")
    assert f'href="/p/{prop["slug"]}"' in account.text and "Loyalty" in account.text
    favorites = await client.get(f"{API}/users/me/favorites", headers=bearer(tokens))
    assert [f["property"]["slug"] for f in favorites.json()["items"]] == [prop["slug"]]
