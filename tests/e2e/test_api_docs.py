"""``/docs`` and ``/redoc`` in a real browser, offline: both render the API description from this site's
own files, nothing is loaded from another site, and nothing breaks the pages' Content-Security-Policy
but the one request it exists to stop (ReDoc's footer logo from cdn.redoc.ly, which hides itself)."""

from __future__ import annotations

from playwright.sync_api import Browser, ConsoleMessage, Request, expect

from tests.concurrency.server import Server

#: ReDoc 2.5's side menu shows Redocly's logo from their CDN; the policy blocks it, the image hides itself
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_swagger_ui_and_redoc_render_from_local_files(browser: Browser, e2e_server: Server) -> None:
    context = browser.new_context(base_url=e2e_server.base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    outside: list[str] = []
    problems: list[str] = []

    def request(r: Request) -> None:
        if not r.url.startswith(("blob:", "data:", e2e_server.base)) and r.url != REDOC_LOGO:
            outside.append(r.url)

    def console(m: ConsoleMessage) -> None:
        if m.type == "error" and "Content Security" in m.text and REDOC_LOGO not in m.text:
            problems.append(m.text)

    page.on("request", request)
    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto("/docs")
        expect(page.locator(".swagger-ui .title")).to_contain_text("Innkeeper API", timeout=30_000)
        expect(page.locator(".opblock-tag").first).to_be_visible()
        page.goto("/redoc")
        # ReDoc parses the whole description before it draws anything: seconds on a busy machine, over
        # 30 s once on a CI machine running the whole suite at half its usual speed
        expect(page.get_by_role("heading", level=1)).to_contain_text("Innkeeper API", timeout=60_000)
        expect(page.get_by_role("menuitem", name="bookings")).to_be_visible()
        expect(page.locator("h2").first).to_be_visible()  # the operations are rendered
        # the search runs in a blob: worker that indexes the description first: ask until it answers
        box, results = page.get_by_placeholder("Search..."), page.locator('[data-role="search:results"] li')
        for _ in range(30):
            box.fill("")
            box.fill("booking")
            page.wait_for_timeout(500)
            if results.count():
                break
        expect(results.first).to_be_visible()
    finally:
        context.close()
    assert outside == [], f"requests to other sites: {outside}"
    assert problems == [], f"script errors or CSP violations: {problems}"
