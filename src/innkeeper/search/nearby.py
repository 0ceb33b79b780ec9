"""Search widening: a city search that finds fewer than :data:`NEARBY_MIN_RESULTS` properties adds the
nearest active ones around the city, within ``INNKEEPER_SEARCH_NEARBY_RADIUS_KM``.

"Around the city" is the centre of the city's active hotels that have coordinates (the mean of their
latitudes and longitudes: one aggregate over the partial index on active properties by city). A city
with no located hotel has no centre, and is not widened. The widened search is the same search (stay,
guests, rooms, price, stars, currency, amenities: only bookable properties that match) by coordinates,
nearest first; the city's own properties are left out of it (they were already judged). Its results come
after the city's, each marked ``nearby: true`` with ``distance_km`` from the centre, as many as bring
the answer up to :data:`NEARBY_MIN_RESULTS`.

Nothing here runs when the city found enough: the hot path pays one comparison."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property
from innkeeper.catalog.schemas import fold_city

#: fewer results than this in the city: widen
NEARBY_MIN_RESULTS = 5

_CITY_CENTRE = select(func.avg(Property.latitude), func.avg(Property.longitude)).where(
    # the bare column: matches the partial index's ``WHERE is_active`` (see search.finder)
    Property.is_active,
    Property.kind == "hotel",
    Property.city_key == bindparam("city_key"),
    Property.latitude.is_not(None),
    Property.longitude.is_not(None),
)


def wanted(settings: Any, p: Any, found: int) -> int:
    """How many nearby results a search by ``p`` that found ``found`` should add (0: none)."""
    if (
        found >= NEARBY_MIN_RESULTS
        or p.city is None
        or p.lat is not None
        or not settings.search_nearby_radius_km
    ):
        return 0
    return NEARBY_MIN_RESULTS - found


async def around_city(session: AsyncSession, settings: Any, p: Any) -> Any | None:
    """The search by coordinates around the city's centre (``None`` when the city has none)."""
    conn = await session.connection()
    centre = (await conn.execute(_CITY_CENTRE, {"city_key": fold_city(p.city)})).first()
    if centre is None or centre[0] is None or centre[1] is None:
        return None
    return replace(
        p,
        city=None,
        lat=float(centre[0]),
        lng=float(centre[1]),
        radius_km=settings.search_nearby_radius_km,
        sort="distance",
        offset=0,
    )


def outside_city(results: list[Any], city: str, count: int) -> list[Any]:
    """The first ``count`` ranked results (tuples whose 4th item is the property row) not in ``city``."""
    key = fold_city(city)
    return [r for r in results if fold_city(r[3].city) != key][:count]
