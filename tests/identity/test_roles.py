"""Roles at a property: the one table of who may do what (``identity.permissions``), checked against
``shared/API.md``, and ``property_action``, the one dependency that scopes staff endpoints by it.
Every real staff route is checked against the table in ``tests/catalog/test_isolation.py``."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.deps import property_action
from innkeeper.identity.models import PropertyMembership, PropertyRole
from innkeeper.identity.permissions import BOOKER_ACTIONS, ROLE_ACTIONS, Action, permits, roles_for
from innkeeper.kit.http import UnitOfWorkRoute
from tests.helpers import assert_problem, bearer, signup
from tests.identity.test_admin import make_admin

R = PropertyRole
BOOKING_ACTIONS = frozenset(a for a in Action if a.value.startswith("booking."))

router = APIRouter(route_class=UnitOfWorkRoute)


@router.get("/__staff/{property_id}/rates", dependencies=[Depends(property_action(Action.rates_manage))])
async def rates(property_id: uuid.UUID) -> dict[str, str]:
    return {"property_id": str(property_id)}


@router.get("/__staff/{property_id}/rooms", dependencies=[Depends(property_action(Action.rooms_view))])
async def rooms(property_id: uuid.UUID) -> dict[str, str]:
    return {"property_id": str(property_id)}


@pytest.fixture
def extra_routers() -> tuple[APIRouter, ...]:
    """The two endpoints above join the app when it is built (and the built app is reused)."""
    return (router,)


def test_every_role_has_its_actions() -> None:
    assert set(ROLE_ACTIONS) == set(PropertyRole)
    assert not permits("janitor", Action.rooms_view)  # an unknown role may do nothing


def test_the_table_says_what_api_md_says() -> None:
    # owner, manager: everything at their property
    assert ROLE_ACTIONS[R.owner] == ROLE_ACTIONS[R.manager] == frozenset(Action)
    # front desk: bookings, guests, check-in/out, payments at the desk; reports read-only
    desk = ROLE_ACTIONS[R.front_desk]
    assert desk >= BOOKING_ACTIONS | {Action.reports_view, Action.rooms_view}
    assert not desk & {
        Action.property_manage,
        Action.members_view,
        Action.members_manage,
        Action.rooms_manage,
        Action.inventory_manage,
        Action.rates_manage,
    }
    # housekeeping: the rooms list and their housekeeping status only; moderator: reviews only
    assert ROLE_ACTIONS[R.housekeeping] == {
        Action.property_view,
        Action.rooms_view,
        Action.rooms_housekeeping,
    }
    assert ROLE_ACTIONS[R.moderator] == {Action.property_view, Action.reviews_moderate}
    for role in (R.housekeeping, R.moderator):
        assert not ROLE_ACTIONS[role] & BOOKING_ACTIONS, role
    assert roles_for(Action.booking_view) >= {R.owner, R.manager, R.front_desk}
    assert not roles_for(Action.booking_view) & {R.housekeeping, R.moderator}


def test_a_booker_may_see_change_and_pay_but_not_do_the_desks_work() -> None:
    assert BOOKER_ACTIONS == {Action.booking_view, Action.booking_change, Action.booking_payment}


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


async def test_property_action(client: httpx.AsyncClient, ctx: AppContext) -> None:
    hotel, other_hotel = await make_property(ctx, "Hotel"), await make_property(ctx, "Other")
    owner, desk, keeper, moderator, stranger = [await signup(client) for _ in range(5)]
    await add_member(ctx, hotel, owner, R.owner)
    await add_member(ctx, hotel, desk, R.front_desk)
    await add_member(ctx, hotel, keeper, R.housekeeping)
    await add_member(ctx, hotel, moderator, R.moderator)
    await add_member(ctx, other_hotel, stranger, R.owner)
    admin = await make_admin(client, ctx)

    assert (await client.get(f"/__staff/{hotel}/rates", headers=bearer(owner))).status_code == 200
    for member in (desk, keeper):
        assert (await client.get(f"/__staff/{hotel}/rooms", headers=bearer(member))).status_code == 200
        assert_problem(await client.get(f"/__staff/{hotel}/rates", headers=bearer(member)), 403, "auth.role")
    assert_problem(await client.get(f"/__staff/{hotel}/rooms", headers=bearer(moderator)), 403, "auth.role")
    # another tenant's property does not exist for them
    for path in ("rates", "rooms"):
        assert_problem(
            await client.get(f"/__staff/{hotel}/{path}", headers=bearer(stranger)), 404, "property.not_found"
        )
        assert_problem(await client.get(f"/__staff/{other_hotel}/{path}", headers=bearer(owner)), 404)
        assert (await client.get(f"/__staff/{other_hotel}/{path}", headers=bearer(admin))).status_code == 200
        assert_problem(await client.get(f"/__staff/{hotel}/{path}"), 401)
