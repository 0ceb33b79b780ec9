"""``property_roles``: the one dependency that scopes staff endpoints to the caller's properties."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.deps import property_roles
from innkeeper.identity.models import PropertyMembership, PropertyRole
from innkeeper.kit.http import UnitOfWorkRoute
from tests.helpers import assert_problem, bearer, signup
from tests.identity.test_admin import make_admin


@pytest.fixture
def staff_app(app: Any) -> Any:
    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.get(
        "/__staff/{property_id}/rates",
        dependencies=[Depends(property_roles(PropertyRole.owner, PropertyRole.manager))],
    )
    async def rates(property_id: uuid.UUID) -> dict[str, str]:
        return {"property_id": str(property_id)}

    @router.get("/__staff/{property_id}/rooms", dependencies=[Depends(property_roles())])
    async def rooms(property_id: uuid.UUID) -> dict[str, str]:
        return {"property_id": str(property_id)}

    app.include_router(router)
    return app


async def add_member(
    ctx: AppContext, property_id: uuid.UUID, tokens: dict[str, Any], role: PropertyRole
) -> None:
    async with ctx.db.unit_of_work() as session:
        session.add(
            PropertyMembership(
                property_id=property_id, user_id=uuid.UUID(tokens["user"]["id"]), role=role.value
            )
        )


async def make_property(ctx: AppContext, name: str) -> uuid.UUID:
    prop = Property(
        kind="hotel",
        name=name,
        slug=f"{name.lower()}-{uuid.uuid4().hex[:6]}",
        city="Lisbon",
        city_key="lisbon",
        country="PT",
        timezone="Europe/Lisbon",
        currency="EUR",
    )
    async with ctx.db.unit_of_work() as session:
        session.add(prop)
        await session.flush()
        return prop.id


async def test_property_roles(staff_app: Any, client: httpx.AsyncClient, ctx: AppContext) -> None:
    hotel, other_hotel = await make_property(ctx, "Hotel"), await make_property(ctx, "Other")
    owner, desk, stranger = await signup(client), await signup(client), await signup(client)
    await add_member(ctx, hotel, owner, PropertyRole.owner)
    await add_member(ctx, hotel, desk, PropertyRole.front_desk)
    await add_member(ctx, other_hotel, stranger, PropertyRole.owner)
    admin = await make_admin(client, ctx)

    assert (await client.get(f"/__staff/{hotel}/rates", headers=bearer(owner))).status_code == 200
    assert (await client.get(f"/__staff/{hotel}/rooms", headers=bearer(desk))).status_code == 200
    assert_problem(await client.get(f"/__staff/{hotel}/rates", headers=bearer(desk)), 403, "auth.role")
    # another tenant's property does not exist for them
    for path in ("rates", "rooms"):
        assert_problem(
            await client.get(f"/__staff/{hotel}/{path}", headers=bearer(stranger)), 404, "property.not_found"
        )
        assert_problem(await client.get(f"/__staff/{other_hotel}/{path}", headers=bearer(owner)), 404)
        assert (await client.get(f"/__staff/{other_hotel}/{path}", headers=bearer(admin))).status_code == 200
        assert_problem(await client.get(f"/__staff/{hotel}/{path}"), 401)
