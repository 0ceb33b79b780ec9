"""Support tickets: a customer asks, the desk answers (``docs/support.md``). Services never commit.

Who is who, decided in one place (:func:`load` and :func:`visible_to`):

* the **author** (the customer who opened it) sees and writes on their own tickets;
* the **desk** of a ticket about a property is its staff whose role may ``support.answer`` (owners,
  managers, front desk); a member without it gets 403, anyone else 404 (invariant 7);
* platform admins are the desk of every ticket, and the only desk of a ticket about no property.

Statuses: ``open`` (waiting for the desk) -> ``pending`` (the desk answered, waiting for the customer)
-> ``resolved`` -> ``closed`` (final). A customer's message (re)opens the ticket; a desk message makes
it pending. Each new message e-mails the other side through the outbox: the customer in their language
(the property's wording applies), the desk as the member who answered last, else all of it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings import access
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.engagement.tickets_models import SupportTicket, TicketMessage, TicketStatus
from innkeeper.engagement.tickets_schemas import TicketIn
from innkeeper.identity.models import PropertyMembership, User
from innkeeper.identity.permissions import Action, permits, role_at, roles_for
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from innkeeper.notifications.service import send_templated_email

Side = Literal["author", "desk"]
#: at most this many desk members are e-mailed about one message
MAX_DESK_RECIPIENTS = 20


class TicketNotFound(NotFound):
    code = "ticket.not_found"
    title = "No such ticket"


class TicketClosed(Conflict):
    code = "ticket.closed"
    title = "The ticket is closed"


class StatusNotAllowed(Forbidden):
    code = "ticket.status_not_allowed"
    title = "Only the desk sets this status"


#: what the customer may set on their own ticket (pending means "the desk waits for you")
AUTHOR_STATUSES = frozenset({TicketStatus.open, TicketStatus.resolved, TicketStatus.closed})


def reference(ticket: SupportTicket) -> str:
    """A short name to quote (the id's random tail; the full id is in every answer)."""
    return ticket.id.hex[-8:].upper()


def ticket_to_api(ticket: SupportTicket, user: User) -> dict[str, Any]:
    return {
        "id": str(ticket.id),
        "reference": reference(ticket),
        "subject": ticket.subject,
        "status": ticket.status,
        "user_id": str(ticket.user_id),
        "property_id": str(ticket.property_id) if ticket.property_id else None,
        "booking_id": str(ticket.booking_id) if ticket.booking_id else None,
        "mine": ticket.user_id == user.id,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "last_message_at": ticket.last_message_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }


def message_to_api(message: TicketMessage, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "author_id": str(message.author_id) if message.author_id else None,
        "author_name": names.get(message.author_id, "") if message.author_id else "",
        "from_staff": message.from_staff,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


# -- scoping ----------------------------------------------------------------------------------------------


def _desk_properties(user: User) -> Select[Any]:
    return select(PropertyMembership.property_id).where(
        PropertyMembership.user_id == user.id,
        PropertyMembership.role.in_([r.value for r in roles_for(Action.support_answer)]),
    )


def visible_to(user: User) -> Select[Any]:
    """The tickets ``user`` may list: their own, and (as the desk) those of their properties."""
    stmt = select(SupportTicket)
    if user.is_platform_admin:
        return stmt
    return stmt.where(
        or_(SupportTicket.user_id == user.id, SupportTicket.property_id.in_(_desk_properties(user)))
    )


async def load(
    session: AsyncSession, ticket_id: uuid.UUID, user: User, *, lock: bool = False
) -> tuple[SupportTicket, Side]:
    """The ticket and the caller's side of it; 404 to anyone who is neither, 403 to a member of its
    property whose role may not answer tickets."""
    stmt = select(SupportTicket).where(SupportTicket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update()
    ticket = await session.scalar(stmt)
    if ticket is None:
        raise TicketNotFound()
    if ticket.user_id == user.id:
        return ticket, "author"
    if user.is_platform_admin:
        return ticket, "desk"
    role = await role_at(session, user.id, ticket.property_id) if ticket.property_id else None
    if role is None:
        raise TicketNotFound()
    if not permits(role, Action.support_answer):
        raise Forbidden("Your role at this property does not allow this", code="auth.role")
    return ticket, "desk"


async def _subject_property(session: AsyncSession, user: User, data: TicketIn) -> uuid.UUID | None:
    """The property a new ticket is about: the booking's (which the caller must be able to see), or
    the one named (active, or one the caller works at)."""
    if data.booking_id is not None:
        booking = await access.load(session, data.booking_id, access.Caller(user), action=Action.booking_view)
        if data.property_id is not None and data.property_id != booking.property_id:
            raise ValidationFailed(
                "The booking is at another property",
                errors=[
                    {"field": "property_id", "message": "not the booking's property", "type": "value_error"}
                ],
            )
        return booking.property_id
    if data.property_id is None:
        return None
    prop = await session.get(Property, data.property_id)
    if prop is None:
        raise PropertyNotFound()
    if not prop.is_active and not user.is_platform_admin and await role_at(session, user.id, prop.id) is None:
        raise PropertyNotFound()
    return prop.id


# -- use cases --------------------------------------------------------------------------------------------


async def open_ticket(
    ctx: AppContext, session: AsyncSession, user: User, data: TicketIn, actor: Actor
) -> tuple[SupportTicket, list[TicketMessage]]:
    property_id = await _subject_property(session, user, data)
    now = utcnow()
    ticket = SupportTicket(
        user_id=user.id,
        property_id=property_id,
        booking_id=data.booking_id,
        subject=data.subject,
        status=TicketStatus.open.value,
        last_message_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    message = TicketMessage(
        ticket_id=ticket.id, author_id=user.id, from_staff=False, body=data.body, created_at=now
    )
    session.add(message)
    record(
        session,
        actor,
        "ticket.opened",
        "support_ticket",
        ticket.id,
        property_id=property_id,
        after={"subject": data.subject, "booking_id": str(data.booking_id) if data.booking_id else None},
    )
    await _notify_desk(ctx, session, ticket, user, data.body)
    return ticket, [message]


async def add_message(
    ctx: AppContext,
    session: AsyncSession,
    ticket: SupportTicket,
    side: Side,
    user: User,
    body: str,
    actor: Actor,
) -> TicketMessage:
    if ticket.status == TicketStatus.closed:
        raise TicketClosed("A closed ticket takes no more messages; open a new one")
    now = utcnow()
    message = TicketMessage(
        ticket_id=ticket.id, author_id=user.id, from_staff=side == "desk", body=body, created_at=now
    )
    session.add(message)
    before = ticket.status
    if side == "desk":
        ticket.status = TicketStatus.pending.value
        ticket.assignee_id = user.id
    else:
        ticket.status = TicketStatus.open.value
    ticket.last_message_at = ticket.updated_at = now
    await session.flush()
    record(
        session,
        actor,
        "ticket.message",
        "support_ticket",
        ticket.id,
        property_id=ticket.property_id,
        before={"status": before},
        after={"status": ticket.status, "message_id": str(message.id), "from_staff": message.from_staff},
    )
    if side == "desk":
        await _notify_author(ctx, session, ticket, user, body)
    else:
        await _notify_desk(ctx, session, ticket, user, body)
    return message


async def set_status(
    session: AsyncSession, ticket: SupportTicket, side: Side, status: str, actor: Actor
) -> SupportTicket:
    wanted = TicketStatus(status)
    if ticket.status == TicketStatus.closed:
        raise TicketClosed("A closed ticket stays closed; open a new one")
    if side == "author" and wanted not in AUTHOR_STATUSES:
        raise StatusNotAllowed("Only the desk marks a ticket pending")
    if ticket.status == wanted:
        return ticket
    before = ticket.status
    ticket.status = wanted.value
    ticket.updated_at = utcnow()
    if wanted == TicketStatus.closed:
        ticket.closed_at = ticket.updated_at
    record(
        session,
        actor,
        "ticket.status",
        "support_ticket",
        ticket.id,
        property_id=ticket.property_id,
        before={"status": before},
        after={"status": ticket.status},
    )
    return ticket


async def messages_of(
    session: AsyncSession, ticket: SupportTicket
) -> tuple[list[TicketMessage], dict[uuid.UUID, str]]:
    rows = list(
        (
            await session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.created_at, TicketMessage.id)
            )
        ).all()
    )
    return rows, await author_names(session, [m.author_id for m in rows if m.author_id])


async def author_names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(set(ids))))
    return {uid: name or "" for uid, name in rows.all()}


async def list_tickets(
    session: AsyncSession,
    user: User,
    *,
    status: str | None,
    property_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[SupportTicket], int]:
    stmt = visible_to(user)
    if status:
        stmt = stmt.where(SupportTicket.status == status)
    if property_id:
        stmt = stmt.where(SupportTicket.property_id == property_id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.scalars(
        stmt.order_by(SupportTicket.last_message_at.desc(), SupportTicket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


# -- telling the other side -------------------------------------------------------------------------------


def _url(ctx: AppContext, path: str, ticket: SupportTicket) -> str:
    return f"{ctx.settings.public_url}{path}/{ticket.id}"


async def _property_name(session: AsyncSession, ticket: SupportTicket) -> str | None:
    if ticket.property_id is None:
        return None
    return await session.scalar(select(Property.name).where(Property.id == ticket.property_id))


async def _desk(session: AsyncSession, ticket: SupportTicket) -> list[User]:
    """Who hears of a customer's message: the member who answered last (while still on the desk),
    else every desk member of the property (platform tickets: every platform admin)."""
    if ticket.property_id is None:
        stmt = select(User).where(User.is_platform_admin.is_(True))
    else:
        stmt = (
            select(User)
            .join(PropertyMembership, PropertyMembership.user_id == User.id)
            .where(
                PropertyMembership.property_id == ticket.property_id,
                PropertyMembership.role.in_([r.value for r in roles_for(Action.support_answer)]),
            )
        )
    stmt = stmt.where(User.is_active.is_(True), User.email.is_not(None), User.id != ticket.user_id)
    desk = list((await session.scalars(stmt.order_by(User.id).limit(MAX_DESK_RECIPIENTS))).all())
    assigned = [u for u in desk if u.id == ticket.assignee_id]
    return assigned or desk


async def _notify_desk(
    ctx: AppContext, session: AsyncSession, ticket: SupportTicket, author: User, body: str
) -> None:
    property_name = await _property_name(session, ticket)
    for member in await _desk(session, ticket):
        assert member.email is not None
        await send_templated_email(
            ctx,
            session,
            to=member.email,
            template="ticket_message",
            locale=member.locale,
            context={
                "name": member.full_name or None,
                "sender": property_name or "Innkeeper",
                "ticket": ticket,
                "ticket_ref": reference(ticket),
                "author": author.full_name or author.email or "A guest",
                "property_name": property_name,
                "body": body,
                "url": _url(ctx, "/staff/support", ticket),
            },
        )


async def _notify_author(
    ctx: AppContext, session: AsyncSession, ticket: SupportTicket, staff: User, body: str
) -> None:
    customer = await session.get(User, ticket.user_id)
    if customer is None or not customer.email or not customer.is_active:
        return
    property_name = await _property_name(session, ticket)
    sender = property_name or "Innkeeper"
    await send_templated_email(
        ctx,
        session,
        to=customer.email,
        template="ticket_reply",
        locale=customer.locale,
        context={
            "name": customer.full_name or None,
            "sender": sender,
            "ticket": ticket,
            "ticket_ref": reference(ticket),
            "author": staff.full_name or sender,
            "body": body,
            "url": _url(ctx, "/account/support", ticket),
        },
        fields={"guest": customer.full_name or "", "ticket": reference(ticket), "property": sender},
        property_id=ticket.property_id,
    )
