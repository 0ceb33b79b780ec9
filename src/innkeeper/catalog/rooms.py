"""Room types and physical rooms. Rooms in service set the sellable total of their type's inventory.

Deleted room types and rooms (``deleted_at``, see ``catalog.deletion``) are not found here: every read
below leaves them out, so a route naming one answers 404."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import DuplicateCode, DuplicateRoom, RoomNotFound, RoomTypeNotFound
from innkeeper.catalog.events import RoomsInServiceChanged, RoomTypeCreated
from innkeeper.catalog.images import image_to_api, room_type_images
from innkeeper.catalog.models import Property, PropertyImage, Room, RoomStatus, RoomType
from innkeeper.catalog.schemas import RoomIn, RoomPatch, RoomTypeIn, RoomTypePatch
from innkeeper.kit import events
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import MoneyIn


def room_type_to_api(
    rt: RoomType, *, rooms: int | None = None, images: list[PropertyImage] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(rt.id),
        "property_id": str(rt.property_id),
        "code": rt.code,
        "name": rt.name,
        "capacity": rt.capacity,
        "base_price": Money(rt.base_price_minor, rt.currency).to_api(),
        "bed_config": rt.bed_config,
        "size_sqm": rt.size_sqm,
        "amenities": list(rt.amenities or []),
        "description": rt.description,
        "images": [image_to_api(i) for i in images or []],
    }
    if rooms is not None:
        out["rooms"] = rooms
    return out


def room_to_api(room: Room) -> dict[str, Any]:
    return {
        "id": str(room.id),
        "property_id": str(room.property_id),
        "room_type_id": str(room.room_type_id),
        "number": room.number,
        "floor": room.floor,
        "status": room.status,
        "housekeeping": room.housekeeping,
    }


def parse_price(value: MoneyIn, currency: str, field: str) -> int:
    """A price in minor units of ``currency``: zero or more (422 naming ``field`` otherwise)."""
    money = value.resolve(currency, field=field)
    if money.minor < 0:
        raise ValidationFailed(
            f"{field} must not be negative",
            code="money.negative",
            errors=[{"field": field, "message": "must not be negative", "type": "negative"}],
        )
    return money.minor


async def create_room_type(
    session: AsyncSession, prop: Property, data: RoomTypeIn, horizon_days: int, actor: Actor
) -> RoomType:
    price = parse_price(data.base_price, prop.currency, "base_price")
    taken = (
        await session.execute(
            select(RoomType.deleted_at).where(RoomType.property_id == prop.id, RoomType.code == data.code)
        )
    ).first()
    if taken is not None:
        deleted = " (a deleted room type: codes are never reused)" if taken[0] is not None else ""
        raise DuplicateCode(f"{data.code!r} exists{deleted}")
    rt = RoomType(
        property_id=prop.id,
        code=data.code,
        name=data.name,
        capacity=data.capacity,
        base_price_minor=price,
        currency=prop.currency,
        bed_config=data.bed_config,
        size_sqm=data.size_sqm,
        amenities=data.amenities or [],
        description=data.description,
    )
    session.add(rt)
    await session.flush()
    await events.emit(session, RoomTypeCreated(prop, rt, horizon_days))
    record(
        session,
        actor,
        "room_type.created",
        "room_type",
        rt.id,
        property_id=prop.id,
        after=room_type_to_api(rt),
    )
    return rt


async def list_room_types(session: AsyncSession, property_id: uuid.UUID) -> list[dict[str, Any]]:
    counts = dict(
        (
            await session.execute(
                select(Room.room_type_id, func.count())
                .where(
                    Room.property_id == property_id,
                    Room.status == RoomStatus.available.value,
                    Room.deleted_at.is_(None),
                )
                .group_by(Room.room_type_id)
            )
        ).all()
    )
    types = (
        await session.scalars(
            select(RoomType)
            .where(RoomType.property_id == property_id, RoomType.deleted_at.is_(None))
            .order_by(RoomType.base_price_minor, RoomType.code)
        )
    ).all()
    pictures = await room_type_images(session, property_id)
    return [room_type_to_api(rt, rooms=int(counts.get(rt.id, 0)), images=pictures.get(rt.id)) for rt in types]


async def update_room_type(
    session: AsyncSession, prop: Property, room_type_id: uuid.UUID, data: RoomTypePatch, actor: Actor
) -> RoomType:
    rt = await room_type_of(session, prop.id, room_type_id)
    before = room_type_to_api(rt)
    for key in data.model_fields_set:
        value = getattr(data, key)
        if key in ("name", "capacity", "base_price") and value is None:
            raise ValidationFailed(f"{key} cannot be null")
        if key == "base_price":
            rt.base_price_minor = parse_price(value, prop.currency, "base_price")
        elif key == "amenities":
            rt.amenities = value or []
        else:
            setattr(rt, key, value)
    await session.flush()
    record(
        session,
        actor,
        "room_type.updated",
        "room_type",
        rt.id,
        property_id=prop.id,
        before=before,
        after=room_type_to_api(rt),
    )
    return rt


async def room_type_of(session: AsyncSession, property_id: uuid.UUID, room_type_id: uuid.UUID) -> RoomType:
    """A room type of this property (404 ``room_type.not_found`` for another property's)."""
    room_type = await session.scalar(
        select(RoomType).where(
            RoomType.id == room_type_id, RoomType.property_id == property_id, RoomType.deleted_at.is_(None)
        )
    )
    if room_type is None:
        raise RoomTypeNotFound("No such room type at this property")
    return room_type


async def get_room(
    session: AsyncSession, property_id: uuid.UUID, room_id: uuid.UUID, *, lock: bool = False
) -> Room:
    stmt = select(Room).where(Room.id == room_id, Room.property_id == property_id, Room.deleted_at.is_(None))
    if lock:
        stmt = stmt.with_for_update()
    room = await session.scalar(stmt)
    if room is None:
        raise RoomNotFound()
    return room


async def list_rooms(session: AsyncSession, property_id: uuid.UUID) -> list[Room]:
    return list(
        (
            await session.scalars(
                select(Room)
                .where(Room.property_id == property_id, Room.deleted_at.is_(None))
                .order_by(Room.floor, Room.number)
            )
        ).all()
    )


async def create_room(session: AsyncSession, prop: Property, data: RoomIn, actor: Actor) -> Room:
    rt = await room_type_of(session, prop.id, data.room_type_id)
    taken = (
        await session.execute(
            select(Room.deleted_at).where(Room.property_id == prop.id, Room.number == data.number)
        )
    ).first()
    if taken is not None:
        deleted = " (a deleted room: numbers are never reused)" if taken[0] is not None else ""
        raise DuplicateRoom(f"Room {data.number} exists{deleted}")
    room = Room(
        property_id=prop.id,
        room_type_id=rt.id,
        number=data.number,
        floor=data.floor,
        status=RoomStatus.available.value,
        housekeeping="clean",
    )
    session.add(room)
    await session.flush()
    record(session, actor, "room.created", "room", room.id, property_id=prop.id, after=room_to_api(room))
    await events.emit(
        session, RoomsInServiceChanged(prop, rt.id, +1, actor, reason=f"room {room.number} added")
    )
    return room


async def update_room(
    session: AsyncSession, prop: Property, room_id: uuid.UUID, data: RoomPatch, actor: Actor
) -> Room:
    # Locked: two concurrent status changes of one room must not both move the inventory total (the
    # second one would read the stale status). Rooms are locked before inventory rows, everywhere.
    room = await get_room(session, prop.id, room_id, lock=True)
    before = room_to_api(room)
    fields = data.model_fields_set
    if ("status" in fields and data.status is None) or (
        "housekeeping" in fields and data.housekeeping is None
    ):
        raise ValidationFailed("status and housekeeping cannot be null")
    if data.status is not None and data.status != room.status:
        delta = -1 if data.status == RoomStatus.out_of_order.value else +1
        await events.emit(
            session,
            RoomsInServiceChanged(
                prop, room.room_type_id, delta, actor, reason=f"room {room.number} {data.status}"
            ),
        )
        room.status = data.status
    if data.housekeeping is not None:
        room.housekeeping = data.housekeeping
    if "floor" in fields:
        room.floor = data.floor
    await session.flush()
    record(
        session,
        actor,
        "room.updated",
        "room",
        room.id,
        property_id=prop.id,
        before=before,
        after=room_to_api(room),
    )
    return room
