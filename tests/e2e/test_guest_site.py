"""The guest site in a real browser: search, book, pay, manage; OTP sign-in; lookup; an hourly slot;
phone width; Portuguese; and axe-core on every page visited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from innkeeper.kit.clock import utcnow
from tests.concurrency.server import Server

A11y = Callable[[Page], None]


def _dates(offset: int, nights: int = 2) -> tuple[str, str]:
    start = utcnow().date() + timedelta(days=offset)
    return start.isoformat(), (start + timedelta(days=nights)).isoformat()


def _search(page: Page, city: str, offset: int, check_a11y: A11y) -> None:
    checkin, checkout = _dates(offset)
    page.goto("/")
    check_a11y(page)
    page.get_by_label("City", exact=True).fill(city)
    page.get_by_label("Check-in").fill(checkin)
    page.get_by_label("Check-out").fill(checkout)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(city)
    check_a11y(page)


def _pay_and_confirm(page: Page, check_a11y: A11y) -> str:
    """From a booking page: hold countdown, pay on the checkout page, come back, see it confirmed."""
    expect(page.locator(".countdown")).to_have_text(re.compile(r"\d+:\d\d"))
    check_a11y(page)
    page.get_by_role("button", name=re.compile("^Pay")).click()
    expect(page.get_by_role("heading", name="Simulated checkout")).to_be_visible()
    check_a11y(page)
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_role("link", name="Back to your booking").click()
    expect(page.locator(".confirmed")).to_be_visible(timeout=20_000)
    check_a11y(page)
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    expect(page.get_by_role("link", name="Invoice (PDF)")).to_be_visible()
    return str(page.locator(".reference").first.inner_text())


def test_search_property_book_pay_account_cancel(
    signed_in_page: Callable[[str], Page], check_a11y: A11y, e2e_server: Server
) -> None:
    page = signed_in_page("guest@example.com")
    check_a11y(page)  # the account page
    _search(page, "Porto", 20, check_a11y)
    page.locator(".results .card a").first.click()
    expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    expect(page.locator(".calendar a.day").first).to_be_visible()
    check_a11y(page)
    stay_total = page.locator(".room .price strong").first.inner_text()
    page.locator(".room a.button").first.click()
    expect(page.get_by_role("heading", name="Review and book")).to_be_visible()
    check_a11y(page)
    assert page.locator("tfoot .total").inner_text() == stay_total  # the quote is the property page's price
    page.get_by_role("button", name="Book and continue to payment").click()
    reference = _pay_and_confirm(page, check_a11y)
    # the PDF and the calendar file are served to the booker
    assert page.request.get(page.url + "/invoice.pdf").headers["content-type"] == "application/pdf"
    assert "BEGIN:VCALENDAR" in page.request.get(page.url + "/booking.ics").text()

    page.goto("/account")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming bookings"))
    expect(upcoming).to_contain_text(reference)
    upcoming.get_by_role("link").filter(has_text="Porto").first.click()
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.locator(".refund")).to_contain_text("100%")
    check_a11y(page)
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status").first).to_contain_text("Refund")
    expect(page.locator(".badge")).to_have_text("cancelled")
    page.goto("/account")
    past = page.locator("section", has=page.get_by_role("heading", name="Past and cancelled bookings"))
    expect(past).to_contain_text(reference)


def test_otp_sign_in(page: Page, check_a11y: A11y) -> None:
    phone = "+14155550177"
    page.goto("/login")
    check_a11y(page)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Code", exact=True)).to_be_visible()
    check_a11y(page)
    messages = page.request.get("/dev/outbox.json").json()["items"]
    body = next(m["body"] for m in messages if m["channel"] == "sms" and m["to"] == phone)
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None
    page.get_by_label("Code", exact=True).fill(code.group(1))
    page.get_by_role("button", name="Sign in").last.click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.locator("main")).to_contain_text(phone)


def test_guest_booking_and_lookup_at_phone_width(phone_page: Page, check_a11y: A11y) -> None:
    page = phone_page
    _search(page, "Lisbon", 25, check_a11y)
    page.locator(".results .card a").first.click()
    page.locator(".room a.button").first.click()
    page.get_by_label("Full name").fill("Pat Guest")
    page.get_by_label("E-mail", exact=True).fill("pat@example.com")
    page.get_by_label("Promo code").fill("WELCOME10")
    page.get_by_role("button", name="Update price").click()
    expect(page.locator(".breakdown")).to_contain_text("WELCOME10")
    page.get_by_label("Full name").fill("Pat Guest")
    page.get_by_label("E-mail", exact=True).fill("pat@example.com")
    page.get_by_role("button", name="Book and continue to payment").click()
    reference = _pay_and_confirm(page, check_a11y)
    # nothing wider than the phone
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto("/lookup")
    check_a11y(page)
    page.get_by_label("Booking reference").fill(reference.lower())
    page.get_by_label("E-mail used to book").fill("PAT@example.com")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    check_a11y(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_hourly_slot_booking(page: Page, check_a11y: A11y) -> None:
    day = utcnow().date() + timedelta(days=8)
    while day.weekday() >= 5:  # the demo's halls open Monday to Saturday; keep to weekdays
        day += timedelta(days=1)
    found = page.request.get(
        f"/api/v1/resources?city=Lisbon&kind=hall&date={day}&duration_minutes=120"
    ).json()
    resource = found["items"][0]["resource"]
    page.goto(f"/r/{resource['id']}?date={day}")
    expect(page.get_by_role("heading", name=resource["name"])).to_be_visible()
    check_a11y(page)
    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", name="Review and book")).to_be_visible()
    page.get_by_label("Full name").fill("Hana Host")
    page.get_by_label("E-mail", exact=True).fill("hana@example.com")
    page.get_by_label(re.compile("Projector")).check()
    page.get_by_role("button", name="Update price").click()
    expect(page.locator(".breakdown")).to_contain_text("Projector")
    check_a11y(page)
    page.get_by_label("Full name").fill("Hana Host")
    page.get_by_label("E-mail", exact=True).fill("hana@example.com")
    page.get_by_role("button", name="Book and continue to payment").click()
    expect(page.locator(".breakdown")).to_contain_text("Projector")
    _pay_and_confirm(page, check_a11y)


def test_portuguese_and_friendly_errors(page: Page, check_a11y: A11y) -> None:
    page.goto("/")
    page.get_by_role("link", name="Português").click()
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Encontre onde ficar")
    check_a11y(page)
    checkin, checkout = _dates(30)
    page.goto(f"/search?city=Paris&checkin={checkin}&checkout={checkout}")
    expect(page.locator(".price strong").first).to_contain_text("€")
    check_a11y(page)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Página não encontrada")
    check_a11y(page)
