"""Service orders in the console: the queue (refreshed by htmx polling) with one-click moves
(accept, start, deliver, reject, cancel: the moves ``extras.lifecycle`` allows from each status), and
an order posted on a booking by the desk. The same use cases as ``/service-orders/{id}/{verb}`` and
``POST /bookings/{id}/service-orders``: delivering posts the charge to the folio once."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.bookings.access import Caller
from innkeeper.extras import lifecycle
from innkeeper.extras import orders as service_orders
from innkeeper.extras.errors import OrderNotFound
from innkeeper.extras.models import OrderStatus, ServiceOrder
from innkeeper.extras.schemas import OrderIn
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, NotFound, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.bookings import describe, load_booking
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import parse_int, text

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

QUEUE_ROWS = 100
POLL_SECONDS = 20
#: the queue's tabs: open orders first (what the shift works on)
FILTERS = ("open", "requested", "accepted", "in_progress", "delivered", "all")


def moves(order: ServiceOrder) -> list[str]:
    """The verbs the order's status allows now (a button each)."""
    now = OrderStatus(order.status)
    return [verb for verb, to in lifecycle.MOVES.items() if lifecycle.MACHINE.can(now, to)]


async def _queue(session: DbSession, staff: Staff, status: str) -> list[dict[str, Any]]:
    wanted = None if status in ("open", "all") else status
    rows, _total = await service_orders.queue(
        session,
        staff.prop,
        status=wanted,
        category=None,
        department=None,
        day=None,
        limit=QUEUE_ROWS,
        offset=0,
    )
    if status == "open":
        rows = [(o, ref) for o, ref in rows if not lifecycle.MACHINE.is_terminal(OrderStatus(o.status))]
    return [{**service_orders.order_to_api(o, ref, staff.prop), "moves": moves(o)} for o, ref in rows]


@router.get("/staff/p/{property_id}/orders")
async def queue_page(
    request: Request, property_id: uuid.UUID, session: DbSession, status: str = "open"
) -> Response:
    staff = await staff_at(request, session, property_id, Action.service_orders)
    status = status if status in FILTERS else "open"
    context = {"orders": await _queue(session, staff, status), "status": status, "filters": FILTERS}
    template = "staff/_orders.html" if "hx-request" in request.headers else "staff/orders.html"
    return page(request, staff, template, {**context, "poll": POLL_SECONDS, "error": None})


@router.post("/staff/p/{property_id}/orders/{order_id}/{verb}")
async def move_order(
    request: Request,
    property_id: uuid.UUID,
    order_id: uuid.UUID,
    verb: str,
    session: DbSession,
    _csrf: CsrfChecked,
) -> Response:
    staff = await staff_at(request, session, property_id, Action.service_orders)
    to = lifecycle.MOVES.get(verb)
    if to is None:
        raise NotFound("No such move")
    order, b = await service_orders.order_for(
        session, order_id, Caller(staff.user), action=Action.service_orders
    )
    if b.property_id != staff.prop.id:
        raise OrderNotFound()
    form = await request.form()
    await lifecycle.move(
        request.app.state.ctx,
        session,
        order,
        b,
        to,
        actor(request, staff),
        reason=text(form, "reason") or None,
    )
    status = text(form, "status", 20) or "open"
    if "hx-request" in request.headers:
        context = {"orders": await _queue(session, staff, status), "status": status, "filters": FILTERS}
        return page(request, staff, "staff/_orders.html", {**context, "poll": POLL_SECONDS})
    return redirect(f"{staff.base}/orders?status={status}")


@router.post("/staff/p/{property_id}/bookings/{booking_id}/orders")
async def place_order(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """An order the desk posts on the booking (pre-stay once confirmed, in-stay while checked in)."""
    staff, b = await load_booking(request, session, property_id, booking_id, Action.booking_change)
    form = await request.form()
    try:
        try:
            data = OrderIn(
                service_code=text(form, "service_code", 40),
                quantity=parse_int(form.get("quantity"), 1, 1, 100) or 1,
                notes=text(form, "notes", 1000) or None,
            )
        except ValidationError as exc:
            raise ValidationFailed("Choose a service and a quantity") from exc
        async with session.begin_nested():
            await service_orders.place(session, b, data, actor(request, staff), staff.user.id)
    except AppError as exc:
        await session.refresh(b)
        context = await describe(request, session, staff, b)
        return page(
            request, staff, "staff/booking.html", {**context, "done": "", "error": exc.detail}, exc.status
        )
    return redirect(f"{staff.base}/bookings/{b.id}?done=ordered")
