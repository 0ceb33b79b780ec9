"""Support tickets over HTTP (``docs/support.md``): the author, the desk of the ticket's property, or
platform admins; anyone else gets 404 (a member of the property whose role may not answer: 403)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from innkeeper.bookings.errors import BookingNotFound
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.engagement import tickets
from innkeeper.engagement.tickets_models import SupportTicket
from innkeeper.engagement.tickets_schemas import (
    MessageIn,
    MessageOut,
    StatusIn,
    TicketDetailOut,
    TicketIn,
    TicketList,
    TicketStatusName,
)
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser
from innkeeper.identity.errors import InvalidToken
from innkeeper.identity.models import User
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import PageParams
from innkeeper.kit.problems import IDEMPOTENT, JSON_WRITE, problem_responses

router = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["support"],
    responses=problem_responses(InvalidToken, (401, "identity.token_missing"), 422),
)
SCOPED = (tickets.TicketNotFound, (403, "auth.role"))


async def _detail(session: DbSession, ticket: SupportTicket, user: User) -> dict[str, Any]:
    rows, names = await tickets.messages_of(session, ticket)
    return {
        **tickets.ticket_to_api(ticket, user),
        "messages": [tickets.message_to_api(m, names) for m in rows],
    }


@router.post(
    "/support/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetailOut,
    dependencies=[Idempotent],
    responses=problem_responses(
        *JSON_WRITE, *IDEMPOTENT, BookingNotFound, PropertyNotFound, (403, "auth.role")
    ),
)
async def open_ticket(
    data: TicketIn, user: CurrentUser, ctx: Ctx, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    """Open a ticket, optionally about a booking the caller may see or a property; its desk is
    e-mailed. Honours ``Idempotency-Key``."""
    ticket, _ = await tickets.open_ticket(ctx, session, user, data, actor)
    return await _detail(session, ticket, user)


@router.get("/support/tickets", response_model=TicketList)
async def list_tickets(
    user: CurrentUser,
    session: DbSession,
    page: PageParams,
    status_: Annotated[TicketStatusName | None, Query(alias="status")] = None,
    property_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The caller's own tickets and, as the desk, those of their properties (admins: all), most
    recently active first."""
    rows, total = await tickets.list_tickets(
        session, user, status=status_, property_id=property_id, limit=page.limit, offset=page.offset
    )
    return {"items": [tickets.ticket_to_api(t, user) for t in rows], "total": total}


@router.get(
    "/support/tickets/{ticket_id}", response_model=TicketDetailOut, responses=problem_responses(*SCOPED)
)
async def get_ticket(ticket_id: uuid.UUID, user: CurrentUser, session: DbSession) -> dict[str, Any]:
    ticket, _ = await tickets.load(session, ticket_id, user)
    return await _detail(session, ticket, user)


@router.post(
    "/support/tickets/{ticket_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, tickets.TicketClosed),
)
async def add_message(
    ticket_id: uuid.UUID, data: MessageIn, user: CurrentUser, ctx: Ctx, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    """Write on the ticket; the other side is e-mailed. A customer's message (re)opens it, the desk's
    makes it pending. 409 ``ticket.closed`` once closed."""
    ticket, side = await tickets.load(session, ticket_id, user, lock=True)
    message = await tickets.add_message(ctx, session, ticket, side, user, data.body, actor)
    return tickets.message_to_api(message, {user.id: user.full_name})


@router.post(
    "/support/tickets/{ticket_id}/status",
    response_model=TicketDetailOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, tickets.TicketClosed, tickets.StatusNotAllowed),
)
async def set_status(
    ticket_id: uuid.UUID, data: StatusIn, user: CurrentUser, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    """The desk sets any status; the customer may reopen, resolve or close their ticket. Closed is
    final (409 ``ticket.closed``)."""
    ticket, side = await tickets.load(session, ticket_id, user, lock=True)
    await tickets.set_status(session, ticket, side, data.status, actor)
    return await _detail(session, ticket, user)
