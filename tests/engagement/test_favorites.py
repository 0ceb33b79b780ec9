"""Favorites: add, remove and list, all idempotent; shown in search results for the signed-in caller."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.catalog_support import d, freeze, make_hotel, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def favorite_flags(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> dict[str, bool]:
    r = await client.get(
        f"{API}/search", params={"city": "Lisbon", "checkin": d(3), "checkout": d(4)}, headers=headers or {}
    )
    assert r.status_code == 200, r.text
    return {i["property"]["id"]: i["is_favorite"] for i in r.json()["items"]}


async def test_favorites_are_idempotent_and_marked_in_search(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    liked, _ = await make_hotel(client, owner, rooms=1)
    other, _ = await make_hotel(client, owner, rooms=1)
    hidden, _ = await make_hotel(client, owner, rooms=1, active=False)
    me, someone = await user(client), await user(client)
    path = f"{API}/users/me/favorites/{liked['id']}"
    first = await client.put(path, headers=me)
    assert first.status_code == 200, first.text
    assert first.json()["property"]["slug"] == liked["slug"]
    again = await client.put(path, headers=me)
    assert again.status_code == 200 and again.json() == first.json()
    listed = (await client.get(f"{API}/users/me/favorites", headers=me)).json()
    assert listed["total"] == 1 and listed["items"][0]["property"]["id"] == liked["id"]
    # search marks the caller's favorites only
    assert await favorite_flags(client, me) == {liked["id"]: True, other["id"]: False}
    assert await favorite_flags(client, someone) == {liked["id"]: False, other["id"]: False}
    assert await favorite_flags(client) == {liked["id"]: False, other["id"]: False}
    # no such (or no public) property; no account
    assert_problem(
        await client.put(f"{API}/users/me/favorites/{uuid.uuid4()}", headers=me), 404, "property.not_found"
    )
    assert_problem(
        await client.put(f"{API}/users/me/favorites/{hidden['id']}", headers=me), 404, "property.not_found"
    )
    assert_problem(await client.put(f"{API}/users/me/favorites/not-an-id", headers=me), 422)
    assert_problem(await client.put(path), 401)
    assert_problem(await client.get(f"{API}/users/me/favorites"), 401)
    # removing twice is fine, and it is gone everywhere
    for _ in range(2):
        r = await client.delete(path, headers=me)
        assert r.status_code == 204, r.text
    assert (await client.get(f"{API}/users/me/favorites", headers=me)).json() == {"items": [], "total": 0}
    assert await favorite_flags(client, me) == {liked["id"]: False, other["id"]: False}
