"""Tenant isolation, for every staff endpoint (the list is checked against the app's routes, so a new
``/properties/{property_id}/…`` endpoint without a case here fails the suite)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from tests.catalog_support import d, freeze, make_hotel, user
from tests.helpers import API, assert_problem, signup

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


def cases(a: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, route template) → request kwargs, for a property of tenant A with its children."""
    rt = a["rt"]["id"]
    return {
        ("GET", "/properties/{property_id}/manage"): {},
        ("POST", "/properties/{property_id}/bookings"): {
            "json": {
                "room_type_id": rt,
                "checkin": d(10),
                "checkout": d(12),
                "rooms": 1,
                "guests": 1,
                "contact": {"name": "Walk In", "email": "walkin@example.com"},
                "source": "walk_in",
            }
        },
        ("PATCH", "/properties/{property_id}"): {"json": {"name": "Stolen"}},
        ("POST", "/properties/{property_id}/activate"): {},
        ("POST", "/properties/{property_id}/deactivate"): {},
        ("GET", "/properties/{property_id}/members"): {},
        ("POST", "/properties/{property_id}/members"): {
            "json": {"email": a["member_email"], "role": "manager"}
        },
        ("DELETE", "/properties/{property_id}/members/{user_id}"): {"ids": {"user_id": a["member_id"]}},
        ("GET", "/properties/{property_id}/room-types"): {},
        ("POST", "/properties/{property_id}/room-types"): {
            "json": {"code": "NEW", "name": "New", "capacity": 2, "base_price": "10.00"}
        },
        ("PATCH", "/properties/{property_id}/room-types/{room_type_id}"): {
            "ids": {"room_type_id": rt},
            "json": {"name": "Stolen"},
        },
        ("GET", "/properties/{property_id}/rooms"): {},
        ("POST", "/properties/{property_id}/rooms"): {"json": {"room_type_id": rt, "number": "X-1"}},
        ("PATCH", "/properties/{property_id}/rooms/{room_id}"): {
            "ids": {"room_id": a["rt"]["room_ids"][0]},
            "json": {"status": "out_of_order"},
        },
        ("POST", "/properties/{property_id}/images"): {"files": {"file": ("a.png", PNG, "image/png")}},
        ("GET", "/properties/{property_id}/images"): {},
        ("DELETE", "/properties/{property_id}/images/{image_id}"): {"ids": {"image_id": a["image_id"]}},
        ("GET", "/properties/{property_id}/inventory"): {"params": {"room_type_id": rt}},
        ("PUT", "/properties/{property_id}/inventory"): {
            "json": {"room_type_id": rt, "from": d(1), "to": d(3), "closed": True}
        },
        ("GET", "/properties/{property_id}/rate-rules"): {},
        ("POST", "/properties/{property_id}/rate-rules"): {
            "json": {
                "kind": "weekday",
                "name": "Weekend",
                "weekdays": ["sat"],
                "factor": "1.2",
                "room_type_id": rt,
            }
        },
        ("DELETE", "/properties/{property_id}/rate-rules/{rule_id}"): {"ids": {"rule_id": a["rule_id"]}},
        ("GET", "/properties/{property_id}/promo-codes"): {},
        ("POST", "/properties/{property_id}/promo-codes"): {
            "json": {"code": "STEAL", "kind": "percent", "percent": "10"}
        },
        ("DELETE", "/properties/{property_id}/promo-codes/{promo_id}"): {"ids": {"promo_id": a["promo_id"]}},
        ("GET", "/properties/{property_id}/reports/payments"): {},
    }


async def tenant(client: httpx.AsyncClient) -> dict[str, Any]:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    pid = prop["id"]
    member = await signup(client)
    r = await client.post(
        f"{API}/properties/{pid}/members",
        headers=owner,
        json={"email": member["user"]["email"], "role": "housekeeping"},
    )
    assert r.status_code == 201
    image = await client.post(
        f"{API}/properties/{pid}/images", headers=owner, files={"file": ("a.png", PNG, "image/png")}
    )
    assert image.status_code == 201, image.text
    rule = await client.post(
        f"{API}/properties/{pid}/rate-rules",
        headers=owner,
        json={"kind": "weekday", "name": "Fri", "weekdays": ["fri"], "factor": "1.1"},
    )
    assert rule.status_code == 201, rule.text
    promo = await client.post(
        f"{API}/properties/{pid}/promo-codes",
        headers=owner,
        json={"code": "HELLO", "kind": "percent", "percent": "5"},
    )
    assert promo.status_code == 201, promo.text
    return {
        "owner": owner,
        "prop": prop,
        "rt": rt,
        "member_id": member["user"]["id"],
        "member_email": member["user"]["email"],
        "image_id": image.json()["id"],
        "rule_id": rule.json()["id"],
        "promo_id": promo.json()["id"],
    }


def staff_routes(app: Any) -> set[tuple[str, str]]:
    out = set()
    for path, methods in app.openapi()["paths"].items():
        if "{property_id}" in path:
            out |= {(m.upper(), path.removeprefix(API)) for m in methods}
    return out


async def audit_count(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def call(
    client: httpx.AsyncClient,
    method: str,
    template: str,
    property_id: str,
    spec: dict[str, Any],
    headers: dict[str, str] | None,
) -> httpx.Response:
    path = template.replace("{property_id}", property_id)
    for key, value in spec.get("ids", {}).items():
        path = path.replace("{" + key + "}", value)
    return await client.request(
        method,
        API + path,
        headers=headers,
        json=spec.get("json"),
        params=spec.get("params"),
        files=spec.get("files"),
    )


async def test_every_staff_endpoint_is_covered(app: Any, client: httpx.AsyncClient) -> None:
    freeze()
    fake = {
        "rt": {"id": "x", "room_ids": ["x"]},
        "member_id": "x",
        "member_email": "x",
        "image_id": "x",
        "rule_id": "x",
        "promo_id": "x",
    }
    assert staff_routes(app) == set(cases(fake)), "add the new staff endpoint to cases()"


async def test_another_tenants_property_is_404_on_every_staff_endpoint(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    a = await tenant(client)
    stranger = await user(client)
    before = await audit_count(ctx)
    for (method, template), spec in cases(a).items():
        r = await call(client, method, template, a["prop"]["id"], spec, stranger)
        assert_problem(r, 404, "property.not_found")
        anonymous = await call(client, method, template, a["prop"]["id"], spec, None)
        assert anonymous.status_code == 401, (method, template)
    assert await audit_count(ctx) == before


async def test_another_tenants_child_resource_is_404_through_my_own_property(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    a = await tenant(client)
    b = await tenant(client)
    before = await audit_count(ctx)
    checked = 0
    for (method, template), spec in cases(a).items():
        child = bool(spec.get("ids")) or "room_type_id" in (spec.get("json") or {}) or "params" in spec
        if not child:
            continue
        # B is owner of its own property, and names A's child resource through it
        r = await call(client, method, template, b["prop"]["id"], spec, b["owner"])
        assert r.status_code == 404, (method, template, r.text)
        checked += 1
    assert checked == 11
    assert await audit_count(ctx) == before
    # A's data is untouched
    rooms = (await client.get(f"{API}/properties/{a['prop']['id']}/rooms", headers=a["owner"])).json()[
        "items"
    ]
    assert all(room["status"] == "available" for room in rooms)
    members = (await client.get(f"{API}/properties/{a['prop']['id']}/members", headers=a["owner"])).json()
    assert members["total"] == 2
