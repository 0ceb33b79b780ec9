"""Deleting properties, room types and rooms: soft deletes, refused while active future bookings need them.

The rows stay (``deleted_at`` is set), because bookings, folios, invoices, reports and the audit log
name them; every catalog read leaves them out, so they vanish from staff lists, public pages and search.
Codes, room numbers and slugs of deleted things stay taken (old links and documents keep meaning one
thing).

Bookings sit above the catalog, so the catalog cannot count them: it announces ``PropertyDeleting``,
``RoomTypeDeleting`` or ``RoomDeleting`` (``catalog.events``) first, and ``bookings.catalog_guards``
answers 409 ``catalog.has_future_bookings`` (with the count) while any stand in the way. Then the rooms
that leave service say so through ``RoomsInServiceChanged``: inventory lowers the sellable totals from
today on under its row locks, refusing (409 ``inventory.below_sold``) if a sale slipped in meanwhile,
so a deleted room type can never be sold again."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.events import PropertyDeleting, RoomDeleting, RoomsInServiceChanged, RoomTypeDeleting
from innkeeper.catalog.models import Property, Resource, Room, RoomStatus, RoomType
from innkeeper.kit import events
from innkeeper.kit.clock import utcnow


async def _retire_rooms(
    session: AsyncSession, prop: Property, rooms: list[Room], now: datetime, actor: Actor, reason: str
) -> None:
    """Mark ``rooms`` deleted; those in service leave it (inventory lowers its totals per room type)."""
    in_service = Counter(r.room_type_id for r in rooms if r.status == RoomStatus.available.value)
    for room in rooms:
        room.deleted_at = now
    for room_type_id, count in sorted(in_service.items()):
        await events.emit(session, RoomsInServiceChanged(prop, room_type_id, -count, actor, reason=reason))


async def _rooms_of(session: AsyncSession, prop: Property, room_type: RoomType | None = None) -> list[Room]:
    stmt = select(Room).where(Room.property_id == prop.id, Room.deleted_at.is_(None))
    if room_type is not None:
        stmt = stmt.where(Room.room_type_id == room_type.id)
    # locked, in id order: the same lock a room's status change takes before it moves inventory
    return list((await session.scalars(stmt.order_by(Room.id).with_for_update())).all())


async def delete_room(session: AsyncSession, prop: Property, room: Room, actor: Actor) -> None:
    await events.emit(session, RoomDeleting(prop, room, actor))
    await _retire_rooms(session, prop, [room], utcnow(), actor, reason=f"room {room.number} deleted")
    await session.flush()
    record(
        session,
        actor,
        "room.deleted",
        "room",
        room.id,
        property_id=prop.id,
        before={"number": room.number, "room_type_id": str(room.room_type_id), "status": room.status},
    )


async def delete_room_type(session: AsyncSession, prop: Property, room_type: RoomType, actor: Actor) -> int:
    """Delete the room type and its rooms; the number of rooms deleted with it."""
    await events.emit(session, RoomTypeDeleting(prop, room_type, actor))
    now = utcnow()
    rooms = await _rooms_of(session, prop, room_type)
    await _retire_rooms(session, prop, rooms, now, actor, reason=f"room type {room_type.code} deleted")
    room_type.deleted_at = now  # (bumps the property's catalog_version: search forgets it at once)
    await session.flush()
    record(
        session,
        actor,
        "room_type.deleted",
        "room_type",
        room_type.id,
        property_id=prop.id,
        before={"code": room_type.code, "name": room_type.name, "rooms": len(rooms)},
    )
    return len(rooms)


async def delete_property(session: AsyncSession, prop: Property, actor: Actor) -> None:
    """Delete the property with its room types and rooms, and take its hourly resources off sale."""
    await events.emit(session, PropertyDeleting(prop, actor))
    now = utcnow()
    rooms = await _rooms_of(session, prop)
    await _retire_rooms(session, prop, rooms, now, actor, reason="property deleted")
    room_types = (
        await session.scalars(
            select(RoomType).where(RoomType.property_id == prop.id, RoomType.deleted_at.is_(None))
        )
    ).all()
    for room_type in room_types:
        room_type.deleted_at = now
    resources = (
        await session.scalars(select(Resource).where(Resource.property_id == prop.id, Resource.is_active))
    ).all()
    for resource in resources:
        resource.is_active = False
    was_active = prop.is_active
    prop.is_active = False
    prop.deleted_at = now
    await session.flush()
    record(
        session,
        actor,
        "property.deleted",
        "property",
        prop.id,
        property_id=prop.id,
        before={
            "slug": prop.slug,
            "name": prop.name,
            "is_active": was_active,
            "room_types": len(room_types),
            "rooms": len(rooms),
            "resources": len(resources),
        },
    )
