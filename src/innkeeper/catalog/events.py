"""What the catalog announces inside its transactions (``kit.events``); inventory reacts to both.

The catalog sits below inventory, so it never calls inventory itself: a room type's nights and the
sellable count of its rooms are inventory's business, kept in step by the handlers in
``innkeeper.inventory.reactions`` in the same transaction (a refusal there, such as taking a room out
of service below what is sold, aborts the catalog change too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from innkeeper.audit.service import Actor
from innkeeper.catalog.models import Property, RoomType


@dataclass(frozen=True)
class RoomTypeCreated:
    prop: Property
    room_type: RoomType
    horizon_days: int


@dataclass(frozen=True)
class RoomsInServiceChanged:
    """``delta`` rooms of a type went into (+) or out of (-) service."""

    prop: Property
    room_type_id: uuid.UUID
    delta: int
    actor: Actor
    reason: str
