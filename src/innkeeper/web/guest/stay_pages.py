"""Services during a stay and the review after it, on a booking's own page ``/book/{id}`` (its booker:
signed in, or the browser holding its guest token, as ``manage.load`` decides).

* **Services**: while the booking is ``confirmed`` (services offered ``pre_stay``) or ``checked_in``
  (``in_stay``) the page lists the property's active services and an order form; the booking's orders
  are listed with a Cancel button while the guest may still cancel. Placing is ``extras.orders.place``
  and cancelling ``extras.lifecycle.move``, called as the ``/bookings/{id}/service-orders`` and
  ``/service-orders/{id}/cancel`` API routes call them; a refusal re-renders the page with the domain's
  sentence next to the field, and nothing is kept (the placing runs in a savepoint).
* **Double submit**: the API's order POST takes an ``Idempotency-Key``; a form cannot send a header,
  so each rendered order form carries a one-time key (hidden ``form_key``). Placing an order writes
  that key into ``kit.idempotency``'s table (scoped to the booking) in the same savepoint as the order:
  a second post of the same form (a double click, a reload, a back-and-resubmit) finds the key and only
  redirects, so it places nothing. The booking's row lock, taken first, queues two posts in flight.
  Success answers post/redirect/get, so a reload after it re-posts nothing either.
* **Review**: once ``checked_out`` (a stay checked out, or a slot completed after its end), the signed-in
  booker writes one review through ``engagement.reviews.submit``, the booking row-locked as the API's
  ``write_review`` does; then the page shows it with its status. A browser holding only a guest token
  has no account, and reviews need one: the panel says so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.bookings import access
from innkeeper.bookings.access import Caller
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property
from innkeeper.engagement import reviews
from innkeeper.engagement.schemas import ReviewIn
from innkeeper.extras import catalog, lifecycle, orders
from innkeeper.extras.errors import (
    OrderNotFound,
    ServiceNotAvailableNow,
    ServiceNotFound,
)
from innkeeper.extras.models import OrderStatus
from innkeeper.extras.schemas import OrderIn
from innkeeper.identity.permissions import Action
from innkeeper.kit import idempotency
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.kit.security import random_token
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest import manage
from innkeeper.web.pages import WebUser, redirect, render
from innkeeper.web.session import WebAuth

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: the booking's status → the services it may order (``extras.orders`` refuses any other)
STAGES = {Status.confirmed.value: "pre_stay", Status.checked_in.value: "in_stay"}
#: the structured details of ``OrderDetails`` (flight for an airport transfer, address for a cab)
DETAILS = ("flight_number", "terminal", "direction", "pickup_address", "destination", "passengers")
ORDER_FIELDS = ("service_code", "quantity", "scheduled_for", "notes", *DETAILS)
REVIEW_FIELDS = ("rating", "title", "body")
#: what a field refused by the schemas' validation says (English keys: the templates translate)
FIELD_MESSAGES = {
    "service_code": "Choose a service",
    "quantity": "From 1 to 99",
    "scheduled_for": "Enter a date and time",
    "notes": "Up to 1,000 characters",
    "flight_number": "A flight number like TP1234",
    "terminal": "Up to 20 characters",
    "direction": "Choose arrival or departure",
    "pickup_address": "An address of 3 to 300 characters",
    "destination": "Up to 300 characters",
    "passengers": "From 1 to 50",
    "rating": "Choose a rating from 1 to 5",
    "title": "Up to 200 characters",
    "body": "Write a few words (up to 5,000 characters)",
}
CHECK = "Please check what you entered"
EXPIRED = "This form has expired. Reload the page and try again."
#: the one-time keys of the order forms, per booking, in ``kit.idempotency``'s table
KEY_SCOPE = "web-service-order:{}"
KEY_BYTES = 18


@dataclass
class Form:
    """A form as posted (to show it again) and its messages by field (``form``: the whole form's)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# -- the panels of the booking page -------------------------------------------------------------------


async def panels(
    request: Request,
    session: DbSession,
    web_user: WebAuth | None,
    b: Booking,
    *,
    order_form: Form | None = None,
    order_error: str | None = None,
    review_form: Form | None = None,
) -> dict[str, Any]:
    """``services`` and ``review_panel`` for ``_booking_main.html`` (None: the panel is not shown)."""
    return {
        "services": await _services(session, b, order_form or Form(), order_error),
        "review_panel": await _review(session, web_user, b, review_form or Form()),
    }


async def _services(
    session: DbSession, b: Booking, form: Form, order_error: str | None
) -> dict[str, Any] | None:
    """The services this booking can order now, and its orders; None when there is neither (and no
    refusal to show: a form posted from a stale page gets its message even then)."""
    stage = STAGES.get(b.status)
    placed = await orders.of_booking(session, b) if stage or b.status == Status.checked_out else []
    offered = []
    if stage is not None:
        rows = await catalog.list_services(session, b.property_id, category=None, active_only=True)
        offered = [
            catalog.service_to_api(s) for s in rows if (s.pre_stay if stage == "pre_stay" else s.in_stay)
        ]
    if not (offered or placed or form.errors or order_error):
        return None
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    listed = [
        {
            **orders.order_to_api(o, b.reference, prop),
            "cancellable": OrderStatus(o.status) in lifecycle.GUEST_CANCELLABLE,
        }
        for o in reversed(placed)  # the latest first
    ]
    return {
        "stage": stage,
        "offered": offered,
        "timed": [s["name"] for s in offered if s["needs_time"]],
        "orders": listed,
        "timezone": prop.timezone,
        "form_key": random_token(KEY_BYTES),
        "values": form.values,
        "errors": form.errors,
        "order_error": order_error,
    }


async def _review(
    session: DbSession, web_user: WebAuth | None, b: Booking, form: Form
) -> dict[str, Any] | None:
    """What ``reviews.submit`` would allow, shown before asking: the form, the review written, or why
    there is none (a booking made without an account)."""
    if b.status != Status.checked_out:
        # a form posted from a stale page: the refusal is shown, with no form to fill in
        return {"state": "refused", "errors": form.errors} if form.errors else None
    if b.user_id is None or web_user is None:
        return {"state": "account_needed"}
    if b.user_id != web_user.user.id:
        return None  # staff looking at a guest's booking: nothing for them to write here
    written = await reviews.of_booking(session, b.id)
    if written is not None:
        return {"state": "written", "review": reviews.review_to_api(written), "errors": form.errors}
    return {"state": "form", "values": form.values, "errors": form.errors}


manage.PANELS.append(panels)


async def _page(
    request: Request, session: DbSession, web_user: WebAuth | None, b: Booking, status: int, **forms: Any
) -> Response:
    """The booking page again, with a refused form's messages and values."""
    page = await manage.describe(session, b)
    page.update(await panels(request, session, web_user, b, **forms))
    return render(request, "guest/booking.html", page, status=status)


# -- ordering and cancelling services -----------------------------------------------------------------


def _order_in(values: dict[str, str]) -> OrderIn:
    """The API's body from the form: empty fields are left out (the schema's defaults apply)."""
    details = {name: values[name] for name in DETAILS if values[name]}
    body: dict[str, Any] = {"service_code": values["service_code"], "details": details or None}
    body.update({name: values[name] for name in ("quantity", "scheduled_for", "notes") if values[name]})
    return OrderIn.model_validate(body)


def _validation_messages(exc: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {"form": CHECK}
    for error in exc.errors():
        name = str(error["loc"][-1]) if error.get("loc") else ""
        found.setdefault(name if name in FIELD_MESSAGES else "form", FIELD_MESSAGES.get(name, CHECK))
    return found


def _refusal(exc: AppError) -> dict[str, str]:
    """The domain's refusal next to its field (``details.flight_number`` → ``flight_number``); a service
    that is unknown or not available now is the service field's message."""
    found = {"form": exc.detail}
    for error in exc.errors or []:
        found.setdefault(str(error.get("field", "")).rsplit(".", 1)[-1], str(error.get("message", "")))
    if isinstance(exc, ServiceNotFound | ServiceNotAvailableNow):
        found.setdefault("service_code", exc.detail)
    return found


@router.post("/book/{booking_id}/service-orders")
async def place_order(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    """As ``POST /bookings/{id}/service-orders``: the booking row-locked, ``orders.place``."""
    b = await manage.load(request, session, web_user, booking_id, Action.booking_change)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:1000] for name in ORDER_FIELDS}
    key = str(form.get("form_key") or "")
    done = redirect(f"/book/{b.id}#services")
    if not idempotency.KEY_PATTERN.fullmatch(key):  # not a form of ours: no key, no order
        return await _page(request, session, web_user, b, 422, order_form=Form(values, {"form": EXPIRED}))
    try:
        data = _order_in(values)
        async with session.begin_nested():
            scope, here = KEY_SCOPE.format(b.id), f"/book/{b.id}"
            if not await idempotency.first_use(session, scope=scope, key=key, location=here):
                return done  # this form's order was placed already: show it, place nothing
            await orders.place(
                session, b, data, web_session.actor(request, web_user), web_user.user.id if web_user else None
            )
    except ValidationError as exc:
        form_ = Form(values, _validation_messages(exc))
        return await _page(request, session, web_user, b, 422, order_form=form_)
    except AppError as exc:
        return await _page(request, session, web_user, b, exc.status, order_form=Form(values, _refusal(exc)))
    return done


@router.post("/book/{booking_id}/service-orders/{order_id}/cancel")
async def cancel_order(
    request: Request,
    booking_id: uuid.UUID,
    order_id: uuid.UUID,
    session: DbSession,
    web_user: WebUser,
    _csrf: CsrfChecked,
) -> Response:
    """As ``POST /service-orders/{id}/cancel`` (``extras.router._move_route``): the booker may cancel
    while the order is requested or accepted; staff who handle orders also later; a repeat is a no-op."""
    caller = manage.browser_caller(request, web_user, booking_id)
    order, b = await orders.order_for(session, order_id, caller, action=Action.booking_change)
    if b.id != booking_id:
        raise OrderNotFound()  # an order of another of the caller's bookings: not on this page
    to = OrderStatus.cancelled
    try:
        await orders.check_may_cancel(session, caller, order, b)
        async with session.begin_nested():
            await lifecycle.move(
                request.app.state.ctx, session, order, b, to, web_session.actor(request, web_user)
            )
    except AppError as exc:
        return await _page(request, session, web_user, b, exc.status, order_error=exc.detail)
    return redirect(f"/book/{b.id}#services")


# -- the review ---------------------------------------------------------------------------------------


@router.post("/book/{booking_id}/review")
async def write_review(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    """As ``POST /bookings/{id}/review``: the signed-in user's booking, row-locked (two submissions queue
    and the second finds the first), then ``reviews.submit``."""
    if web_user is None:
        return redirect(f"/login?next=/book/{booking_id}")
    user = web_user.user
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_view, lock=True)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:5000] for name in REVIEW_FIELDS}
    try:
        data = ReviewIn(
            # the schema's rating is a strict integer: a form sends text
            rating=int(values["rating"]) if values["rating"].isdigit() else 0,
            title=values["title"] or None,
            body=values["body"],
        )
        async with session.begin_nested():
            await reviews.submit(
                session, request.app.state.ctx.settings, b, user, data, web_session.actor(request, web_user)
            )
    except ValidationError as exc:
        form_ = Form(values, _validation_messages(exc))
        return await _page(request, session, web_user, b, 422, review_form=form_)
    except AppError as exc:
        form_ = Form(values, {"form": exc.detail})
        return await _page(request, session, web_user, b, exc.status, review_form=form_)
    return redirect(f"/book/{b.id}#review")


async def reviewed_ids(session: DbSession, user_id: uuid.UUID) -> set[str]:
    """The user's reviewed bookings, as the account page's booking ids (text): one query for the list."""
    return {str(i) for i in await reviews.reviewed_booking_ids(session, user_id)}
