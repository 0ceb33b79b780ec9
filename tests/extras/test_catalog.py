"""The service catalog: staff create and change it, the public sees the active services."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from tests.catalog_support import freeze, user
from tests.extras.support import catalog_hotel, staff
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def test_catalog_crud_public_list_and_scoping(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await catalog_hotel(client)
    pid, owner, slug = h["pid"], h["owner"], h["prop"]["slug"]
    spa = h["services"]["SPA"]
    assert spa["price"] == {"amount": "80.00", "currency": "EUR"}
    assert spa["department"] == "spa" and spa["unit"] == "per_hour" and spa["is_active"] is True
    assert h["services"]["LAUNDRY"]["department"] == "housekeeping"
    assert (
        h["services"]["ROOMSVC"]["opens_at"] == "07:00" and h["services"]["ROOMSVC"]["closes_at"] == "23:00"
    )
    base = f"{API}/properties/{pid}/services"
    # bad input: nothing is created
    for body, code in [
        ({"code": "SPA", "name": "Again", "category": "spa", "price": "1.00"}, "service.code_taken"),
        ({"code": "X1", "name": "X", "category": "spa", "price": "-1.00"}, "money.negative"),
        ({"code": "X1", "name": "X", "category": "spa", "price": {"amount": "1", "currency": "USD"}}, None),
        ({"code": "X1", "name": "X", "category": "pets", "price": "1.00"}, "request.validation"),
        ({"code": "X1", "name": "X", "category": "spa", "price": 1}, "request.validation"),
        (
            {"code": "X1", "name": "X", "category": "spa", "price": "1", "opens_at": "07:00"},
            "service.invalid",
        ),
        (
            {"code": "X1", "name": "X", "category": "spa", "price": "1", "pre_stay": False, "in_stay": False},
            None,
        ),
        ({"code": "X 1", "name": "X", "category": "spa", "price": "1.00"}, "request.validation"),
        (
            {"code": "X1", "name": "X", "category": "spa", "price": "1.00", "surprise": 1},
            "request.validation",
        ),
    ]:
        r = await client.post(base, headers=owner, json=body)
        assert r.status_code in (409, 422), (body, r.text)
        if code:
            assert_problem(r, 409 if code == "service.code_taken" else 422, code)
    # change: price, deactivate; a category change moves the department
    r = await client.patch(f"{base}/{spa['id']}", headers=owner, json={"price": "90.00", "category": "other"})
    assert r.status_code == 200, r.text
    assert r.json()["price"]["amount"] == "90.00" and r.json()["department"] == "front_desk"
    assert_problem(await client.patch(f"{base}/{spa['id']}", headers=owner, json={"name": None}), 422)
    cab = h["services"]["CAB"]
    r = await client.patch(f"{base}/{cab['id']}", headers=owner, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    # public list: active only, by slug, filtered by category; no auth needed
    public = await client.get(f"{API}/properties/{slug}/services")
    assert public.status_code == 200, public.text
    codes = {s["code"] for s in public.json()["items"]}
    assert codes == {"AIRPORT", "LAUNDRY", "SPA", "ROOMSVC", "WELCOME"}
    food = await client.get(f"{API}/properties/{slug}/services", params={"category": "food"})
    assert [s["code"] for s in food.json()["items"]] == ["WELCOME"]
    assert_problem(await client.get(f"{API}/properties/nowhere/services"), 404, "property.not_found")
    # inactive ones: staff who handle orders only
    assert_problem(await client.get(f"{API}/properties/{slug}/services?include_inactive=true"), 401)
    desk = await staff(client, h, "front_desk")
    everything = await client.get(f"{API}/properties/{pid}/services?include_inactive=true", headers=desk)
    assert everything.status_code == 200 and everything.json()["total"] == 6
    keeper = await staff(client, h, "housekeeping")
    assert_problem(
        await client.get(f"{API}/properties/{pid}/services?include_inactive=true", headers=keeper),
        403,
        "auth.role",
    )
    # roles and tenants: the desk reads but does not edit the catalog; a stranger sees nothing
    assert (await client.get(f"{base}/{cab['id']}", headers=desk)).status_code == 200
    assert_problem(
        await client.patch(f"{base}/{cab['id']}", headers=desk, json={"name": "Y"}), 403, "auth.role"
    )
    stranger = await user(client)
    assert_problem(await client.get(f"{base}/{cab['id']}", headers=stranger), 404, "property.not_found")
    other = await catalog_hotel(client)
    assert_problem(
        await client.get(f"{API}/properties/{other['pid']}/services/{cab['id']}", headers=other["owner"]),
        404,
        "service.not_found",
    )
    async with ctx.db.unit_of_work(write=False) as session:
        actions = dict(
            (
                await session.execute(
                    select(AuditEntry.action, func.count())
                    .where(AuditEntry.entity_type == "service", AuditEntry.property_id == uuid.UUID(pid))
                    .group_by(AuditEntry.action)
                )
            ).all()
        )
    assert actions == {"service.created": 6, "service.updated": 2}
