"""Creating an account on the guest site in a real browser: from the sign-in page's link to the account,
signed in; a taken address is a message with a way to sign in; axe-core on each page."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

A11y = Callable[[Page], None]


def _fill(page: Page, name: str, email: str, password: str) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Phone (optional)").fill("+351 912 000 111")


def test_sign_up_lands_on_the_account_signed_in(page: Page, check_a11y: A11y) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1, name="Create an account")).to_be_visible()
    check_a11y(page)
    email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    _fill(page, "Nova Hóspede", email, "a long enough secret 7")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out").first).to_be_visible()
    check_a11y(page)


def test_a_taken_address_says_so_and_offers_to_sign_in(page: Page, check_a11y: A11y) -> None:
    page.goto("/signup")
    _fill(page, "Someone Else", "guest@example.com", "another long secret 8")  # a demo account's address
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("An account with this e-mail already exists")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("guest@example.com")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")  # never sent back
    check_a11y(page)
    page.get_by_role("link", name="Sign in instead").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
