"""Browser tests: Debian's chromium driven by Playwright against a real ``innkeeper serve``.

One server per test session (per xdist worker): a copy of the suite's migrated SQLite template with
the demo world loaded, served by one uvicorn worker running the job runner in process (payments'
webhooks are processed by jobs). One browser per session; each test gets a fresh context (cookies,
storage), so tests never share a sign-in.

Fixtures for any page test (the staff console's too):

* ``e2e_server`` — the running server (``.base`` is its URL);
* ``browser`` — chromium, one per test module (never downloaded; when it or Playwright is missing,
  the tests are skipped with the reason);
* ``page`` — a fresh desktop page (1280x800) whose relative URLs resolve against the server;
* ``phone_page`` — the same at phone width (390x844, touch);
* ``signed_in_page(email)`` — a page signed in through ``/login`` as a demo account (``DEMO_ACCOUNTS``);
* ``check_a11y(page)`` — axe-core (vendored) on the current page; fails on serious or critical findings.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.demo import DEMO_ACCOUNTS, load_demo
from tests.concurrency.server import Server
from tests.conftest import TEST_SECRET

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: days of inventory the demo opens: enough for every test, a fraction of the default's rows
HORIZON_DAYS = 60
AXE = "/static/vendor/axe-core-4.14.1.min.js"
#: settings of the demo load and of the server (cheap password hashing, as in the rest of the suite)
SETTINGS = {
    "INNKEEPER_INVENTORY_HORIZON_DAYS": str(HORIZON_DAYS),
    "INNKEEPER_PASSWORD_TIME_COST": "1",
    "INNKEEPER_PASSWORD_MEMORY_KIB": "1024",
    "INNKEEPER_PASSWORD_PARALLELISM": "1",
}
PASSWORDS = {a.email: a.password for a in DEMO_ACCOUNTS}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if sync_playwright is None:
        reason = "browser tests skipped: the playwright package is not installed"
    elif CHROMIUM is None:
        reason = "browser tests skipped: chromium is not installed (apt-get install chromium)"
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.slow)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


async def _load_demo(url: str) -> None:
    settings = Settings(
        env="test",
        secret_key=TEST_SECRET,
        database_url=url,
        log_level="WARNING",
        inventory_horizon_days=HORIZON_DAYS,
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    ctx = AppContext.build(settings)
    try:
        await load_demo(ctx)
    finally:
        await ctx.close()


@pytest.fixture(scope="session")
def e2e_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("e2e")
    db = work / "e2e.db"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    # in a thread of its own: Playwright's sync API may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _load_demo(url)).result()
    env = {**SETTINGS, "INNKEEPER_RUN_JOBS_IN_PROCESS": "true", "INNKEEPER_JOB_POLL_INTERVAL_SECONDS": "1"}
    server = Server(url, work, workers=1, extra_env=env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per test module: Playwright's sync API runs an event loop in this thread while it lives, and the
    rest of the suite (asyncio.run in session fixtures, async tests) needs the thread free after."""
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser, server: Server, **options: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=server.base, locale="en-GB", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and "Content Security" in msg.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors or CSP violations on the page: {errors}"


@pytest.fixture
def page(e2e_server: Server, browser: Browser) -> Iterator[Page]:
    yield from _page(browser, e2e_server, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(e2e_server: Server, browser: Browser) -> Iterator[Page]:
    yield from _page(
        browser, e2e_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )


def sign_in(page: Page, email: str, password: str | None = None) -> None:
    """Through the sign-in form, as a person would."""
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password or PASSWORDS[email])
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_url("**/account")


@pytest.fixture
def signed_in_page(page: Page) -> Callable[[str], Page]:
    def make(email: str) -> Page:
        sign_in(page, email)
        return page

    return make


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (loaded from /static: the page's CSP allows it).

    Waits for the page to finish loading first: a check right after a click could otherwise
    inject axe into a document that is being replaced (its ``head`` is null for a moment)."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return found


@pytest.fixture
def check_a11y() -> Callable[[Page], None]:
    def check(page: Page) -> None:
        serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        assert not serious, f"accessibility violations on {page.url}: {serious}"

    return check
