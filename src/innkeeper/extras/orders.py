"""Service orders on a booking: placing one (windows, times, price), reading them, and who may act.

Ordering windows: *pre-stay* orders from ``confirmed`` until check-in (the service must be offered
``pre_stay``), *in-stay* orders while ``checked_in`` (``in_stay``); otherwise 409
``service.not_available_now``, as for a time inside the service's lead time, outside its opening hours
or past its daily cut-off. A time in the past or outside the stay (from the day before arrival to the
departure day) is bad input, 422.

Scoping goes through ``bookings.access`` (the one place bookings are scoped): placing and cancelling
are ``booking.change`` (the booker, or the front desk), the queue and the other moves are
``service_orders.handle`` (staff only: a booker gets 404, a housekeeper 403).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings import access
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property
from innkeeper.extras import catalog
from innkeeper.extras.errors import (
    OrderIllegalTransition,
    OrderInvalid,
    OrderNotFound,
    ServiceNotAvailableNow,
    ServiceNotFound,
    field_error,
)
from innkeeper.extras.lifecycle import GUEST_CANCELLABLE, local, record_event
from innkeeper.extras.models import (
    OPEN_STATUSES,
    Category,
    OrderStatus,
    Service,
    ServiceOrder,
    ServiceOrderEvent,
)
from innkeeper.extras.schemas import OrderIn
from innkeeper.identity.permissions import Action, permits, role_at
from innkeeper.kit.clock import utcnow
from innkeeper.kit.money import Money
from innkeeper.pricing.engine import stay_amounts

#: what a category needs in ``details`` to be delivered at all
REQUIRED_DETAILS = {
    Category.airport_transfer: ("flight_number", "an airport transfer needs the flight number"),
    Category.cab: ("pickup_address", "a cab needs a pickup address"),
}


# -- answers ------------------------------------------------------------------------------------------


def order_to_api(o: ServiceOrder, reference: str, prop: Property) -> dict[str, Any]:
    m = lambda minor: Money(minor, o.currency).to_api()  # noqa: E731
    return {
        "id": str(o.id),
        "booking_id": str(o.booking_id),
        "booking_reference": reference,
        "property_id": str(o.property_id),
        "service_id": str(o.service_id),
        "service_code": o.service_code,
        "service_name": o.service_name,
        "category": o.category,
        "department": o.department,
        "unit": o.unit,
        "quantity": o.quantity,
        "unit_price": m(o.unit_price_minor),
        "subtotal": m(o.subtotal_minor),
        "tax": m(o.tax_minor),
        "tax_included": o.tax_included,
        "total": m(o.total_minor),
        "stage": o.stage,
        "scheduled_for": local(o.scheduled_for, prop.timezone),
        "notes": o.notes,
        "details": o.details,
        "status": o.status,
        "reason": o.reason,
        "delivered_at": local(o.delivered_at, prop.timezone),
        "created_at": local(o.created_at, prop.timezone),
        "updated_at": local(o.updated_at, prop.timezone),
    }


def event_to_api(e: ServiceOrderEvent, prop: Property) -> dict[str, Any]:
    return {
        "at": local(e.at, prop.timezone),
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_user_id": str(e.actor_user_id) if e.actor_user_id else None,
        "data": e.data,
    }


# -- placing ------------------------------------------------------------------------------------------


def _stage(b: Booking, service: Service) -> str:
    if b.status == Status.confirmed:
        if not service.pre_stay:
            raise ServiceNotAvailableNow(f"{service.name} is ordered during the stay only")
        return "pre_stay"
    if b.status == Status.checked_in:
        if not service.in_stay:
            raise ServiceNotAvailableNow(f"{service.name} is ordered before arrival only")
        return "in_stay"
    raise ServiceNotAvailableNow(
        f"Services are ordered from the booking's confirmation until check-out; it is {b.status}",
        status_now=b.status,
    )


def _is_open(service: Service, at: time) -> bool:
    opens, closes = service.opens_at, service.closes_at
    if opens is None or closes is None:
        return True
    if opens < closes:
        return opens <= at < closes
    return at >= opens or at < closes  # open past midnight


def _when(data: OrderIn, service: Service, b: Booking, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The order's time as an aware UTC instant (a naive one is property-local), checked as input."""
    if data.scheduled_for is None:
        if service.needs_time:
            raise field_error(OrderInvalid, "scheduled_for", f"{service.name} needs a time")
        return None
    when = data.scheduled_for
    when = (when.replace(tzinfo=tz) if when.tzinfo is None else when).astimezone(UTC)
    if when < now:
        raise field_error(OrderInvalid, "scheduled_for", "is in the past")
    day = when.astimezone(tz).date()
    if not b.checkin - timedelta(days=1) <= day <= b.checkout:
        raise field_error(
            OrderInvalid, "scheduled_for", "must fall between the day before arrival and the departure day"
        )
    return when


def _check_time(service: Service, when: datetime | None, stage: str, tz: ZoneInfo, now: datetime) -> None:
    """Lead time, opening hours, daily cut-off: 409 ``service.not_available_now``."""
    if when is not None and when < now + timedelta(minutes=service.lead_time_minutes):
        raise ServiceNotAvailableNow(
            f"{service.name} needs {service.lead_time_minutes} minutes' notice",
            earliest=local(now + timedelta(minutes=service.lead_time_minutes), tz.key),
        )
    at = when or now
    # a pre-stay order without a time is delivered on arrival: today's hours say nothing about it
    if (when is not None or stage == "in_stay") and not _is_open(service, at.astimezone(tz).time()):
        assert service.opens_at is not None and service.closes_at is not None
        raise ServiceNotAvailableNow(
            f"{service.name} is available from {service.opens_at:%H:%M} to {service.closes_at:%H:%M}"
        )
    cutoff = service.order_cutoff
    now_local = now.astimezone(tz)
    if cutoff is not None and at.astimezone(tz).date() == now_local.date() and now_local.time() >= cutoff:
        raise ServiceNotAvailableNow(f"{service.name} is ordered for today until {cutoff:%H:%M}")


def _details(data: OrderIn, service: Service) -> dict[str, Any] | None:
    details = data.details.model_dump(exclude_none=True) if data.details else {}
    need = REQUIRED_DETAILS.get(Category(service.category))
    if need is not None and not details.get(need[0]):
        raise field_error(OrderInvalid, f"details.{need[0]}", need[1])
    return details or None


def _price(prop: Property, service: Service, quantity: int) -> dict[str, Any]:
    """The order's amounts, copied onto it: unit price x quantity, VAT through the pricing engine's
    tax code (``stay_amounts`` with no nights: no city tax, no discounts)."""
    subtotal = service.price_minor * quantity
    amounts = stay_amounts(prop, subtotal, nights=0, guests=1, loyalty_bp=0, promo=None)
    label = f"VAT {prop.vat_bp / 100:g}%" if prop.vat_bp else None
    return {
        "unit_price_minor": service.price_minor,
        "subtotal_minor": subtotal,
        "tax_minor": amounts.vat,
        "tax_included": amounts.vat_included,
        "tax_label": label,
        "total_minor": amounts.total,
    }


async def place(
    session: AsyncSession, b: Booking, data: OrderIn, actor: Actor, user_id: uuid.UUID | None
) -> tuple[ServiceOrder, Property]:
    """Place an order on ``b`` (row-locked by the caller): priced now, ``requested``."""
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    service = await catalog.by_code(session, b.property_id, data.service_code)
    if service is None or not service.is_active:
        raise ServiceNotFound(f"The property offers no service {data.service_code!r}")
    tz, now = ZoneInfo(prop.timezone), utcnow()
    stage = _stage(b, service)
    details = _details(data, service)
    when = _when(data, service, b, tz, now)
    _check_time(service, when, stage, tz, now)
    order = ServiceOrder(
        id=uuid.uuid4(),
        property_id=b.property_id,
        booking_id=b.id,
        service_id=service.id,
        service_code=service.code,
        service_name=service.name,
        category=service.category,
        department=service.department,
        unit=service.unit,
        quantity=data.quantity,
        currency=service.currency,
        stage=stage,
        scheduled_for=when,
        notes=data.notes or None,
        details=details,
        status=OrderStatus.requested.value,
        placed_by_user_id=user_id,
        **_price(prop, service, data.quantity),
    )
    session.add(order)
    await session.flush()
    await record_event(
        session,
        order,
        actor,
        "requested",
        from_status=None,
        data={"service_code": service.code, "quantity": str(data.quantity), "stage": stage},
    )
    return order, prop


# -- access -------------------------------------------------------------------------------------------


async def order_for(
    session: AsyncSession, order_id: uuid.UUID, caller: Caller, *, action: Action
) -> tuple[ServiceOrder, Booking]:
    """The order and its booking, both row-locked (booking first, the order a placement and a
    cancellation lock in too), if ``caller`` may do ``action`` with the booking; 404
    ``service_order.not_found`` for anyone who may not see the booking, 403 for a role that may not."""
    booking_id = await session.scalar(select(ServiceOrder.booking_id).where(ServiceOrder.id == order_id))
    if booking_id is None:
        raise OrderNotFound()
    try:
        b = await access.load(session, booking_id, caller, action=action, lock=True)
    except BookingNotFound as exc:
        raise OrderNotFound() from exc
    order = await session.scalar(
        select(ServiceOrder)
        .where(ServiceOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert order is not None
    return order, b


async def handles_orders(session: AsyncSession, caller: Caller, b: Booking) -> bool:
    """Whether the caller is staff who handle the property's orders (or a platform admin)."""
    user = caller.user
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    role = await role_at(session, user.id, b.property_id)
    return role is not None and permits(role, Action.service_orders)


async def check_may_cancel(session: AsyncSession, caller: Caller, order: ServiceOrder, b: Booking) -> None:
    """The booker cancels an order while it is requested or accepted; staff who handle orders also
    later; cancelling a cancelled order is a harmless repeat. 409 ``service_order.illegal_transition``."""
    status = OrderStatus(order.status)
    if status in GUEST_CANCELLABLE or status == OrderStatus.cancelled:
        return
    if not await handles_orders(session, caller, b):
        raise OrderIllegalTransition(
            f"The order is {order.status}: only staff can cancel it now", status_now=order.status
        )


# -- reading ------------------------------------------------------------------------------------------


def _with_reference() -> Select[ServiceOrder, str]:
    return select(ServiceOrder, Booking.reference).join(Booking, Booking.id == ServiceOrder.booking_id)


async def of_booking(session: AsyncSession, b: Booking) -> list[ServiceOrder]:
    rows = await session.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.booking_id == b.id)
        .order_by(ServiceOrder.created_at, ServiceOrder.id)
    )
    return list(rows.all())


async def history(session: AsyncSession, order_id: uuid.UUID) -> list[ServiceOrderEvent]:
    rows = await session.scalars(
        select(ServiceOrderEvent)
        .where(ServiceOrderEvent.order_id == order_id)
        .order_by(ServiceOrderEvent.at, ServiceOrderEvent.id)
    )
    return list(rows.all())


async def queue(
    session: AsyncSession,
    prop: Property,
    *,
    status: str | None,
    category: str | None,
    department: str | None,
    day: date | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[ServiceOrder, str]], int]:
    """The property's orders by scheduled time (orders without one by when they were placed),
    filtered by status, category, department and property-local day."""
    when = func.coalesce(ServiceOrder.scheduled_for, ServiceOrder.created_at)
    stmt = _with_reference().where(ServiceOrder.property_id == prop.id)
    if status:
        stmt = stmt.where(ServiceOrder.status == status)
    if category:
        stmt = stmt.where(ServiceOrder.category == category)
    if department:
        stmt = stmt.where(ServiceOrder.department == department)
    if day is not None:
        tz = ZoneInfo(prop.timezone)
        start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        stmt = stmt.where(when >= start, when < end)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.execute(stmt.order_by(when, ServiceOrder.id).limit(limit).offset(offset))
    return [(o, ref) for o, ref in rows.all()], total


async def open_orders(
    session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False
) -> list[ServiceOrder]:
    stmt = select(ServiceOrder).where(
        ServiceOrder.booking_id == booking_id,
        ServiceOrder.status.in_([s.value for s in OPEN_STATUSES]),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await session.scalars(stmt.order_by(ServiceOrder.id))).all())
