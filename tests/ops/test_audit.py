"""The audit log for staff (``GET /properties/{id}/audit``: owner and manager) and platform admins
(``GET /admin/audit``): filters, pagination, tenancy, bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from tests.bookings.support import book, hotel
from tests.catalog_support import NOW, add_member, freeze, make_admin, user
from tests.helpers import API, assert_problem, bearer, signup


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def audit(
    client: httpx.AsyncClient, pid: str, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    r = await client.get(f"{API}/properties/{pid}/audit", headers=headers, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await client.get(f"{API}/users/me", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def test_staff_read_their_property_log_with_filters_and_pages(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    owner, pid = h["owner"], h["pid"]
    guest = await user(client)
    clock.freeze(NOW + timedelta(minutes=4))  # access tokens live 15 minutes
    first = await book(client, h, guest)
    clock.freeze(NOW + timedelta(minutes=8))
    second = await book(client, h, guest, start=20, end=22)
    everything = await audit(client, pid, owner)
    assert everything["total"] == len(everything["items"]) >= 4  # the catalog's entries and the bookings
    ats = [item["at"] for item in everything["items"]]
    assert ats == sorted(ats, reverse=True)
    latest = everything["items"][0]
    assert latest["action"] == "booking.created" and latest["entity"] == "booking"
    assert latest["entity_id"] == second["id"] and latest["property_id"] == pid
    assert latest["actor_id"] == await me(client, guest)
    assert latest["ip"] == "203.0.113.7" and latest["request_id"]
    assert latest["changes"]["after"]["status"] == "reserved"

    created = await audit(client, pid, owner, action="booking.created")
    assert [i["entity_id"] for i in created["items"]] == [second["id"], first["id"]]
    assert (await audit(client, pid, owner, action="booking.*"))["total"] >= 2
    assert (await audit(client, pid, owner, entity="booking", entity_id=first["id"]))["total"] >= 1
    by_guest = await audit(client, pid, owner, actor_id=await me(client, guest))
    assert {i["entity"] for i in by_guest["items"]} == {"booking"}
    window = await audit(
        client,
        pid,
        owner,
        action="booking.created",
        **{"from": (NOW + timedelta(minutes=3)).isoformat(), "to": (NOW + timedelta(minutes=5)).isoformat()},
    )
    assert [i["entity_id"] for i in window["items"]] == [first["id"]]
    naive = await audit(client, pid, owner, action="booking.created", **{"from": "2030-03-04T10:06:00"})
    assert naive["total"] == 1  # an instant without an offset is UTC

    page = await audit(client, pid, owner, limit=1, offset=1)
    assert page["total"] == everything["total"]
    assert page["items"] == everything["items"][1:2]


async def test_other_tenants_get_404_front_desk_403(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    pid = h["pid"]
    stranger = await user(client)
    assert_problem(
        await client.get(f"{API}/properties/{pid}/audit", headers=stranger), 404, "property.not_found"
    )
    desk = await signup(client)
    await add_member(client, h["owner"], pid, desk, "front_desk")
    assert_problem(await client.get(f"{API}/properties/{pid}/audit", headers=bearer(desk)), 403, "auth.role")
    manager = await signup(client)
    await add_member(client, h["owner"], pid, manager, "manager")
    assert (await audit(client, pid, bearer(manager)))["total"] > 0
    assert_problem(await client.get(f"{API}/properties/{pid}/audit"), 401)
    # another owner's own log holds nothing of this property
    other = await hotel(client)
    theirs = await audit(client, other["pid"], other["owner"])
    assert all(item["property_id"] == other["pid"] for item in theirs["items"])


async def test_platform_admins_read_everything(client: httpx.AsyncClient, ctx: AppContext) -> None:
    a, b = await hotel(client), await hotel(client)
    admin = await make_admin(ctx, client)
    r = await client.get(f"{API}/admin/audit", headers=admin, params={"limit": 100})
    assert r.status_code == 200, r.text
    seen = {item["property_id"] for item in r.json()["items"]}
    assert {a["pid"], b["pid"]} <= seen
    assert any(item["action"] == "user.signup" or item["property_id"] is None for item in r.json()["items"])
    only_a = (await client.get(f"{API}/admin/audit", headers=admin, params={"property_id": a["pid"]})).json()
    assert only_a["total"] > 0 and {i["property_id"] for i in only_a["items"]} == {a["pid"]}
    # an admin may read any property's own log too
    assert (await audit(client, b["pid"], admin))["total"] > 0
    assert_problem(await client.get(f"{API}/admin/audit", headers=a["owner"]), 403, "auth.admin_only")


BAD_FILTERS = [
    {"from": "2030-03-05T00:00:00Z", "to": "2030-03-04T00:00:00Z"},
    {"from": "2030-03-04T00:00:00Z", "to": "2030-03-04T00:00:00Z"},
    {"from": "yesterday"},
    {"actor_id": "not-a-uuid"},
    {"action": "booking.created; drop"},
    {"entity": "x" * 41},
    {"limit": 0},
    {"limit": 101},
    {"offset": -1},
]


async def test_bad_filters_are_422(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    for params in BAD_FILTERS:
        r = await client.get(f"{API}/properties/{h['pid']}/audit", headers=h["owner"], params=params)
        assert_problem(r, 422)
    r = await client.get(f"{API}/admin/audit", headers=h["owner"], params=BAD_FILTERS[0])
    assert r.status_code in (403, 422)
