"""What the catalog announces inside its transactions (``kit.events``): inventory reacts to the room
type and room changes; bookings guard the deletions (``bookings.catalog_guards``).

The catalog sits below inventory, so it never calls inventory itself: a room type's nights and the
sellable count of its rooms are inventory's business, kept in step by the handlers in
``innkeeper.inventory.reactions`` in the same transaction (a refusal there, such as taking a room out
of service below what is sold, aborts the catalog change too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from innkeeper.audit.service import Actor
from innkeeper.catalog.models import Property, Room, RoomType


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


# -- deletion guards: emitted before a soft delete; a handler refuses by raising ---------------------------
# (the catalog cannot see bookings, which sit above it: ``bookings.catalog_guards`` answers these with
# 409 ``catalog.has_future_bookings`` while active future bookings need the thing)


@dataclass(frozen=True)
class PropertyDeleting:
    prop: Property
    actor: Actor


@dataclass(frozen=True)
class RoomTypeDeleting:
    prop: Property
    room_type: RoomType
    actor: Actor


@dataclass(frozen=True)
class RoomDeleting:
    prop: Property
    room: Room
    actor: Actor
