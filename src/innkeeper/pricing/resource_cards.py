"""What a process keeps of each hourly resource: its weekly windows and rates (:class:`ResourceCard`),
per property under its ``catalog_version`` (``catalog.cache.CatalogCache``, one entry per property:
:data:`ResourceCatalog`). Resource search reads the cards of hundreds of resources a request; a slot
booking (and its reschedule) checks its time against the card's windows and prices it with the card's
rates (:func:`resource_card`), so search, the quote and the booking read the same cached rows.

A window or rate written through the ORM bumps its property's ``catalog_version`` in the same
transaction (``catalog.models.bump_catalog_versions``); ``inventory.schedule.set_windows`` bumps it for
its Core delete. Every reader reads the version with the property, so a change made through any
process shows in the next read of every process. Exceptions and allocations (what makes a slot free)
are never cached.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.cache import CatalogCache, process_cache
from innkeeper.catalog.models import Property, Resource
from innkeeper.inventory.hourly import WindowPattern, window_pattern
from innkeeper.inventory.hourly_models import ResourceWindow
from innkeeper.pricing.hourly import RateCard, rate_card
from innkeeper.pricing.models import ResourceRate


class ResourceCard(NamedTuple):
    """A resource's weekly windows and rates, as search keeps them per process: the windows as a
    value (``inventory.hourly.window_pattern``), the rates (plain rows) as their ``RateCard``."""

    windows: WindowPattern
    prices: RateCard


#: a resource without windows or rates (or created since its property's entry was cached: it had
#: neither then, since adding either bumps the property's ``catalog_version``)
NO_CARD = ResourceCard((), rate_card([]))
#: what the cache keeps of a property: its resources' cards by resource id
ResourceCatalog = dict[uuid.UUID, ResourceCard]


def resource_catalog_cache(ctx: Any) -> CatalogCache[ResourceCatalog]:
    """The application's cache of resource cards."""
    return process_cache(ctx, "pricing.resource_catalog_cache")


async def resource_card(
    session: AsyncSession, cache: CatalogCache[ResourceCatalog], resource: Resource, prop: Property
) -> ResourceCard:
    """The card of one resource, at the ``catalog_version`` of ``prop`` as this transaction read it
    (``prop`` freshly loaded, not changed in this transaction): from the cache, else its property's
    cards are loaded (two statements) and kept."""
    conn = await session.connection()
    cards = await cached_cards(conn, cache, {prop.id: prop.catalog_version})
    return cards.get(resource.id, NO_CARD)


_w, _r = ResourceWindow, ResourceRate
_WINDOWS = select(Resource.property_id, _w.resource_id, _w.weekday, _w.start_minute, _w.end_minute).join(
    Resource, Resource.id == _w.resource_id
)
_RATES = select(
    Resource.property_id,
    _r.id,
    _r.resource_id,
    _r.weekdays,
    _r.start_minute,
    _r.end_minute,
    _r.hourly_price_minor,
    _r.percent,
).join(Resource, Resource.id == _r.resource_id)


async def cards_of(conn: Any, ids: Any, params: dict[str, Any]) -> dict[uuid.UUID, ResourceCard]:
    """The cards of the resources ``ids`` (a statement's clause, with its bound ``params``), read now
    (no cache)."""
    catalogs = await _load_cards(conn, _w.resource_id.in_(ids), _r.resource_id.in_(ids), params)
    return {rid: card for catalog in catalogs.values() for rid, card in catalog.items()}


async def cached_cards(
    conn: Any, cache: CatalogCache[ResourceCatalog], versions: dict[uuid.UUID, int]
) -> dict[uuid.UUID, ResourceCard]:
    """The cards of these properties' resources: from the cache, reloading the properties behind their
    version (two statements per 500 of them)."""
    hits, stale = cache.current(versions)
    cards = {rid: card for catalog in hits.values() for rid, card in catalog.items()}
    for i in range(0, len(stale), 500):  # bounded IN lists
        chunk = stale[i : i + 500]
        owned = Resource.property_id.in_(chunk)
        catalogs = await _load_cards(conn, owned, owned)
        for property_id in chunk:
            # (a change committed since the versions were read may already be in these rows: the next
            # search reads the newer version and loads again)
            catalog = catalogs.get(property_id, {})
            cache.put(property_id, versions[property_id], catalog)
            cards.update(catalog)
    return cards


async def _load_cards(
    conn: Any, windows_of: Any, rates_of: Any, params: dict[str, Any] | None = None
) -> dict[uuid.UUID, ResourceCatalog]:
    """The cards of the resources whose windows match ``windows_of`` and rates ``rates_of``, by
    property."""
    windows: dict[tuple[uuid.UUID, uuid.UUID], list[Any]] = defaultdict(list)
    rates: dict[tuple[uuid.UUID, uuid.UUID], list[Any]] = defaultdict(list)
    for row in (await conn.execute(_WINDOWS.where(windows_of), params)).all():
        windows[row.property_id, row.resource_id].append(row)
    for row in (await conn.execute(_RATES.where(rates_of), params)).all():
        rates[row.property_id, row.resource_id].append(RateRow(*row[1:]))
    catalogs: dict[uuid.UUID, ResourceCatalog] = defaultdict(dict)
    for property_id, resource_id in windows.keys() | rates.keys():
        catalogs[property_id][resource_id] = _card(
            windows.get((property_id, resource_id), ()), rates.get((property_id, resource_id), [])
        )
    return catalogs


class RateRow(NamedTuple):
    """A rate as the cache keeps it (a database row holds its driver's record and more: the cache keeps
    thousands of these for as long as the process lives)."""

    id: uuid.UUID
    resource_id: uuid.UUID
    weekdays: int | None
    start_minute: int | None
    end_minute: int | None
    hourly_price_minor: int | None
    percent: int | None


def _card(windows: Iterable[Any], rates: list[Any]) -> ResourceCard:
    return ResourceCard(_shared(window_pattern(windows)), rate_card(rates))


@lru_cache(maxsize=1024)
def _shared(pattern: WindowPattern) -> WindowPattern:
    """One instance of each weekly pattern in the cache: resources' hours are alike."""
    return pattern
