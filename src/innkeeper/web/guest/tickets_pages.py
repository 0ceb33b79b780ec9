"""Support tickets in the guest account: my tickets, opening one (optionally about one of my bookings),
and a ticket's thread with a reply form. Every rule is ``engagement.tickets``' (as the /support/tickets
API routes use it): another user's ticket or booking is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.bookings.service import queries
from innkeeper.engagement import tickets
from innkeeper.engagement.tickets_models import SupportTicket
from innkeeper.engagement.tickets_schemas import MessageIn, TicketIn
from innkeeper.identity.models import User
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest.forms import field_messages
from innkeeper.web.pages import WebUser, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: tickets listed on the page, and bookings offered as a ticket's subject
TICKETS_SHOWN = 50
BOOKINGS_OFFERED = 50


async def _my_bookings(session: DbSession, user: User) -> list[dict[str, str]]:
    rows, _ = await queries.list_bookings(
        session, user, queries.BookingFilters(), limit=BOOKINGS_OFFERED, offset=0
    )
    return [{"id": str(b.id), "reference": b.reference} for b, _ in rows if b.user_id == user.id]


async def _list_page(
    request: Request, session: DbSession, user: User, status: int = 200, **context: Any
) -> Response:
    rows, _ = await tickets.list_tickets(
        session, user, status=None, property_id=None, limit=TICKETS_SHOWN, offset=0
    )
    page = {
        "tickets": [tickets.ticket_to_api(t, user) for t in rows],
        "bookings": await _my_bookings(session, user),
        "errors": {},
        "values": {"booking_id": request.query_params.get("booking", "")},
        **context,
    }
    return render(request, "guest/tickets.html", page, status=status)


async def _thread_page(
    request: Request, session: DbSession, ticket: SupportTicket, user: User, status: int = 200, **context: Any
) -> Response:
    rows, names = await tickets.messages_of(session, ticket)
    page = {
        "t": tickets.ticket_to_api(ticket, user),
        "messages": [tickets.message_to_api(m, names) for m in rows],
        "error": None,
        "body": "",
        **context,
    }
    return render(request, "guest/ticket.html", page, status=status)


@router.get("/account/tickets")
async def tickets_page(request: Request, session: DbSession, web_user: WebUser) -> Response:
    if web_user is None:
        return redirect("/login?next=/account/tickets")
    return await _list_page(request, session, web_user.user)


@router.post("/account/tickets")
async def open_ticket(
    request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    if web_user is None:
        return redirect("/login?next=/account/tickets")
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("subject", "body", "booking_id")}
    try:
        data = TicketIn(
            subject=values["subject"], body=values["body"], booking_id=values["booking_id"] or None
        )
        ticket, _ = await tickets.open_ticket(
            request.app.state.ctx, session, web_user.user, data, web_session.actor(request, web_user)
        )
    except ValidationError as exc:
        errors = {str(e["loc"][0]): "Required, up to the allowed length" for e in exc.errors() if e["loc"]}
        errors["form"] = "Please check what you entered"
        return await _list_page(request, session, web_user.user, 422, errors=errors, values=values)
    except AppError as exc:
        errors = {**field_messages(exc.errors), "form": exc.detail}
        return await _list_page(request, session, web_user.user, exc.status, errors=errors, values=values)
    return redirect(f"/account/tickets/{ticket.id}")


@router.get("/account/tickets/{ticket_id}")
async def ticket_page(
    request: Request, ticket_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    if web_user is None:
        return redirect(f"/login?next=/account/tickets/{ticket_id}")
    ticket, _ = await tickets.load(session, ticket_id, web_user.user)
    return await _thread_page(request, session, ticket, web_user.user)


@router.post("/account/tickets/{ticket_id}/messages")
async def reply(
    request: Request, ticket_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    if web_user is None:
        return redirect(f"/login?next=/account/tickets/{ticket_id}")
    user = web_user.user
    ticket, side = await tickets.load(session, ticket_id, user, lock=True)
    body = str((await request.form()).get("body") or "").strip()
    try:
        data = MessageIn(body=body)
        await tickets.add_message(
            request.app.state.ctx,
            session,
            ticket,
            side,
            user,
            data.body,
            web_session.actor(request, web_user),
        )
    except ValidationError:
        return await _thread_page(
            request, session, ticket, user, 422, error="Write a message first", body=body
        )
    except AppError as exc:
        return await _thread_page(request, session, ticket, user, exc.status, error=exc.detail, body=body)
    return redirect(f"/account/tickets/{ticket.id}")
