"""The answers of the public catalog: search results, locations, a property's page, availability, the
price calendar and quotes (built as dicts by ``search.service`` and ``search.finder``)."""

from __future__ import annotations

import uuid

from pydantic import Field

from innkeeper.catalog.schemas import PublicPropertyFields, RoomTypeOut
from innkeeper.kit.outputs import Day, DecimalText, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut
from innkeeper.pricing.schemas import QuoteOut

# -- GET /search --------------------------------------------------------------------------------------------


class PropertySummaryOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    city: str
    country: str
    star_rating: int | None
    rating: DecimalText | None
    review_count: int = Field(description="Published reviews behind the rating")
    latitude: float | None
    longitude: float | None
    currency: str
    amenities: list[str]
    distance_km: float | None = Field(
        description="From lat/lng when searching by coordinates; for a nearby result, from the city's centre"
    )
    nearby: bool = Field(
        description="Added because the city had fewer than 5 results: a property around it, within "
        "INNKEEPER_SEARCH_NEARBY_RADIUS_KM"
    )


class OfferOut(Out):
    """A room type that can take the whole stay, priced for it."""

    id: uuid.UUID
    code: str
    name: str
    capacity: int
    available: int
    total: MoneyOut
    nightly_average: MoneyOut


class SearchResultOut(Out):
    property: PropertySummaryOut
    is_favorite: bool = Field(description="In the signed-in caller's favorites (false when anonymous)")
    from_price: MoneyOut = Field(description="The cheapest offer's total for the stay")
    nightly_from: MoneyOut
    nights: int
    available_room_types: list[OfferOut]


class SearchPageOut(ListOf[SearchResultOut]):
    limit: int
    offset: int


# -- locations and a property's page ------------------------------------------------------------------------


class LocationOut(Out):
    city: str
    country: str
    properties: int = Field(description="Active properties in the city")


class PublicPropertyOut(PublicPropertyFields):
    room_types: list[RoomTypeOut]


# -- availability, calendar, quote ---------------------------------------------------------------------------


class RoomTypeBriefOut(Out):
    id: uuid.UUID
    code: str
    name: str
    capacity: int


class NightPriceOut(Out):
    date: Day
    price: MoneyOut


class AvailabilityItemOut(Out):
    room_type: RoomTypeBriefOut
    available: int = Field(description="Rooms free on every night of the stay")
    bookable: bool
    reason: str | None = Field(description="Why it cannot be booked, when it cannot")
    nights: list[NightPriceOut]
    total: MoneyOut | None
    quote: QuoteOut | None = Field(None, description="Present when every night of the stay is on sale")


class AvailabilityPropertyOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    currency: str


class AvailabilityOut(ListOf[AvailabilityItemOut]):
    property: AvailabilityPropertyOut
    checkin: Day
    checkout: Day
    guests: int
    rooms: int


class CalendarDayOut(Out):
    """One arrival day; ``min_stay`` and ``closed_to_arrival`` appear for days on sale."""

    date: Day
    available: int
    price: MoneyOut | None = Field(description="One room for one night arriving that day")
    closed: bool
    min_stay: int | None = None
    closed_to_arrival: bool | None = None


class CalendarOut(ListOf[CalendarDayOut]):
    room_type_id: uuid.UUID
    currency: str


class QuotePropertyOut(Out):
    id: uuid.UUID
    slug: str
    name: str


class QuoteRoomTypeOut(Out):
    id: uuid.UUID
    code: str
    name: str


class PublicQuoteOut(QuoteOut):
    property: QuotePropertyOut
    room_type: QuoteRoomTypeOut
    available: int
