"""Booking flow: review the price (the booking engine's own quote), give a contact and guests, hold,
pay on the checkout page, and land on the confirmation.

Both steps call the booking services the API calls: ``priced.price_request`` prices the review page
(the very function ``create`` prices with) and the form posts ``expected_total``, so a price that
moved in between is refused (``booking.price_changed``) and the page shows the new one.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.bookings.schemas import BookingIn, GuestIn, SlotBookingIn
from innkeeper.bookings.service import create as creating
from innkeeper.bookings.service import guests as guesting
from innkeeper.bookings.service.priced import price_request
from innkeeper.catalog import resources
from innkeeper.catalog.models import Property, RoomType
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest.forms import field_messages
from innkeeper.web.pages import WebUser, redirect, render
from innkeeper.web.session import WebAuth

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: guest name fields offered on the form (the rest can be added later)
NAME_FIELDS = 4


def _validation_messages(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        name = "_".join(loc[:2]) if loc[:1] == ["contact"] else (loc[-1] if loc else "form")
        out.setdefault(name, err.get("msg", "invalid"))
    return out


def _request_of(values: dict[str, Any], kind: str) -> BookingIn | SlotBookingIn:
    """The API's own request model, from the page's fields (raises pydantic's ValidationError)."""
    terms: dict[str, Any] = {"promo_code": values.get("promo_code") or None}
    if values.get("contact_email") or values.get("contact_name"):
        terms["contact"] = {
            "name": values.get("contact_name", ""),
            "email": values.get("contact_email", ""),
            "phone": values.get("contact_phone") or None,
        }
    if values.get("expected_total"):
        terms["expected_total"] = values["expected_total"]
    if kind == "slot":
        mode = values.get("mode") or None
        address = None
        if mode == "travel":
            address = {
                "line": values.get("address_line", ""),
                "latitude": values.get("latitude") or None,
                "longitude": values.get("longitude") or None,
            }
        addons = [{"code": code, "quantity": 1} for code in values.get("addons", [])]
        return SlotBookingIn.model_validate(
            {
                **terms,
                "resource_id": values.get("resource_id"),
                "start": values.get("start"),
                "end": values.get("end"),
                "attendees": int(values["attendees"]) if str(values.get("attendees", "")).isdigit() else None,
                "mode": mode,
                "address": address,
                "addons": addons,
            }
        )
    return BookingIn.model_validate(
        {
            **terms,
            "room_type_id": values.get("room_type_id"),
            "checkin": values.get("checkin"),
            "checkout": values.get("checkout"),
            "rooms": int(values.get("rooms") or 1),
            "guests": int(values.get("guests") or 2),
        }
    )


def _values(params: Any) -> dict[str, Any]:
    fields = (
        "room_type_id checkin checkout rooms guests promo_code contact_name contact_email contact_phone "
        "expected_total resource_id start end attendees mode address_line latitude longitude"
    ).split()
    out: dict[str, Any] = {f: str(params.get(f) or "").strip() for f in fields}
    for number in ("rooms", "guests", "attendees"):
        if out[number] and not out[number].isdigit():
            out[number] = ""
    out["addons"] = [str(a) for a in params.getlist("addons")][:20]
    out["names"] = [str(n).strip() for n in params.getlist("guest_name") if str(n).strip()][:NAME_FIELDS]
    return out


async def _review(
    request: Request,
    session: DbSession,
    web_user: WebAuth | None,
    kind: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    """The review page: what is booked, the full price breakdown, the contact and guests form."""
    quote: dict[str, Any] | None = None
    place: dict[str, Any] = {}
    try:
        data = _request_of({**values, "contact_name": "", "contact_email": "", "expected_total": ""}, kind)
        priced = await price_request(
            request.app.state.ctx, session, data, web_user.user if web_user else None
        )
        quote = priced.quote.to_api()
        values["expected_total"] = quote["total"]["amount"]
        place = await _place(session, priced.prop, data)
    except ValidationError as exc:
        errors = {**_validation_messages(exc), **errors}
    except AppError as exc:
        if exc.code == "pricing.promo_invalid" and values.get("promo_code"):
            errors = {"promo_code": exc.detail, **errors}
            return await _review(request, session, web_user, kind, {**values, "promo_code": ""}, errors, 422)
        errors = {**field_messages(exc.errors), "form": exc.detail, **errors}
    return render(
        request,
        "guest/review.html",
        {
            "kind": kind,
            "values": values,
            "quote": quote,
            "place": place,
            "errors": errors,
            "name_fields": range(min(NAME_FIELDS, int(values.get("guests") or values.get("attendees") or 1))),
        },
        status=status if quote else max(status, 409 if errors.get("form") else 422),
    )


async def _place(session: DbSession, prop: Property, data: BookingIn | SlotBookingIn) -> dict[str, Any]:
    """Names for the review page: the property, and the room type or the resource with its add-ons."""
    out: dict[str, Any] = {"property": prop, "addons": []}
    if isinstance(data, SlotBookingIn):
        resource, _ = await resources.public_resource(session, data.resource_id)
        out["item"] = resource.name
        addons = (await resources.addons_of(session, [resource.id]))[resource.id]
        out["addons"] = [resources.addon_to_api(a) for a in addons]
    else:
        room_type = await session.get(RoomType, data.room_type_id)
        out["item"] = room_type.name if room_type else ""
    return out


@router.get("/book/stay")
async def review_stay(request: Request, session: DbSession, web_user: WebUser) -> Response:
    return await _review(request, session, web_user, "stay", _values(request.query_params), {})


@router.get("/book/slot")
async def review_slot(request: Request, session: DbSession, web_user: WebUser) -> Response:
    return await _review(request, session, web_user, "slot", _values(request.query_params), {})


@router.post("/book/stay")
async def book_stay(request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked) -> Response:
    return await _book(request, session, web_user, "stay")


@router.post("/book/slot")
async def book_slot(request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked) -> Response:
    return await _book(request, session, web_user, "slot")


async def _book(request: Request, session: DbSession, web_user: WebAuth | None, kind: str) -> Response:
    values = _values(await request.form())
    user = web_user.user if web_user else None
    ctx = request.app.state.ctx
    actor = web_session.actor(request, web_user)
    try:
        data = _request_of(values, kind)
        guests = [GuestIn(name=name) for name in values["names"]]
    except ValidationError as exc:
        return await _review(request, session, web_user, kind, values, _validation_messages(exc), 422)
    try:
        # a savepoint: a refused booking (taken meanwhile, price moved) leaves nothing behind
        async with session.begin_nested():
            booking, token = await creating.create(ctx, session, data, user=user, actor=actor)
            if guests:
                await guesting.set_guests(ctx, session, booking, guests, user=user, actor=actor)
    except AppError as exc:
        errors = {**field_messages(exc.errors), "form": exc.detail}
        if exc.code == "booking.price_changed":
            values["expected_total"] = ""
        return await _review(request, session, web_user, kind, values, errors, exc.status)
    response = redirect(f"/book/{booking.id}")
    if token:
        web_session.remember_guest_token(request, response, str(booking.id), token)
    return response


def booking_id_of(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
