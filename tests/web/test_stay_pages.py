"""Services during a stay and the review after it, on the booking's page (``web/guest/stay_pages.py``):
ordering and cancelling as the API does, a form posted twice placing one order, refusals shown next to
their field with nothing kept, the panels only where they apply, strangers refused, the review written
once by the signed-in booker, and a browser holding only a guest token told that reviews need an account.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book
from tests.bookings.support import hotel as plain_hotel
from tests.catalog_support import d, freeze
from tests.engagement.support import paid_today, stay_and_leave
from tests.extras.support import at, catalog_hotel, check_in, confirmed
from tests.helpers import API, PASSWORD, bearer, signup
from tests.web.support import HTML, get, post_form, token_of

FLIGHT = {"flight_number": "TP1234", "terminal": "T1", "direction": "pickup"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()  # Monday 2030-03-04 10:00 UTC = 10:00 in Lisbon
    yield


async def _signed_in(client: httpx.AsyncClient) -> dict[str, str]:
    """A new account, signed in on the site; its API headers (the same user) to book with."""
    tokens = await signup(client)
    page = await get(client, "/login")
    signed = await post_form(
        client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD
    )
    assert signed.status_code == 303
    return bearer(tokens)


def _section(html: str, anchor: str) -> str:
    """The panel ``<section id=anchor>`` of a page ('' when the page has none)."""
    if f'id="{anchor}"' not in html:
        return ""
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def _form_key(html: str) -> str:
    found = re.search(r'name="form_key" value="([^"]+)"', html)
    assert found, "no order form on the page"
    return found.group(1)


async def _order(client: httpx.AsyncClient, url: str, page: httpx.Response, **fields: str) -> httpx.Response:
    return await post_form(
        client, f"{url}/service-orders", token_of(page.text), form_key=_form_key(page.text), **fields
    )


async def _orders(
    client: httpx.AsyncClient, booking_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/bookings/{booking_id}/service-orders", headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _in_house(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, str], str]:
    """A signed-in guest checked in today for three nights: (hotel, their API headers, booking id)."""
    h = await catalog_hotel(client)
    me = await _signed_in(client)
    b = await confirmed(client, h, me, start=0, end=3)
    await check_in(client, h, b["id"])
    return h, me, b["id"]


async def test_order_a_service_during_the_stay_and_cancel_it(client: httpx.AsyncClient) -> None:
    _, me, booking_id = await _in_house(client)
    url = f"/book/{booking_id}"
    page = await get(client, url)
    services = _section(page.text, "services")
    # the in-stay services with price and unit; the welcome basket is ordered before arrival only
    assert "Room service" in services and "Laundry bag" in services and "Welcome basket" not in services
    assert "€20.00" in services and "per item" in services
    assert _section(page.text, "review") == ""  # not before check-out
    made = await _order(client, url, page, service_code="ROOMSVC", quantity="2", notes="No onions")
    assert made.status_code == 303 and made.headers["location"] == f"{url}#services"
    [placed] = await _orders(client, booking_id, me)  # the API sees the order the form placed
    assert (placed["service_code"], placed["quantity"], placed["status"]) == ("ROOMSVC", 2, "requested")
    assert placed["total"]["amount"] == "44.00" and placed["notes"] == "No onions"  # 2 x 20.00 + 10 % VAT
    shown = _section((await get(client, url)).text, "services")
    assert "Room service \u00d7 2" in shown and "€44.00" in shown
    assert "No onions" in shown and "requested" in shown
    cancel_url = f"{url}/service-orders/{placed['id']}/cancel"
    assert f'action="{cancel_url}"' in shown

    cancelled = await post_form(client, cancel_url, token_of(page.text))
    assert cancelled.status_code == 303
    [after] = await _orders(client, booking_id, me)
    assert after["status"] == "cancelled"
    shown = _section((await get(client, url)).text, "services")
    assert "cancelled" in shown and f'action="{cancel_url}"' not in shown  # no button once cancelled
    again = await post_form(client, cancel_url, token_of(page.text))  # a repeat changes nothing
    assert again.status_code == 303


async def test_the_same_form_posted_twice_places_one_order(client: httpx.AsyncClient) -> None:
    _, me, booking_id = await _in_house(client)
    url = f"/book/{booking_id}"
    page = await get(client, url)
    for _ in range(2):  # a double click, or the browser's "send again"
        made = await _order(client, url, page, service_code="CAB", pickup_address="Rossio station")
        assert made.status_code == 303
    assert len(await _orders(client, booking_id, me)) == 1
    fresh = await get(client, url)  # a newly rendered form has a key of its own
    assert (await _order(client, url, fresh, service_code="CAB", pickup_address="Rossio")).status_code == 303
    assert len(await _orders(client, booking_id, me)) == 2
    keyless = await post_form(
        client, f"{url}/service-orders", token_of(page.text), service_code="CAB", pickup_address="Rossio"
    )
    assert keyless.status_code == 422 and "This form has expired" in keyless.text
    assert len(await _orders(client, booking_id, me)) == 2


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"service_code": "AIRPORT", **FLIGHT}, 422, "scheduled_for", "Airport pickup needs a time"),
        (
            {"service_code": "AIRPORT", "scheduled_for": at(0, "16:00")},
            422,
            "flight_number",
            "an airport transfer needs the flight number",
        ),
        (
            {"service_code": "AIRPORT", "scheduled_for": at(0, "12:00"), **FLIGHT},
            409,
            "service_code",
            "needs 240 minutes&#39; notice",
        ),
        (
            {"service_code": "AIRPORT", "scheduled_for": at(0, "09:00"), **FLIGHT},
            422,
            "scheduled_for",
            "is in the past",
        ),
        ({"service_code": "WELCOME"}, 409, "service_code", "is ordered before arrival only"),
        ({"service_code": "NOPE"}, 404, "service_code", "The property offers no service"),
        ({"service_code": "LAUNDRY", "quantity": "0"}, 422, "quantity", "From 1 to 99"),
        ({"service_code": "CAB", "flight_number": "12"}, 422, "flight_number", "A flight number like TP1234"),
        ({"service_code": "CAB", "scheduled_for": "tomorrow"}, 422, "scheduled_for", "Enter a date and time"),
    ],
)
async def test_refusals_are_shown_next_to_the_field(
    client: httpx.AsyncClient, fields: dict[str, str], status: int, field: str, message: str
) -> None:
    _, me, booking_id = await _in_house(client)
    url = f"/book/{booking_id}"
    page = await get(client, url)
    refused = await _order(client, url, page, notes="kept on the form", **fields)
    assert refused.status_code == status, refused.text
    services = _section(refused.text, "services")
    error = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', services)
    assert error and message in error.group(1), services
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', services, re.S)
    assert 'role="alert"' in services and "kept on the form" in services  # what was typed stays
    assert "<h1>" in refused.text and "Booking " in refused.text  # the whole booking page, again
    assert await _orders(client, booking_id, me) == []  # nothing placed


async def test_pre_stay_services_on_a_confirmed_booking(client: httpx.AsyncClient) -> None:
    h = await catalog_hotel(client)
    me = await _signed_in(client)
    b = await confirmed(client, h, me, start=1, end=3)  # arriving tomorrow
    url = f"/book/{b['id']}"
    page = await get(client, url)
    services = _section(page.text, "services")
    assert "Welcome basket" in services and "Laundry bag" not in services  # laundry is in-stay only
    assert "Needed for: Airport pickup." in services
    made = await _order(
        client, url, page, service_code="AIRPORT", scheduled_for=at(1, "09:30"), passengers="2", **FLIGHT
    )
    assert made.status_code == 303, made.text
    [placed] = await _orders(client, b["id"], me)
    assert placed["stage"] == "pre_stay" and placed["scheduled_for"].startswith(f"{d(1)}T09:30")
    assert placed["details"] == {**FLIGHT, "passengers": 2}
    shown = _section((await get(client, url)).text, "services")
    assert "09:30" in shown and "Flight number: TP1234" in shown
    assert "Arrival: from the airport to the hotel" in shown and "Passengers: 2" in shown


async def test_no_panels_where_nothing_can_be_done(client: httpx.AsyncClient) -> None:
    h = await catalog_hotel(client)
    me = await _signed_in(client)
    held = await book(client, h, me, start=1, end=2)  # reserved: not confirmed yet
    url = f"/book/{held['id']}"
    page = await get(client, url)
    assert _section(page.text, "services") == "" and _section(page.text, "review") == ""
    # a form from elsewhere posted to it: the domain's refusal, shown; nothing placed
    refused = await post_form(
        client, f"{url}/service-orders", token_of(page.text), form_key="k" * 24, service_code="CAB"
    )
    assert refused.status_code == 409 and "Services are ordered from the booking" in refused.text
    assert await _orders(client, held["id"], me) == []
    # the read-only lookup by reference never offers the forms
    b = await confirmed(client, h, me, start=0, end=2)
    form = await get(client, "/lookup")
    found = await post_form(
        client, "/lookup", token_of(form.text), reference=b["reference"], email=b["contact"]["email"]
    )
    assert (
        found.status_code == 200 and "service-orders" not in found.text and 'id="services"' not in found.text
    )


async def test_another_browser_can_neither_see_nor_order_nor_cancel(client: httpx.AsyncClient) -> None:
    _, me, booking_id = await _in_house(client)
    url = f"/book/{booking_id}"
    page = await get(client, url)
    await _order(client, url, page, service_code="CAB", pickup_address="Rossio station")
    [placed] = await _orders(client, booking_id, me)
    stranger = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with stranger:
        assert (await get(stranger, url)).status_code == 404
        token = token_of((await get(stranger, "/lookup")).text)
        ordered = await post_form(
            stranger,
            f"{url}/service-orders",
            token,
            form_key="k" * 24,
            service_code="CAB",
            pickup_address="X St",
        )
        assert ordered.status_code == 404
        cancel = await post_form(stranger, f"{url}/service-orders/{placed['id']}/cancel", token)
        assert cancel.status_code == 404
        review = await post_form(stranger, f"{url}/review", token, rating="1", body="Spam")
        assert review.status_code == 303 and review.headers["location"].startswith("/login")
    [still] = await _orders(client, booking_id, me)
    assert still["status"] == "requested"
    no_token = await client.post(f"{url}/service-orders", data={"service_code": "CAB"}, headers=HTML)
    assert no_token.status_code == 403  # CSRF, as on every form


async def test_write_a_review_after_check_out(client: httpx.AsyncClient, runner: JobRunner) -> None:
    h = await plain_hotel(client)
    tokens = await signup(client)
    me = bearer(tokens)
    b, _ = await paid_today(client, runner, h, me)
    url = f"/book/{b['id']}"
    page = await get(client, "/login")
    await post_form(client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD)
    early = await get(client, url)  # confirmed, not stayed yet: no form; a post is the domain's 409
    assert _section(early.text, "review") == ""
    assert _section(early.text, "services") == ""  # a hotel without services: no empty panel either
    token = token_of((await get(client, "/account")).text)
    refused = await post_form(client, f"{url}/review", token, rating="5", body="Too soon")
    assert refused.status_code == 409 and "after check-out" in refused.text
    await stay_and_leave(client, h, [b])

    page = await get(client, url)
    review = _section(page.text, "review")
    assert "Write a review" in review and "<legend>Your rating</legend>" in review
    assert review.count('type="radio" name="rating"') == 5
    blank = await post_form(client, f"{url}/review", token_of(page.text), body="Lovely terrace")
    assert blank.status_code == 422
    review = _section(blank.text, "review")
    assert 'id="e-rating"' in review and 'aria-invalid="true"' in review and "Lovely terrace" in review
    written = await post_form(
        client, f"{url}/review", token_of(page.text), rating="4", title="Calm", body="Lovely terrace"
    )
    assert written.status_code == 303 and written.headers["location"] == f"{url}#review"
    mine = (await client.get(f"{API}/users/me/reviews", headers=me)).json()["items"]
    assert [(r["rating"], r["title"], r["status"]) for r in mine] == [(4, "Calm", "pending")]
    review = _section((await get(client, url)).text, "review")
    assert "Your review" in review and "pending" in review and "Waiting for moderation" in review
    assert 'name="rating"' not in review  # the form is gone once written
    twice = await post_form(client, f"{url}/review", token_of(page.text), rating="1", body="Again")
    assert twice.status_code == 409 and "reviewed already" in twice.text
    assert len((await client.get(f"{API}/users/me/reviews", headers=me)).json()["items"]) == 1


async def _book_tonight_as_guest(client: httpx.AsyncClient, rt: dict[str, Any]) -> str:
    """Through the site's booking form without an account (this browser keeps the guest token)."""
    stay = {"room_type_id": rt["id"], "checkin": d(0), "checkout": d(1), "guests": "2", "rooms": "1"}
    page = await get(client, "/book/stay", **stay)
    total = re.search(r'name="expected_total" value="([^"]+)"', page.text)
    assert page.status_code == 200 and total, page.text
    contact = {"contact_name": "Pat Guest", "contact_email": "pat@example.com"}
    made = await post_form(
        client, "/book/stay", token_of(page.text), **stay, **contact, expected_total=total.group(1)
    )
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


async def test_a_guest_token_browser_orders_but_reviews_need_an_account(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    h = await catalog_hotel(client)
    url = await _book_tonight_as_guest(client, h["rt"])
    booking_id = url.rsplit("/", 1)[1]
    assert (await client.post(f"{API}/bookings/{booking_id}/confirm", headers=h["owner"])).status_code == 200
    await check_in(client, h, booking_id)
    page = await get(client, url)
    assert (
        await _order(client, url, page, service_code="CAB", pickup_address="Rossio station")
    ).status_code == 303
    [placed] = await _orders(client, booking_id, h["owner"])
    assert placed["status"] == "requested" and placed["details"] == {"pickup_address": "Rossio station"}
    page = await get(client, url)
    cancelled = await post_form(client, f"{url}/service-orders/{placed['id']}/cancel", token_of(page.text))
    assert cancelled.status_code == 303
    # the bill paid from this browser, then checked out at the desk
    pay = await post_form(client, f"{url}/pay", token_of(page.text))
    await client.post(pay.headers["location"], data={"outcome": "succeeded"}, headers=HTML)
    await runner.drain()
    out = await client.post(f"{API}/bookings/{booking_id}/check-out", headers=h["owner"], json={})
    assert out.status_code == 200, out.text
    page = await get(client, url)
    review = _section(page.text, "review")
    assert "Reviews are written from the account" in review and f'href="/login?next={url}"' in review
    assert 'name="rating"' not in review
    token = token_of((await get(client, "/lookup")).text)  # (the page has no form left to take it from)
    posted = await post_form(client, f"{url}/review", token, rating="5", body="Great")
    assert posted.status_code == 303 and posted.headers["location"] == f"/login?next={url}"


async def test_the_account_links_to_ordering_services(client: httpx.AsyncClient) -> None:
    _, _, booking_id = await _in_house(client)
    account = await get(client, "/account")
    assert f'href="/book/{booking_id}#services"' in account.text and "Order services" in account.text


async def test_the_account_links_to_writing_a_review(client: httpx.AsyncClient, runner: JobRunner) -> None:
    h = await plain_hotel(client)
    tokens = await signup(client)
    b, _ = await paid_today(client, runner, h, bearer(tokens))
    await stay_and_leave(client, h, [b])
    page = await get(client, "/login")
    await post_form(client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD)
    account = await get(client, "/account")
    assert f'href="/book/{b["id"]}#review"' in account.text
