"""Guest pages over ASGI: they render with the site's security headers, errors are friendly pages
(JSON stays for API clients), and search shows whole-stay prices from the same services as the API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter

from innkeeper.web.errors import WebRoute
from tests.catalog_support import d, freeze
from tests.helpers import API
from tests.web.support import HTML, get, hotel, review

broken = APIRouter(route_class=WebRoute)


@broken.get("/test-broken-page")
async def broken_page() -> None:
    raise RuntimeError("secret internals: postgresql://user:pw@db")


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    return (broken,)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


def assert_page(response: httpx.Response, status: int = 200) -> None:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "<script>" not in response.text and " on" + "click=" not in response.text  # no inline script
    assert '<main id="main"' in response.text and "<title>" in response.text


async def test_every_guest_page_renders(client: httpx.AsyncClient) -> None:
    prop, rt = await hotel(client)
    stay = {"checkin": d(10), "checkout": d(12), "guests": 2, "rooms": 1}
    for url, params in [
        ("/", {}),
        ("/search", {"city": "Lisbon", **stay}),
        (f"/p/{prop['slug']}", stay),
        ("/login", {}),
        ("/lookup", {}),
        ("/about", {}),
    ]:
        assert_page(await get(client, url, **params))
    assert_page(await review(client, rt))
    results = await get(client, "/search", city="Lisbon", **stay)
    assert "Casa Web" in results.text
    assert "€200.00" in results.text  # two nights at 100.00: the whole stay, not a night
    page = await get(client, f"/p/{prop['slug']}", **stay)
    assert "€200.00" in page.text and f"/book/stay?room_type_id={rt['id']}" in page.text
    assert 'class="calendar"' in page.text


async def test_search_form_errors_are_messages_not_errors(client: httpx.AsyncClient) -> None:
    page = await get(client, "/search", city="", checkin="not-a-date", checkout=d(3))
    assert_page(page)
    assert 'aria-invalid="true"' in page.text and "Enter a city" in page.text


async def test_city_suggestions_and_calendar_partials(client: httpx.AsyncClient) -> None:
    prop, rt = await hotel(client)
    options = await get(client, "/search/cities", city="lis")
    assert options.status_code == 200 and 'value="Lisbon"' in options.text
    calendar = await get(client, f"/p/{prop['slug']}/calendar", room_type_id=rt["id"], **{"from": d(5)})
    assert calendar.status_code == 200 and calendar.text.count('class="day"') >= 20


async def test_unknown_pages_are_friendly_and_api_errors_stay_json(client: httpx.AsyncClient) -> None:
    page = await get(client, "/no/such/page")
    assert_page(page, 404)
    assert "Page not found" in page.text
    api = await client.get(f"{API}/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    plain = await client.get("/p/no-such-hotel")  # a script, not a browser: problem+json
    assert plain.status_code == 404 and plain.headers["content-type"] == "application/problem+json"
    assert_page(await get(client, "/p/no-such-hotel"), 404)


async def test_a_crash_is_a_page_without_internals(client: httpx.AsyncClient) -> None:
    page = await get(client, "/test-broken-page")
    assert_page(page, 500)
    assert "Something went wrong" in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert page.headers["x-request-id"] in page.text  # what support can look up


async def test_portuguese_by_choice_and_by_browser(client: httpx.AsyncClient) -> None:
    await hotel(client)
    switched = await client.get("/lang/pt", params={"next": "/search?city=Lisbon"})
    assert switched.status_code == 303 and switched.headers["location"] == "/search?city=Lisbon"
    assert "ik_lang=pt" in switched.headers["set-cookie"]
    page = await get(client, "/search", city="Lisbon", checkin=d(10), checkout=d(12))
    assert '<html lang="pt">' in page.text and "Estadias em Lisbon" in page.text
    assert "200,00\xa0€" in page.text  # Babel: Portuguese money
    client.cookies.clear()
    by_header = await client.get("/", headers={**HTML, "Accept-Language": "pt-PT,pt;q=0.9,en;q=0.5"})
    assert "Encontre onde ficar" in by_header.text
    evil = await client.get("/lang/pt", params={"next": "//evil.example/x"})
    assert evil.headers["location"] == "/"  # never an open redirect
