"""Helpers for page tests over ASGI: HTML requests, form tokens, a hotel to book."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.catalog_support import d, make_hotel, user

HTML = {"Accept": "text/html"}


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def get(client: httpx.AsyncClient, url: str, **params: Any) -> httpx.Response:
    return await client.get(url, params=params or None, headers=HTML)


async def post_form(client: httpx.AsyncClient, url: str, token: str, **data: Any) -> httpx.Response:
    return await client.post(url, data={"csrf_token": token, **data}, headers=HTML)


async def hotel(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """An active hotel in Lisbon with one room type (2 rooms at 100.00 EUR)."""
    owner = await user(client)
    return await make_hotel(client, owner, name="Casa Web", slug="casa-web")


async def review(
    client: httpx.AsyncClient, rt: dict[str, Any], start: int = 10, nights: int = 2
) -> httpx.Response:
    return await get(
        client,
        "/book/stay",
        room_type_id=rt["id"],
        checkin=d(start),
        checkout=d(start + nights),
        guests=2,
        rooms=1,
    )


async def book_as_guest(client: httpx.AsyncClient, rt: dict[str, Any], **extra: Any) -> httpx.Response:
    """Through the review page and its form, without an account."""
    page = await review(client, rt)
    assert page.status_code == 200, page.text
    total = re.search(r'name="expected_total" value="([^"]+)"', page.text)
    assert total
    data = {
        "room_type_id": rt["id"],
        "checkin": d(10),
        "checkout": d(12),
        "guests": "2",
        "rooms": "1",
        "contact_name": "Pat Guest",
        "contact_email": "pat@example.com",
        "expected_total": total.group(1),
        **extra,
    }
    return await post_form(client, "/book/stay", token_of(page.text), **data)
