"""Answer shapes of the public resource search (``GET /resources``)."""

from __future__ import annotations

import uuid

from pydantic import Field

from innkeeper.kit.outputs import Instant, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut


class FoundResourceOut(Out):
    id: uuid.UUID
    kind: str = Field(examples=["meeting_room"])
    name: str
    capacity: int | None
    category: str | None


class FoundResourcePropertyOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    city: str


class ResourceResultOut(Out):
    resource: FoundResourceOut
    property: FoundResourcePropertyOut
    from_price: MoneyOut = Field(
        description="The total of the cheapest free slot of that length that day, as the booking's quote "
        "prices it (no add-ons; the caller's loyalty discount; for mode=travel the fee to lat/lng)"
    )
    first_slot: Instant = Field(description="The start of that slot, with the property's offset")
    distance_km: float | None = Field(
        None, description="With lat/lng: from the property (from where a professional travels, mode=travel)"
    )


class ResourcePageOut(ListOf[ResourceResultOut]):
    limit: int
    offset: int
