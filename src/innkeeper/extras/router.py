"""Services and service orders over HTTP (thin: parse, scope, call ``extras.catalog``/``orders``/
``lifecycle``, present).

Catalog: staff routes under ``/properties/{property_id}/services`` (``services.manage`` to create and
change); the public list at ``/properties/{slug}/services`` (active services of an active property).
Orders: placed on a booking by its booker or the desk (``booking.change``, ``Idempotency-Key``), read
with the booking (``booking.view``), handled by staff (``service_orders.handle``) from the property's
queue and the ``/service-orders/{id}/…`` moves."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from innkeeper.bookings import access
from innkeeper.bookings.deps import CallerDep
from innkeeper.bookings.problems import SCOPED
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.service import get_property
from innkeeper.extras import catalog, lifecycle, orders
from innkeeper.extras.errors import (
    OrderIllegalTransition,
    OrderInvalid,
    OrderNotFound,
    ServiceCodeTaken,
    ServiceInvalid,
    ServiceNotAvailableNow,
    ServiceNotFound,
)
from innkeeper.extras.models import OrderStatus
from innkeeper.extras.schemas import (
    CategoryIn,
    DepartmentIn,
    MoveIn,
    OrderDetailOut,
    OrderIn,
    OrderListOut,
    OrderOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    StatusIn,
)
from innkeeper.identity.deps import (
    ActorDep,
    AnonymousReads,
    Ctx,
    OptionalUser,
    property_action,
    require_action,
)
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import Unauthorized
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import IDEMPOTENT, JSON_WRITE, problem_responses
from innkeeper.kit.schemas import WrongCurrency

router = APIRouter(route_class=UnitOfWorkRoute, tags=["services"], responses=problem_responses(422))
STAFF = (401, PropertyNotFound, (403, "auth.role"))
ORDER = (401, OrderNotFound, (403, "auth.role"))

ManageServices = Depends(property_action(Action.services_manage))
HandleOrders = Depends(property_action(Action.service_orders))
BASE = "/properties/{property_id}/services"


# -- catalog ------------------------------------------------------------------------------------------


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageServices],
    response_model=ServiceOut,
    responses=problem_responses(*STAFF, *JSON_WRITE, ServiceInvalid, ServiceCodeTaken, WrongCurrency),
)
async def create_service(
    property_id: uuid.UUID, data: ServiceIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    return catalog.service_to_api(await catalog.create_service(session, prop, data, actor))


@router.get(
    BASE + "/{service_id}",
    dependencies=[HandleOrders],
    response_model=ServiceOut,
    responses=problem_responses(*STAFF, ServiceNotFound),
)
async def get_service(property_id: uuid.UUID, service_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    return catalog.service_to_api(await catalog.service_of(session, property_id, service_id))


@router.patch(
    BASE + "/{service_id}",
    dependencies=[ManageServices],
    response_model=ServiceOut,
    responses=problem_responses(*STAFF, ServiceNotFound, *JSON_WRITE, ServiceInvalid, WrongCurrency),
)
async def update_service(
    property_id: uuid.UUID, service_id: uuid.UUID, data: ServicePatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    s = await catalog.service_of(session, property_id, service_id)
    return catalog.service_to_api(await catalog.update_service(session, prop, s, data, actor))


@router.get(
    "/properties/{slug}/services",
    tags=["catalog"],
    dependencies=[AnonymousReads],
    response_model=ListOf[ServiceOut],
    responses=problem_responses(PropertyNotFound, 429, 401, (403, "auth.role")),
)
async def list_services(
    slug: Annotated[str, Path(max_length=200, description="The property's slug (or, for staff, its id)")],
    session: DbSession,
    user: OptionalUser,
    category: CategoryIn | None = None,
    include_inactive: Annotated[
        bool, Query(description="Staff of the property (who handle orders): inactive services too")
    ] = False,
) -> dict[str, Any]:
    """The services a guest can order at an active property (active ones only); staff who handle the
    property's orders may ask for the inactive ones too (``include_inactive``, by slug or id)."""
    prop = await catalog.property_by_ref(session, slug, active_only=not include_inactive)
    if include_inactive:
        if user is None:
            raise Unauthorized("Sign in to see inactive services")
        if prop is None:
            raise PropertyNotFound()
        await require_action(session, user, prop.id, Action.service_orders)
    if prop is None:
        raise PropertyNotFound()
    rows = await catalog.list_services(session, prop.id, category=category, active_only=not include_inactive)
    items = [catalog.service_to_api(s) for s in rows]
    return {"items": items, "total": len(items)}


# -- orders -------------------------------------------------------------------------------------------


@router.post(
    "/bookings/{booking_id}/service-orders",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=OrderOut,
    responses=problem_responses(
        *SCOPED, *JSON_WRITE, *IDEMPOTENT, ServiceNotFound, ServiceNotAvailableNow, OrderInvalid
    ),
)
async def place_order(
    booking_id: uuid.UUID, data: OrderIn, caller: CallerDep, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    """Order a service on the booking (its booker, or the desk): pre-stay from ``confirmed``, in-stay
    while ``checked_in``; priced now. 409 ``service.not_available_now`` outside those windows, inside
    the lead time, outside opening hours or after the day's cut-off."""
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    user_id = caller.user.id if caller.user else None
    order, prop = await orders.place(session, b, data, actor, user_id)
    return orders.order_to_api(order, b.reference, prop)


@router.get(
    "/bookings/{booking_id}/service-orders",
    response_model=OrderListOut,
    responses=problem_responses(*SCOPED),
)
async def booking_orders(booking_id: uuid.UUID, caller: CallerDep, session: DbSession) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    prop = await get_property(session, b.property_id)
    items = [orders.order_to_api(o, b.reference, prop) for o in await orders.of_booking(session, b)]
    return {"items": items, "total": len(items)}


@router.get(
    "/properties/{property_id}/service-orders",
    dependencies=[HandleOrders],
    response_model=OrderListOut,
    responses=problem_responses(*STAFF),
)
async def order_queue(
    property_id: uuid.UUID,
    session: DbSession,
    page: PageParams,
    status_: Annotated[StatusIn | None, Query(alias="status")] = None,
    category: CategoryIn | None = None,
    department: DepartmentIn | None = None,
    day: Annotated[date | None, Query(alias="date", description="Property-local day of the orders")] = None,
) -> dict[str, Any]:
    """The staff queue: the property's orders by scheduled time (unscheduled ones by when placed)."""
    prop = await get_property(session, property_id)
    rows, total = await orders.queue(
        session,
        prop,
        status=status_,
        category=category,
        department=department,
        day=day,
        limit=page.limit,
        offset=page.offset,
    )
    return {"items": [orders.order_to_api(o, ref, prop) for o, ref in rows], "total": total}


@router.get("/service-orders/{order_id}", response_model=OrderDetailOut, responses=problem_responses(*ORDER))
async def get_order(order_id: uuid.UUID, caller: CallerDep, session: DbSession) -> dict[str, Any]:
    """An order with its history (the booker, or staff who may see the booking)."""
    order, b = await orders.order_for(session, order_id, caller, action=Action.booking_view)
    prop = await get_property(session, b.property_id)
    out = orders.order_to_api(order, b.reference, prop)
    out["history"] = [orders.event_to_api(e, prop) for e in await orders.history(session, order.id)]
    return out


def _move_route(verb: str, to: OrderStatus) -> Callable[..., Awaitable[dict[str, Any]]]:
    guest_may = verb == "cancel"

    async def endpoint(
        order_id: uuid.UUID,
        caller: CallerDep,
        ctx: Ctx,
        session: DbSession,
        actor: ActorDep,
        data: MoveIn | None = None,
    ) -> dict[str, Any]:
        action = Action.booking_change if guest_may else Action.service_orders
        order, b = await orders.order_for(session, order_id, caller, action=action)
        if guest_may:
            await orders.check_may_cancel(session, caller, order, b)
        await lifecycle.move(ctx, session, order, b, to, actor, reason=data.reason if data else None)
        prop = await get_property(session, b.property_id)
        return orders.order_to_api(order, b.reference, prop)

    endpoint.__name__ = f"{verb}_order"
    endpoint.__doc__ = (
        f"Move the order to ``{to.value}`` (a repeat answers the order unchanged); 409 "
        "``service_order.illegal_transition`` when its status does not allow it."
        + (" The booker may cancel until the order is in progress; staff also then." if guest_may else "")
        + (" Posts its charge (and VAT) to the booking's folio, once." if to == OrderStatus.delivered else "")
    )
    return endpoint


for _verb, _to in lifecycle.MOVES.items():
    router.post(
        f"/service-orders/{{order_id}}/{_verb}",
        response_model=OrderOut,
        responses=problem_responses(*ORDER, *JSON_WRITE, OrderIllegalTransition),
    )(_move_route(_verb, _to))
