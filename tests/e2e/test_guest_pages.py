"""CMS pages in a real browser: the demo hotel's house rules from its page, and the platform's terms,
each with the accessibility check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from innkeeper.kit.clock import utcnow


def test_house_rules_from_the_property_page_and_the_terms(
    page: Page, check_a11y: Callable[[Page], None]
) -> None:
    checkin = utcnow().date() + timedelta(days=25)
    page.goto(f"/search?city=Lisbon&checkin={checkin}&checkout={checkin + timedelta(days=1)}")
    page.locator(".results .card a").first.click()
    page.get_by_role("link", name="House rules").click()
    expect(page.get_by_role("heading", level=1, name="House rules")).to_be_visible()
    expect(page.get_by_text("Quiet hours are from 22:00 to 08:00.")).to_be_visible()
    check_a11y(page)
    page.goto("/pages/terms")
    expect(page.get_by_role("heading", level=1, name="Terms of use")).to_be_visible()
    check_a11y(page)
