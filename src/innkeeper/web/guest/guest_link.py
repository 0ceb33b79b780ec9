"""A guest without an account manages a booking from any browser: after finding it by reference and
e-mail (``/lookup``, read only), they ask for a link (``POST /lookup/link``), which goes to the booking's
contact address; opening it (``/book/{id}/access/{token}``) shows a button whose post gives this
browser the booking's guest token, as if it had made the booking. The rules are
``bookings.service.guest_link``'s."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from innkeeper.bookings.service import guest_link, queries
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest.account import auth_budget
from innkeeper.web.pages import WebUser, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: the same answer whether or not the details match a booking that may have a link
SENT = (
    "If the reference and e-mail match a booking made without an account, a link to manage it is on its "
    "way to that address."
)


@router.post("/lookup/link")
async def ask_for_link(
    request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    form = await request.form()
    reference = str(form.get("reference") or "").strip()[:16]
    email = str(form.get("email") or "").strip()[:254]
    values = {"reference": reference, "email": email}
    try:
        await auth_budget(request)  # each ask may send an e-mail: the sign-in budget, per address
    except AppError as exc:
        return render(
            request, "guest/lookup.html", {"found": None, "error": exc.detail, "values": values}, exc.status
        )
    b = await queries.by_reference(session, reference) if len(reference) >= 4 else None
    if b is not None and b.contact_email.lower() == email.lower():
        await guest_link.send_link(request.app.state.ctx, session, b)
    return render(
        request, "guest/lookup.html", {"found": None, "error": None, "sent": SENT, "values": values}
    )


def _invalid(request: Request, exc: guest_link.LinkInvalid) -> Response:
    page: dict[str, object] = {"found": None, "error": exc.title, "values": {}, "expired": True}
    return render(request, "guest/lookup.html", page, status=exc.status)


@router.get("/book/{booking_id}/access/{token}")
async def show_link(request: Request, booking_id: uuid.UUID, token: str, session: DbSession) -> Response:
    """A page with one button: fetching the link (as mail scanners and previews do) uses nothing up."""
    try:
        b = await guest_link.valid_link(request.app.state.ctx, session, booking_id, token[:200])
    except guest_link.LinkInvalid as exc:
        return _invalid(request, exc)
    return render(request, "guest/access_link.html", {"b": b, "action": request.url.path})


@router.post("/book/{booking_id}/access/{token}")
async def open_link(
    request: Request, booking_id: uuid.UUID, token: str, session: DbSession, _csrf: CsrfChecked
) -> Response:
    try:
        b, raw = await guest_link.open_link(
            request.app.state.ctx, session, booking_id, token[:200], web_session.actor(request)
        )
    except guest_link.LinkInvalid as exc:
        return _invalid(request, exc)
    response = redirect(f"/book/{b.id}")
    web_session.remember_guest_token(request, response, str(b.id), raw)
    return response
