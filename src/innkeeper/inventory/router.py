"""Staff inventory endpoints: read the calendar of a room type, bulk-update a range."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError

from innkeeper.catalog.errors import PropertyNotFound, RoomTypeNotFound
from innkeeper.catalog.models import Property
from innkeeper.catalog.rooms import parse_price
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, Ctx, property_action
from innkeeper.identity.permissions import Action
from innkeeper.inventory import service
from innkeeper.inventory.errors import OutsideHorizon
from innkeeper.inventory.schemas import (
    InventoryCalendarOut,
    InventoryUpdatedOut,
    InventoryUpdateIn,
    parse_weekdays,
)
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute, field_errors
from innkeeper.kit.problems import JSON_WRITE, problem_responses

# every route is scoped to a property by ``property_action``: 401, 404 to a stranger, 403 by role
router = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["inventory"],
    responses=problem_responses(401, (403, "auth.role"), 422, PropertyNotFound, RoomTypeNotFound),
)

ViewInventory = Depends(property_action(Action.inventory_view))
ManageInventory = Depends(property_action(Action.inventory_manage))


@router.get(
    "/properties/{property_id}/inventory",
    dependencies=[ViewInventory],
    response_model=InventoryCalendarOut,
    responses=problem_responses((422, "inventory.invalid_range")),
)
async def read_inventory(
    property_id: uuid.UUID,
    session: DbSession,
    room_type_id: uuid.UUID,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    await service.room_type_of(session, prop.id, room_type_id)
    start = from_ or service.local_today(prop.timezone)
    end = to or start + timedelta(days=31)
    if end <= start or (end - start).days > 400:
        raise ValidationFailed("'to' must be after 'from', at most 400 days", code="inventory.invalid_range")
    days = (await service.get_days(session, [room_type_id], start, end)).get(room_type_id, {})
    items = [service.day_to_api(days[d]) for d in sorted(days)]
    return {"items": items, "total": len(items), "room_type_id": str(room_type_id)}


def _changes(prop: Property, body: InventoryUpdateIn) -> list[service.DayChange]:
    try:
        ranges = body.ranges()
    except ValidationError as exc:
        raise ValidationFailed("The request has invalid fields", errors=field_errors(exc.errors())) from exc
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": "items", "message": str(exc), "type": "shape"}]
        ) from exc
    changes = []
    for i, r in enumerate(ranges):
        values: dict[str, Any] = {}
        fields = r.model_fields_set
        if "price" in fields:
            values["price_minor"] = (
                None if r.price is None else parse_price(r.price, prop.currency, f"items.{i}.price")
            )
        for key in ("closed", "min_stay", "closed_to_arrival", "closed_to_departure"):
            if key in fields:
                if getattr(r, key) is None:
                    raise ValidationFailed(
                        f"{key} cannot be null",
                        errors=[{"field": key, "message": "cannot be null", "type": "null"}],
                    )
                values[key] = getattr(r, key)
        if "max_stay" in fields:
            values["max_stay"] = r.max_stay
        changes.append(service.DayChange(r.room_type_id, r.from_, r.to, parse_weekdays(r.weekdays), values))
    return changes


@router.put(
    "/properties/{property_id}/inventory",
    dependencies=[ManageInventory],
    response_model=InventoryUpdatedOut,
    responses=problem_responses(*JSON_WRITE, OutsideHorizon, (422, "inventory.invalid_range")),
)
async def update_inventory(
    property_id: uuid.UUID, body: InventoryUpdateIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    changes = _changes(prop, body)
    updated = await service.bulk_update(session, prop, changes, ctx.settings.inventory_horizon_days, actor)
    return {"updated": updated}
