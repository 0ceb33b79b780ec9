"""Bodies and answers of the support ticket routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from innkeeper.kit.outputs import Instant, Out
from innkeeper.kit.pagination import ListOf

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
#: 10,000 characters: a long letter; more is 422
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
TicketStatusName = Literal["open", "pending", "resolved", "closed"]


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject
    body: Body
    #: a booking the caller may see (its property answers the ticket)
    booking_id: uuid.UUID | None = None
    #: a property (its desk answers); without either, the platform's administrators answer
    property_id: uuid.UUID | None = None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TicketStatusName


class MessageOut(Out):
    id: str
    author_id: str | None
    author_name: str
    #: written by the property's staff or a platform administrator
    from_staff: bool
    body: str
    created_at: Instant


class TicketOut(Out):
    id: str
    reference: str
    subject: str
    status: TicketStatusName
    user_id: str
    property_id: str | None
    booking_id: str | None
    #: the caller opened it (else they answer it as staff)
    mine: bool
    created_at: Instant
    updated_at: Instant
    last_message_at: Instant
    closed_at: Instant | None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class TicketList(ListOf[TicketOut]):
    pass
