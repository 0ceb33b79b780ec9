"""Bookings in the console: search (reference, name, phone), a booking taken by phone or at the desk
(the API's ``POST /properties/{id}/bookings`` use case), and the booking page with its guests
(documents masked), rooms, folio, payments, service orders and history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from innkeeper.billing import folio
from innkeeper.bookings import access
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.present import assignment_to_api, booking_to_api, event_to_api
from innkeeper.bookings.schemas import StaffBookingIn
from innkeeper.bookings.service import create as creating
from innkeeper.bookings.service import guests as guesting
from innkeeper.bookings.service import queries
from innkeeper.bookings.service.cancel import refund_preview
from innkeeper.catalog.models import Room, RoomType
from innkeeper.catalog.rooms import list_rooms
from innkeeper.extras import catalog as services
from innkeeper.extras import orders as service_orders
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import (
    field_messages,
    parse_int,
    parse_uuid,
    text,
    validation_messages,
)
from innkeeper.web.staff.once import FormToken

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

SEARCH_ROWS = 50
SOURCES = ("walk_in", "phone", "direct")


async def search_bookings(session: DbSession, staff: Staff, q: str) -> list[Booking]:
    """The property's bookings whose reference is ``q``, or whose contact name, e-mail or phone
    contains it (newest arrival first)."""
    needle = q.strip()
    if not needle:
        stmt = select(Booking).where(Booking.property_id == staff.prop.id)
    else:
        like = f"%{needle.lower()}%"
        digits = "".join(ch for ch in needle if ch.isdigit() or ch == "+")
        conditions = [
            Booking.reference == queries.normalise_reference(needle),
            Booking.contact_name.ilike(like),
            Booking.contact_email.ilike(like),
        ]
        if len(digits) >= 4:
            conditions.append(Booking.contact_phone.contains(digits))
        stmt = select(Booking).where(Booking.property_id == staff.prop.id, or_(*conditions))
    rows = await session.scalars(stmt.order_by(Booking.checkin.desc(), Booking.id.desc()).limit(SEARCH_ROWS))
    return list(rows.all())


@router.get("/staff/p/{property_id}/bookings")
async def bookings_page(
    request: Request, property_id: uuid.UUID, session: DbSession, q: str = ""
) -> Response:
    staff = await staff_at(request, session, property_id, Action.booking_view)
    found = await search_bookings(session, staff, q[:120])
    totals = await queries.folio_totals(session, found)
    items = [booking_to_api(b, totals[b.id]) for b in found]
    return page(request, staff, "staff/bookings.html", {"q": q[:120], "items": items})


async def _room_types(session: DbSession, staff: Staff) -> list[RoomType]:
    rows = await session.scalars(
        select(RoomType)
        .where(RoomType.property_id == staff.prop.id, RoomType.deleted_at.is_(None))
        .order_by(RoomType.name)
    )
    return list(rows.all())


def _new_form(staff: Staff, values: dict[str, Any] | None = None) -> dict[str, Any]:
    today = local_today(staff.prop.timezone)
    defaults = {
        "checkin": today.isoformat(),
        "checkout": "",
        "guests": "2",
        "rooms": "1",
        "source": "walk_in",
        # one-time token of this form: the Idempotency-Key of its post (a double submit makes one booking)
        "form_token": uuid.uuid4().hex,
    }
    return {**defaults, **(values or {})}


@router.get("/staff/p/{property_id}/bookings/new")
async def new_booking_page(request: Request, property_id: uuid.UUID, session: DbSession) -> Response:
    staff = await staff_at(request, session, property_id, Action.booking_create)
    context = {
        "room_types": await _room_types(session, staff),
        "v": _new_form(staff),
        "errors": {},
        "error": None,
    }
    return page(request, staff, "staff/new_booking.html", context)


def _booking_in(form: Any, staff: Staff) -> StaffBookingIn:
    contact: dict[str, Any] = {
        "name": text(form, "contact_name", 200),
        "email": text(form, "contact_email", 320),
    }
    if text(form, "contact_phone"):
        contact["phone"] = text(form, "contact_phone", 40)
    return StaffBookingIn.model_validate(
        {
            "room_type_id": text(form, "room_type_id", 40),
            "checkin": text(form, "checkin", 10),
            "checkout": text(form, "checkout", 10),
            "guests": parse_int(form.get("guests"), 2, 1, 1000),
            "rooms": parse_int(form.get("rooms"), 1, 1, 1000),
            "contact": contact,
            "source": text(form, "source", 20) or "walk_in",
            "confirm": form.get("confirm") == "1"
            and (staff.prop.payment_policy or {}).get("mode") == "at_property",
            "special_requests": text(form, "special_requests", 2000) or None,
        }
    )


@router.post("/staff/p/{property_id}/bookings/new")
async def create_booking(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.booking_create)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    context: dict[str, Any] = {"room_types": await _room_types(session, staff), "v": _new_form(staff, values)}
    try:
        data = _booking_in(form, staff)
    except ValidationError as exc:
        return page(
            request,
            staff,
            "staff/new_booking.html",
            {**context, "errors": validation_messages(exc), "error": "Please check what you entered"},
            422,
        )
    token = FormToken(request, staff, values) if values.get("form_token") else None
    if token is not None and (done := await token.replay(session)) is not None:
        return done  # the same form posted again: the answer (and booking) of the first post
    try:
        # a nested transaction: a refused booking leaves nothing behind, and the form is shown again
        async with session.begin_nested():
            booking, _ = await creating.create(
                request.app.state.ctx,
                session,
                data,
                user=staff.user,
                actor=actor(request, staff),
                staff_property=staff.prop,
            )
            response = redirect(f"{staff.base}/bookings/{booking.id}")
            if token is not None:  # stored with the booking, in its transaction
                await token.remember(session, response)
    except IntegrityError:
        # a concurrent post of the same form committed first; ours is rolled back: answer with theirs
        if token is None or (done := await token.replay(session)) is None:
            raise
        return done
    except AppError as exc:
        return page(
            request,
            staff,
            "staff/new_booking.html",
            {**context, "errors": field_messages(exc.errors), "error": exc.detail},
            exc.status,
        )
    return response


async def describe(request: Request, session: DbSession, staff: Staff, b: Booking) -> dict[str, Any]:
    """Everything the booking page shows, read through the services the API reads."""
    view = booking_to_api(
        b, await folio.totals(session, b), guests=await guesting.booking_guests(session, b.id)
    )
    assignments = [assignment_to_api(a, n) for a, n in await queries.room_assignments(session, b.id)]
    entries = [folio.entry_to_api(e) for e in await folio.entries(session, b.id)]
    rooms: list[Room] = []
    if b.room_type_id is not None and staff.can(Action.booking_check_in):
        rooms = [r for r in await list_rooms(session, staff.prop.id) if r.room_type_id == b.room_type_id]
    room_type = await session.get(RoomType, b.room_type_id) if b.room_type_id else None
    orders = await service_orders.of_booking(session, b)
    offered = []
    if b.status in (Status.confirmed, Status.checked_in) and staff.can(Action.booking_change):
        offered = await services.list_services(session, staff.prop.id, category=None, active_only=True)
    preview = None
    if b.status in CANCELLABLE and staff.can(Action.booking_change):
        preview = await refund_preview(session, b)
    return {
        "b": view,
        "room_type": room_type,
        "assignments": assignments,
        "active_rooms": [a for a in assignments if a["active"]],
        "entries": entries,
        "charges": [e for e in entries if e["kind"] == "charge"],
        "money_in": [e for e in entries if e["kind"] in ("payment", "refund")],
        "history": [event_to_api(e) for e in await queries.history(session, b.id)],
        "rooms": rooms,
        "orders": orders,
        "services": offered,
        "preview": preview,
        "today": local_today(staff.prop.timezone),
    }


CANCELLABLE = (Status.reserved, Status.guests_added, Status.payment_pending, Status.confirmed)


async def load_booking(
    request: Request, session: DbSession, property_id: uuid.UUID, booking_id: uuid.UUID, action: Action
) -> tuple[Staff, Booking]:
    """The booking through ``bookings.access`` (the API's scoping: 404 elsewhere, 403 for a role that
    may not), and only if it belongs to the property of the page's URL."""
    staff = await staff_at(request, session, property_id)
    lock = action != Action.booking_view
    b = await access.load(session, booking_id, Caller(staff.user), action=action, lock=lock)
    if b.property_id != staff.prop.id:
        raise BookingNotFound()
    return staff, b


@router.get("/staff/p/{property_id}/bookings/{booking_id}")
async def booking_page(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff, b = await load_booking(request, session, property_id, booking_id, Action.booking_view)
    context = await describe(request, session, staff, b)
    return page(request, staff, "staff/booking.html", {**context, "done": done[:80], "error": None})


def form_uuid(form: Any, name: str) -> uuid.UUID | None:
    return parse_uuid(form.get(name))
