"""Inventory's reactions to catalog events, in the catalog's transaction (see ``catalog.events``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.events import RoomsInServiceChanged, RoomTypeCreated
from innkeeper.inventory import service
from innkeeper.kit import events


@events.on(RoomTypeCreated)
async def open_nights(session: AsyncSession, event: RoomTypeCreated) -> None:
    """A new room type gets its nights up to the horizon (with no rooms yet, nothing is sellable)."""
    await service.ensure_horizon(session, event.prop, event.room_type, event.horizon_days)


@events.on(RoomsInServiceChanged)
async def change_sellable_total(session: AsyncSession, event: RoomsInServiceChanged) -> None:
    """Rooms in service set the sellable total from the property's today on (409 below what is sold)."""
    await service.change_total(
        session, event.prop, event.room_type_id, event.delta, event.actor, reason=event.reason
    )
