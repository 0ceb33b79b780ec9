"""The staff console in a real browser (chromium, one demo server for the session): a front-desk shift
from a walk-in to the invoice, an owner's rate change seen on the guest site, housekeeping at phone
width, a role that is not offered an action and is refused it when forced, and axe-core on every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from innkeeper.kit.clock import utcnow
from tests.concurrency.server import Server
from tests.e2e.conftest import PASSWORDS

A11y = Callable[[Page], None]
API = "/api/v1"
HOUSEKEEPER = ("maid.e2e@example.com", "maid-password-e2e")


def staff_sign_in(page: Page, email: str, password: str | None = None) -> None:
    page.goto("/login?next=/staff")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password or PASSWORDS[email])
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url(re.compile(r"/staff"))


def _day(offset: int) -> str:
    return (utcnow().date() + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def housekeeper(e2e_server: Server) -> dict[str, Any]:
    """A housekeeping member of the front desk's hotel, made through the API as an owner would."""
    with httpx.Client(base_url=e2e_server.base + API, timeout=30) as api:
        owner = api.post(
            "/auth/login", json={"email": "owner@example.com", "password": PASSWORDS["owner@example.com"]}
        )
        desk = api.post(
            "/auth/login",
            json={"email": "frontdesk@example.com", "password": PASSWORDS["frontdesk@example.com"]},
        )
        owner_h = {"Authorization": f"Bearer {owner.json()['access_token']}"}
        desk_h = {"Authorization": f"Bearer {desk.json()['access_token']}"}
        prop = api.get("/staff/properties", headers=desk_h).json()["items"][0]
        maid = api.post(
            "/auth/signup",
            json={"email": HOUSEKEEPER[0], "password": HOUSEKEEPER[1], "full_name": "Mia Maid"},
        )
        assert maid.status_code == 201, maid.text
        invite = api.post(
            f"/properties/{prop['id']}/members",
            headers=owner_h,
            json={"email": HOUSEKEEPER[0], "role": "housekeeping"},
        )
        assert invite.status_code == 201, invite.text
        maid_h = {"Authorization": f"Bearer {maid.json()['access_token']}"}
        accepted = api.post(f"/users/me/invitations/{invite.json()['id']}/accept", headers=maid_h)
        assert accepted.status_code == 200, accepted.text
    return {"property_id": prop["id"]}


def _pay_at_the_desk(page: Page, booking_url: str, until: str) -> None:
    """The desk's card terminal (the simulated gateway's page), then back until ``until`` is offered."""
    page.get_by_role("button", name="Take card payment").click()
    expect(page.get_by_role("heading", name="Simulated checkout")).to_be_visible()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("link", name="Back to your booking")).to_be_visible()
    for _ in range(30):  # the webhook is a job of the server's runner (polls every second)
        page.goto(booking_url)
        if (
            page.get_by_role("button", name=until).count()
            and not page.get_by_role("button", name="Take card payment").count()
        ):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the payment did not land: no {until!r} button")


def test_front_desk_shift(page: Page, check_a11y: A11y) -> None:
    staff_sign_in(page, "frontdesk@example.com")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today at")
    check_a11y(page)
    page.get_by_role("link", name="Front desk").click()
    expect(page.get_by_role("heading", name="Arrivals")).to_be_visible()
    check_a11y(page)
    page.get_by_role("link", name="Walk-in or phone booking").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New booking")
    check_a11y(page)
    page.get_by_label("Check-out").fill(_day(1))
    page.get_by_label("Guest name").fill("Walter Walkin")
    page.get_by_label("Guest e-mail").fill("walter@example.com")
    page.get_by_label("Guest phone").fill("+351912000111")
    page.get_by_role("button", name="Create booking").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking")
    check_a11y(page)
    booking_url = page.url
    reference = page.locator(".reference").inner_text()

    _pay_at_the_desk(page, booking_url, until="Check in")
    # a welcome basket (pre-stay) posted at the desk and delivered from the queue, one click a step
    page.get_by_label("Service", exact=True).select_option(label="Welcome basket")
    page.get_by_role("button", name="Post service order").click()
    expect(page.get_by_role("status")).to_contain_text("Service order posted")
    page.get_by_role("link", name="Service orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service orders")
    check_a11y(page)
    order = page.locator(".order", has_text=reference)
    for verb, now in (("Accept", "accepted"), ("Start", "in progress")):
        order.get_by_role("button", name=re.compile(f"^{verb}:")).click()
        expect(order.locator(".badge")).to_have_text(now)
    order.get_by_role("button", name=re.compile("^Deliver:")).click()
    expect(order).to_have_count(0)  # delivered: out of the open queue
    page.goto(f"{page.url.split('/orders')[0]}/orders?status=delivered")
    expect(page.locator(".order", has_text=reference)).to_contain_text("delivered")
    page.goto(booking_url)
    expect(page.locator(".booking-orders")).to_contain_text("delivered")
    page.get_by_role("button", name="Assign room").click()
    expect(page.get_by_role("status")).to_contain_text("Room assigned")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("status")).to_contain_text("Checked in")
    check_a11y(page)
    _pay_at_the_desk(page, booking_url, until="Check out")  # the basket is on the bill
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("status")).to_contain_text("Checked out")
    expect(page.locator("h1 .badge")).to_have_text("checked out")
    expect(page.locator("table.folio")).to_contain_text("Welcome basket")
    pdf = page.request.get(page.get_by_role("link", name="Invoice (PDF)").get_attribute("href") or "")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    page.get_by_role("link", name="Bookings").first.click()
    page.get_by_label("Reference, name, e-mail or phone").fill("912000111")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.results")).to_contain_text(reference)
    check_a11y(page)
    page.get_by_role("link", name="Room rack").click()
    expect(page.locator("table.rack")).to_be_visible()
    check_a11y(page)


def test_owner_changes_a_rate_and_guests_see_it(page: Page, check_a11y: A11y) -> None:
    staff_sign_in(page, "owner@example.com")
    expect(page.get_by_role("heading", name="Your properties")).to_be_visible()
    check_a11y(page)
    page.locator(".card", has_text="hotel").first.get_by_role("link").click()
    slug = (page.get_by_role("link", name="Public page").get_attribute("href") or "").rsplit("/", 1)[-1]
    page.get_by_role("link", name="Rates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rates and inventory")
    check_a11y(page)
    room_type = page.locator("#f-rt option:checked").inner_text()
    night = _day(18)
    stay = f"/p/{slug}?checkin={night}&checkout={_day(19)}&guests=2&rooms=1"
    rates_url = page.url

    def offer() -> str:
        page.goto(stay)
        return (
            page.locator("article.room", has=page.get_by_role("heading", name=room_type, exact=True))
            .locator(".price strong")
            .inner_text()
        )

    before = offer()
    page.goto(rates_url)
    page.get_by_label("First day").fill(night)
    page.get_by_label("Last day").fill(night)
    page.get_by_label(re.compile("^Price per night")).fill("999.00")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("1 days updated")
    check_a11y(page)
    after = offer()
    assert after != before
    assert float(re.sub(r"[^\d.]", "", after)) >= 500, after
    # the owner's other sections pass axe-core too
    page.goto(rates_url)
    for section in ("Reports", "Members", "Reviews", "Tickets", "Service orders", "Housekeeping"):
        page.get_by_role("navigation", name="Console").get_by_role("link", name=section).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_a11y(page)
    page.get_by_role("link", name="Reports").first.click()
    expect(page.locator("figure.chart svg").first).to_be_visible()


def test_housekeeping_marks_a_room_clean_on_a_phone(
    phone_page: Page, housekeeper: dict[str, Any], check_a11y: A11y
) -> None:
    page = phone_page
    staff_sign_in(page, *HOUSEKEEPER)
    expect(page.get_by_role("heading", name="Housekeeping")).to_be_visible()
    check_a11y(page)
    room = page.locator(".hk-room").first
    number = room.get_by_role("heading").inner_text().split()[1]
    room.get_by_role("button", name=f"Mark room {number} dirty").click()
    room = page.locator(".hk-room").first
    expect(room.locator(".saved")).to_be_visible()
    expect(room.locator(".badge").first).to_have_text("dirty")
    room.get_by_role("button", name=f"Mark room {number} clean").tap()
    expect(page.locator(".hk-room").first.locator(".badge").first).to_have_text("clean")
    check_a11y(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways at phone width ({width}px)"


def test_a_role_is_not_offered_what_it_may_not_do_and_is_refused_when_forced(
    page: Page, housekeeper: dict[str, Any]
) -> None:
    staff_sign_in(page, *HOUSEKEEPER)
    nav = page.get_by_role("navigation", name="Console")
    expect(nav.get_by_role("link", name="Housekeeping")).to_be_visible()
    for hidden in ("Front desk", "Bookings", "Rates", "Dashboard"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value") or ""
    base = f"/staff/p/{housekeeper['property_id']}"
    forced = page.request.post(
        f"{base}/rates",
        form={"csrf_token": token, "from": _day(2), "until": _day(3), "price": "1.00"},
        headers={"Accept": "text/html"},
    )
    assert forced.status == 403
    assert page.request.get(f"{base}/desk", headers={"Accept": "text/html"}).status == 403
