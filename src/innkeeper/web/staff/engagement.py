"""Reviews moderation (publish, reject with a reason, reply) and the support ticket inbox (read,
answer, set the status) of the property: ``engagement.reviews`` and ``engagement.tickets``, the use
cases of ``/reviews/{id}/…`` and ``/support/tickets/…``, with their own scoping (404 elsewhere, 403 for
a role that may not)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.engagement import reviews, tickets
from innkeeper.engagement.errors import ReviewNotFound
from innkeeper.engagement.schemas import ModerateIn, ReplyIn
from innkeeper.engagement.tickets import TicketNotFound
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import text

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

REVIEW_FILTERS = ("pending", "published", "rejected")
TICKET_FILTERS = ("open", "pending", "resolved", "closed")
ROWS = 50


async def _reviews_page(
    request: Request, session: DbSession, staff: Staff, status: str, error: str | None = None, code: int = 200
) -> Response:
    rows, total = await reviews.staff_page(session, staff.prop.id, status, limit=ROWS, offset=0)
    context = {
        "reviews": [reviews.review_to_api(r) for r in rows],
        "total": total,
        "status": status,
        "filters": REVIEW_FILTERS,
        "error": error,
    }
    return page(request, staff, "staff/reviews.html", context, code)


@router.get("/staff/p/{property_id}/reviews")
async def reviews_page(
    request: Request, property_id: uuid.UUID, session: DbSession, status: str = "pending"
) -> Response:
    staff = await staff_at(request, session, property_id, Action.reviews_moderate)
    return await _reviews_page(request, session, staff, status if status in REVIEW_FILTERS else "pending")


@router.post("/staff/p/{property_id}/reviews/{review_id}/{what}")
async def review_action(
    request: Request,
    property_id: uuid.UUID,
    review_id: uuid.UUID,
    what: str,
    session: DbSession,
    _csrf: CsrfChecked,
) -> Response:
    """``moderate`` (decision publish / reject with a reason) or ``reply``."""
    staff = await staff_at(request, session, property_id, Action.reviews_moderate)
    form = await request.form()
    status = text(form, "status", 20)
    try:
        async with session.begin_nested():
            review = await reviews.for_moderation(session, review_id, staff.user)
            if review.property_id != staff.prop.id:
                raise ReviewNotFound()
            await _review_step(request, session, staff, review, what, form)
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _reviews_page(request, session, staff, status or "pending", exc.detail, exc.status)
    return redirect(f"{staff.base}/reviews?status={status if status in REVIEW_FILTERS else 'pending'}")


async def _review_step(
    request: Request, session: DbSession, staff: Staff, review: Any, what: str, form: Any
) -> None:
    try:
        if what == "moderate":
            decision = ModerateIn(decision=text(form, "decision", 10), reason=text(form, "reason") or None)
            await reviews.moderate(session, review, decision, actor(request, staff))
        elif what == "reply":
            await reviews.reply(
                session, review, ReplyIn(body=text(form, "body", 4000)), actor(request, staff)
            )
        else:
            raise ReviewNotFound()
    except ValidationError as exc:
        raise ValidationFailed("A rejection needs a reason, a reply needs a text") from exc


@router.get("/staff/p/{property_id}/tickets")
async def tickets_page(
    request: Request, property_id: uuid.UUID, session: DbSession, status: str = "open"
) -> Response:
    staff = await staff_at(request, session, property_id, Action.support_answer)
    status = status if status in TICKET_FILTERS else "open"
    rows, total = await tickets.list_tickets(
        session, staff.user, status=status, property_id=staff.prop.id, limit=ROWS, offset=0
    )
    items = [tickets.ticket_to_api(t, staff.user) for t in rows]
    context = {"tickets": items, "total": total, "status": status, "filters": TICKET_FILTERS}
    return page(request, staff, "staff/tickets.html", context)


async def _ticket(
    request: Request, session: DbSession, staff: Staff, ticket_id: uuid.UUID, lock: bool
) -> Any:
    ticket, side = await tickets.load(session, ticket_id, staff.user, lock=lock)
    if ticket.property_id != staff.prop.id:
        raise TicketNotFound()
    return ticket, side


async def _ticket_page(
    request: Request, session: DbSession, staff: Staff, ticket: Any, error: str | None = None, code: int = 200
) -> Response:
    rows, names = await tickets.messages_of(session, ticket)
    context = {
        "t": tickets.ticket_to_api(ticket, staff.user),
        "messages": [tickets.message_to_api(m, names) for m in rows],
        "statuses": TICKET_FILTERS,
        "error": error,
    }
    return page(request, staff, "staff/ticket.html", context, code)


@router.get("/staff/p/{property_id}/tickets/{ticket_id}")
async def ticket_page(
    request: Request, property_id: uuid.UUID, ticket_id: uuid.UUID, session: DbSession
) -> Response:
    staff = await staff_at(request, session, property_id, Action.support_answer)
    ticket, _side = await _ticket(request, session, staff, ticket_id, lock=False)
    return await _ticket_page(request, session, staff, ticket)


@router.post("/staff/p/{property_id}/tickets/{ticket_id}")
async def ticket_answer(
    request: Request, property_id: uuid.UUID, ticket_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """An answer (``body``) and/or a new status, as the desk."""
    staff = await staff_at(request, session, property_id, Action.support_answer)
    ticket, side = await _ticket(request, session, staff, ticket_id, lock=True)
    form = await request.form()
    body, status = text(form, "body", 10_000), text(form, "status", 20)
    try:
        async with session.begin_nested():
            if body:
                await tickets.add_message(
                    request.app.state.ctx, session, ticket, side, staff.user, body, actor(request, staff)
                )
            if status and status != ticket.status:
                await tickets.set_status(session, ticket, side, status, actor(request, staff))
            if not body and not status:
                raise ValidationFailed("Write an answer or choose a status")
    except (AppError, ValueError) as exc:
        await session.refresh(ticket)
        detail = exc.detail if isinstance(exc, AppError) else "Choose a status from the list"
        return await _ticket_page(request, session, staff, ticket, detail, getattr(exc, "status", 422))
    return redirect(f"{staff.base}/tickets/{ticket.id}")
