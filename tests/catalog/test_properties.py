from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.models import PropertyMembership
from tests.catalog_support import (
    add_member,
    add_room_type,
    create_property,
    freeze,
    make_admin,
    make_hotel,
    user,
)
from tests.helpers import API, assert_problem, bearer, signup


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_property_makes_caller_owner_and_starts_inactive(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop = await create_property(client, owner, name="Casa Azul Lisboa")
    assert prop["slug"] == "casa-azul-lisboa"
    assert prop["is_active"] is False
    assert prop["currency"] == "EUR" and prop["timezone"] == "Europe/Lisbon"
    assert prop["check_in_time"] == "15:00"
    members = await client.get(f"{API}/properties/{prop['id']}/members", headers=owner)
    assert [m["role"] for m in members.json()["items"]] == ["owner"]
    mine = await client.get(f"{API}/staff/properties", headers=owner)
    assert mine.json()["total"] == 1 and mine.json()["items"][0]["role"] == "owner"
    # same name again gets another slug; an explicit taken slug is 409
    again = await create_property(client, owner, name="Casa Azul Lisboa")
    assert again["slug"] != prop["slug"]
    taken = await client.post(
        f"{API}/properties",
        headers=owner,
        json={
            "name": "X",
            "kind": "hotel",
            "city": "Porto",
            "country": "PT",
            "timezone": "Europe/Lisbon",
            "currency": "EUR",
            "slug": prop["slug"],
        },
    )
    assert_problem(taken, 409, "property.slug_taken")
    async with ctx.db.unit_of_work(write=False) as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert {"property.created", "membership.granted"} <= actions


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("currency", "XYZ"),
        ("country", "QQ"),
        ("slug", "Bad Slug!"),
        ("slug", "ab"),
        ("kind", "castle"),
        ("star_rating", 6),
        ("latitude", 91),
        ("name", ""),
        ("vat_percent", "-1"),
        ("city_tax", "-2.00"),
        ("city_tax", "1.234"),
        ("payment_policy", {"mode": "deposit"}),
    ],
)
async def test_create_property_bad_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext, field: str, value: object
) -> None:
    owner = await user(client)
    body = {
        "name": "Bad",
        "kind": "hotel",
        "city": "Lisbon",
        "country": "PT",
        "timezone": "Europe/Lisbon",
        "currency": "EUR",
        "latitude": 1.0,
        "longitude": 1.0,
        field: value,
    }
    r = await client.post(f"{API}/properties", headers=owner, json=body)
    assert_problem(r, 422)
    assert await count(ctx, Property) == 0


async def test_patch_property_and_policies(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    r = await client.patch(
        f"{API}/properties/{prop['id']}",
        headers=owner,
        json={
            "name": "Renamed",
            "vat_percent": "6.5",
            "city_tax": {"amount": "2.00", "currency": "EUR"},
            "city_tax_max_nights": 7,
            "payment_policy": {"mode": "deposit", "deposit_percent": 30},
            "cancellation_policy": {"preset": "flexible", "free_until_hours": 24},
            "refund_destination": "wallet",
            "check_in_time": "14:00",
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["name"] == "Renamed" and data["vat_percent"] == "6.50"
    assert data["city_tax"] == {"amount": "2.00", "currency": "EUR"}
    assert data["payment_policy"] == {"mode": "deposit", "deposit_percent": 30}
    assert data["refund_destination"] == "wallet" and data["check_in_time"] == "14:00"
    wrong_currency = await client.patch(
        f"{API}/properties/{prop['id']}",
        headers=owner,
        json={"city_tax": {"amount": "2.00", "currency": "USD"}},
    )
    assert_problem(wrong_currency, 422, "money.currency")
    unknown_field = await client.patch(
        f"{API}/properties/{prop['id']}", headers=owner, json={"currency": "USD"}
    )
    assert_problem(unknown_field, 422)


async def test_activation_needs_a_room_type_with_rooms(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
    assert_problem(r, 409, "property.not_ready")
    await add_room_type(client, owner, prop["id"], rooms=0)
    r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
    assert_problem(r, 409, "property.not_ready")
    await add_room_type(client, owner, prop["id"], code="SGL", rooms=1)
    r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
    assert r.status_code == 200 and r.json()["is_active"] is True
    public = await client.get(f"{API}/properties/{prop['slug']}")
    assert public.status_code == 200
    assert {rt["code"] for rt in public.json()["room_types"]} == {"DBL", "SGL"}
    r = await client.post(f"{API}/properties/{prop['id']}/deactivate", headers=owner)
    assert r.json()["is_active"] is False
    assert_problem(await client.get(f"{API}/properties/{prop['slug']}"), 404, "property.not_found")


async def test_members_roles_and_last_owner(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    desk_tokens = await signup(client)
    desk = bearer(desk_tokens)
    await add_member(client, owner, prop["id"], desk_tokens, "front_desk")
    dup = await client.post(
        f"{API}/properties/{prop['id']}/members",
        headers=owner,
        json={"email": desk_tokens["user"]["email"], "role": "manager"},
    )
    assert_problem(dup, 409, "member.exists")
    nobody = await client.post(
        f"{API}/properties/{prop['id']}/members",
        headers=owner,
        json={"email": "nobody@example.com", "role": "manager"},
    )
    assert nobody.status_code == 201  # an invitation, as for any address (tests/identity/test_invitations.py)
    bad_role = await client.post(
        f"{API}/properties/{prop['id']}/members",
        headers=owner,
        json={"email": desk_tokens["user"]["email"], "role": "owner"},
    )
    assert_problem(bad_role, 422)
    # front desk: reads inventory and marks rooms, but may not manage the property (403, it is a member)
    ok = await client.get(
        f"{API}/properties/{prop['id']}/inventory", headers=desk, params={"room_type_id": rt["id"]}
    )
    assert ok.status_code == 200
    room = await client.patch(
        f"{API}/properties/{prop['id']}/rooms/{rt['room_ids'][0]}",
        headers=desk,
        json={"housekeeping": "dirty"},
    )
    assert room.status_code == 200 and room.json()["housekeeping"] == "dirty"
    assert_problem(
        await client.patch(f"{API}/properties/{prop['id']}", headers=desk, json={"name": "Mine"}),
        403,
        "auth.role",
    )
    assert_problem(
        await client.post(
            f"{API}/properties/{prop['id']}/members",
            headers=desk,
            json={"email": "x@example.com", "role": "manager"},
        ),
        403,
        "auth.role",
    )
    owner_id = (await client.get(f"{API}/users/me", headers=owner)).json()["id"]
    assert_problem(
        await client.delete(f"{API}/properties/{prop['id']}/members/{owner_id}", headers=owner),
        409,
        "member.last_owner",
    )
    r = await client.delete(
        f"{API}/properties/{prop['id']}/members/{desk_tokens['user']['id']}", headers=owner
    )
    assert r.status_code == 204
    assert_problem(
        await client.get(
            f"{API}/properties/{prop['id']}/inventory", headers=desk, params={"room_type_id": rt["id"]}
        ),
        404,
        "property.not_found",
    )
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(PropertyMembership)) == 1
    outbox = (await client.get("/dev/outbox.json")).json()
    assert outbox is not None


async def test_platform_admin_sees_and_manages_every_property(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, _rt = await make_hotel(client, owner)
    admin = await make_admin(ctx, client)
    r = await client.patch(f"{API}/properties/{prop['id']}", headers=admin, json={"star_rating": 5})
    assert r.status_code == 200 and r.json()["star_rating"] == 5
    listing = await client.get(f"{API}/staff/properties", headers=admin)
    assert listing.json()["total"] == 1
    assert_problem(
        await client.get(f"{API}/properties/00000000-0000-0000-0000-000000000000/manage", headers=admin),
        404,
        "property.not_found",
    )


async def test_room_types_and_rooms_validation(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop = await create_property(
        client, owner, currency="JPY", timezone="Asia/Tokyo", country="JP", city="Tokyo"
    )
    base = f"{API}/properties/{prop['id']}/room-types"
    for bad in (
        {"base_price": "-1"},
        {"base_price": "100.5"},
        {"base_price": {"amount": "100", "currency": "EUR"}},
        {"capacity": 0},
        {"capacity": 1000},
        {"code": "has space"},
        {"base_price": 12.5},
    ):
        body = {"code": "STD", "name": "Standard", "capacity": 2, "base_price": "12000", **bad}
        assert_problem(await client.post(base, headers=owner, json=body), 422)
    rt = await add_room_type(client, owner, prop["id"], code="STD", price="12000", rooms=1)
    assert rt["base_price"] == {"amount": "12000", "currency": "JPY"}
    assert_problem(
        await client.post(
            base, headers=owner, json={"code": "STD", "name": "Again", "capacity": 2, "base_price": "1"}
        ),
        409,
        "room_type.code_taken",
    )
    dup_room = await client.post(
        f"{API}/properties/{prop['id']}/rooms",
        headers=owner,
        json={"room_type_id": rt["id"], "number": "STD-1"},
    )
    assert_problem(dup_room, 409, "room.number_taken")
    patched = await client.patch(
        f"{base}/{rt['id']}", headers=owner, json={"base_price": "15000", "capacity": 3}
    )
    assert patched.status_code == 200 and patched.json()["base_price"]["amount"] == "15000"
