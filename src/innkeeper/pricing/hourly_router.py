"""Staff: peak / off-peak rates of an hourly resource (owner and manager: ``rates.manage``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response, status

from innkeeper.catalog.errors import PropertyNotFound, ResourceNotFound
from innkeeper.catalog.resources import resource_of
from innkeeper.identity.deps import ActorDep, property_action
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import JSON_WRITE, problem_responses
from innkeeper.pricing import hourly_rates
from innkeeper.pricing.errors import RateNotFound
from innkeeper.pricing.schemas import ResourceRateIn, ResourceRateOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["pricing"], responses=problem_responses(401, 422))
#: ``property_action`` answers a stranger 404, a member whose role may not 403
SCOPED = (PropertyNotFound, (403, "auth.role"), ResourceNotFound)
ManageRates = Depends(property_action(Action.rates_manage))
RATES = "/properties/{property_id}/resources/{resource_id}/rates"


@router.get(
    RATES,
    dependencies=[ManageRates],
    response_model=ListOf[ResourceRateOut],
    responses=problem_responses(*SCOPED),
)
async def list_rates(property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    """The resource's rates, most specific first: the first that covers a minute prices it."""
    resource = await resource_of(session, property_id, resource_id)
    items = [
        hourly_rates.rate_to_api(r, resource.currency)
        for r in await hourly_rates.list_rates(session, resource)
    ]
    return {"items": items, "total": len(items)}


@router.post(
    RATES,
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRates],
    response_model=ResourceRateOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE),
)
async def create_rate(
    property_id: uuid.UUID, resource_id: uuid.UUID, data: ResourceRateIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    resource = await resource_of(session, property_id, resource_id)
    rate = await hourly_rates.create_rate(session, resource, data, actor)
    return hourly_rates.rate_to_api(rate, resource.currency)


@router.delete(
    RATES + "/{rate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageRates],
    response_class=Response,
    responses=problem_responses(*SCOPED, RateNotFound, 429),
)
async def delete_rate(
    property_id: uuid.UUID, resource_id: uuid.UUID, rate_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    resource = await resource_of(session, property_id, resource_id)
    await hourly_rates.delete_rate(session, resource, rate_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
