"""Helpers for the staff console's ASGI tests: a browser-like client per person (its own cookies),
signed in through the site's own /login form, and a hotel with members of every role."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.catalog_support import add_member, make_hotel
from tests.helpers import API, PASSWORD, client_at, signup

HTML = {"Accept": "text/html"}


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def browser_for(app: Any, email: str, ip: str) -> httpx.AsyncClient:
    """A client with its own cookie jar, signed in as ``email`` through the sign-in form."""
    browser = client_at(app, ip)
    page = await browser.get("/login", headers=HTML)
    r = await browser.post(
        "/login",
        data={"csrf_token": token_of(page.text), "email": email, "password": PASSWORD, "next": "/staff"},
        headers=HTML,
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff", r.text[:500]
    return browser


async def get(browser: httpx.AsyncClient, url: str, **params: Any) -> httpx.Response:
    return await browser.get(url, params=params or None, headers=HTML)


async def post(browser: httpx.AsyncClient, url: str, token: str | None, **data: Any) -> httpx.Response:
    body = {"csrf_token": token, **data} if token is not None else data
    return await browser.post(url, data=body, headers=HTML)


async def staffed_hotel(client: httpx.AsyncClient, roles: tuple[str, ...]) -> dict[str, Any]:
    """A hotel (owner + one member per role in ``roles``): ids, bearer headers and e-mails."""
    owner_tokens = await signup(client)
    owner = {"Authorization": f"Bearer {owner_tokens['access_token']}"}
    prop, rt = await make_hotel(client, owner, rooms=3)
    out: dict[str, Any] = {
        "pid": prop["id"],
        "rt": rt,
        "owner": owner,
        "emails": {"owner": owner_tokens["user"]["email"]},
    }
    for role in roles:
        member = await signup(client)
        await add_member(client, owner, prop["id"], member, role)
        out["emails"][role] = member["user"]["email"]
    rooms = await client.get(f"{API}/properties/{prop['id']}/rooms", headers=owner)
    out["rooms"] = rooms.json()["items"]
    out["stranger"] = (await signup(client))["user"]["email"]
    return out
