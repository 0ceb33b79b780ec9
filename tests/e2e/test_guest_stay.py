"""The demo guest's stays of today in a real browser (``demo/stays.py`` makes them): ordering a service
on the stay checked in and cancelling it, and reviewing the stay checked out; axe-core on the pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

A11y = Callable[[Page], None]
GUEST = "guest@example.com"


def test_order_a_service_during_the_stay_and_cancel_it(
    signed_in_page: Callable[[str], Page], check_a11y: A11y
) -> None:
    page = signed_in_page(GUEST)
    page.get_by_role("link", name="Order services").first.click()
    services = page.locator("#services")
    expect(services.get_by_role("heading", name="Services", exact=True)).to_be_visible()
    check_a11y(page)
    note = f"e2e {uuid.uuid4().hex[:8]}"  # finds this test's order among the stay's others
    page.get_by_label("Service", exact=True).select_option("CAB")
    page.get_by_label("Pickup address").fill("Rua Augusta 100")
    page.get_by_label("Passengers").fill("2")
    page.get_by_label("Notes (optional)").fill(note)
    page.get_by_role("button", name="Place order").click()
    order = page.locator(".order", has_text=note)
    expect(order.locator(".badge")).to_have_text("requested")
    expect(order).to_contain_text("Pickup address: Rua Augusta 100")
    check_a11y(page)
    order.get_by_role("button", name=re.compile("^Cancel")).click()
    expect(page.locator(".order", has_text=note).locator(".badge")).to_have_text("cancelled")
    expect(page.locator(".order", has_text=note).get_by_role("button")).to_have_count(0)


def test_review_the_stay_checked_out(signed_in_page: Callable[[str], Page], check_a11y: A11y) -> None:
    page = signed_in_page(GUEST)
    past = page.locator("section", has=page.get_by_role("heading", name="Past and cancelled bookings"))
    # the demo's stay checked out today (the older one, DRGUEST0, is reviewed already)
    stay = past.locator(".card", has=page.locator(".badge", has_text="checked out")).filter(
        has_not_text="DRGUEST0"
    )
    stay.first.get_by_role("heading").get_by_role("link").click()
    review = page.locator("#review")
    expect(review.get_by_role("heading", name="Write a review")).to_be_visible()
    check_a11y(page)
    review.get_by_role("radiogroup", name="Your rating").get_by_label("4 of 5").check()
    review.get_by_label("Title (optional)").fill("Quiet and central")
    review.get_by_label("Your review", exact=True).fill("A calm room and a kind front desk.")
    review.get_by_role("button", name="Send review").click()
    expect(review.get_by_role("heading", name=re.compile("^Your review"))).to_be_visible()
    expect(review).to_contain_text("Waiting for moderation")
    expect(review.locator(".badge")).to_have_text("pending")
    expect(review.get_by_role("button", name="Send review")).to_have_count(0)
    check_a11y(page)
