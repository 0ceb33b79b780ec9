"""Staff: rate rules and promo codes of a property; platform admins: global promo codes."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response, status

from innkeeper.catalog.errors import PropertyNotFound, RoomTypeNotFound
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, PlatformAdmin, property_action
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import JSON_WRITE, problem_responses
from innkeeper.pricing import service
from innkeeper.pricing.errors import PromoExists, PromoInvalid, PromoNotFound, RuleNotFound
from innkeeper.pricing.schemas import PromoCodeIn, PromoCodeOut, RateRuleIn, RateRuleOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["pricing"], responses=problem_responses(401, 422))
#: ``property_action`` answers a stranger 404, a member whose role may not 403
SCOPED = (PropertyNotFound, (403, "auth.role"))
ADMIN = ((403, "auth.admin_only"),)
ManageRates = Depends(property_action(Action.rates_manage))


@router.get(
    "/properties/{property_id}/rate-rules",
    dependencies=[ManageRates],
    response_model=ListOf[RateRuleOut],
    responses=problem_responses(*SCOPED),
)
async def list_rules(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [service.rule_to_api(r) for r in await service.list_rules(session, property_id)]
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/rate-rules",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRates],
    response_model=RateRuleOut,
    responses=problem_responses(*SCOPED, RoomTypeNotFound, *JSON_WRITE),
)
async def create_rule(
    property_id: uuid.UUID, data: RateRuleIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    return service.rule_to_api(await service.create_rule(session, prop, data, actor))


@router.delete(
    "/properties/{property_id}/rate-rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageRates],
    response_class=Response,
    responses=problem_responses(*SCOPED, RuleNotFound, 429),
)
async def delete_rule(
    property_id: uuid.UUID, rule_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    prop = await get_property(session, property_id)
    await service.delete_rule(session, prop, rule_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/properties/{property_id}/promo-codes",
    dependencies=[ManageRates],
    response_model=ListOf[PromoCodeOut],
    responses=problem_responses(*SCOPED),
)
async def list_promos(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [service.promo_to_api(p) for p in await service.list_promos(session, property_id)]
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/promo-codes",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRates],
    response_model=PromoCodeOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, PromoInvalid, PromoExists),
)
async def create_promo(
    property_id: uuid.UUID, data: PromoCodeIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    return service.promo_to_api(await service.create_promo(session, prop, data, actor))


@router.delete(
    "/properties/{property_id}/promo-codes/{promo_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageRates],
    response_class=Response,
    responses=problem_responses(*SCOPED, PromoNotFound, 429),
)
async def deactivate_promo(
    property_id: uuid.UUID, promo_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    await get_property(session, property_id)
    await service.deactivate_promo(session, property_id, promo_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/admin/promo-codes", response_model=ListOf[PromoCodeOut], responses=problem_responses(*ADMIN))
async def list_global_promos(_admin: PlatformAdmin, session: DbSession) -> dict[str, Any]:
    items = [service.promo_to_api(p) for p in await service.list_promos(session, None)]
    return {"items": items, "total": len(items)}


@router.post(
    "/admin/promo-codes",
    status_code=status.HTTP_201_CREATED,
    response_model=PromoCodeOut,
    responses=problem_responses(*ADMIN, *JSON_WRITE, PromoInvalid, PromoExists),
)
async def create_global_promo(
    _admin: PlatformAdmin, data: PromoCodeIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    return service.promo_to_api(await service.create_promo(session, None, data, actor))
