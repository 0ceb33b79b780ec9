"""Per-process caches of what each property's catalog holds, under its ``catalog_version``.

A property's ``catalog_version`` is bumped in every transaction that changes its room types, rate rules,
or its resources' weekly windows and rates (``catalog.models.bump_catalog_versions``). A reader reads
the version with the property and takes the entry cached at that version, or loads the entry and puts it
there: a change committed through any process shows in the next read of every process. Search keeps the
stays' entries (``search.finder``); search, the slot booking and its quote keep the resources' windows
and rates (``pricing.resource_cards``). What makes a night or a slot free is never cached.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any, Generic, TypeVar, cast

Entry = TypeVar("Entry")


class CatalogCache(Generic[Entry]):
    """Per process: an entry per property (what a reader keeps of its catalog), under the
    ``catalog_version`` it was read at. A reader asks with the version it has just read of the property
    and reloads the entries that are behind (see the module). Least recently used entries go beyond
    ``size`` properties."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._entries: OrderedDict[uuid.UUID, tuple[int, Entry]] = OrderedDict()

    def get(self, property_id: uuid.UUID, version: int) -> Entry | None:
        entry = self._entries.get(property_id)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(property_id)
        return entry[1]

    def current(self, versions: dict[uuid.UUID, int]) -> tuple[dict[uuid.UUID, Entry], list[uuid.UUID]]:
        """The entries of these properties that are at their version, and the ids of the others (to be
        loaded and :meth:`put`)."""
        hits: dict[uuid.UUID, Entry] = {}
        stale = []
        for property_id, version in versions.items():
            hit = self.get(property_id, version)
            if hit is None:
                stale.append(property_id)
            else:
                hits[property_id] = hit
        return hits, stale

    def put(self, property_id: uuid.UUID, version: int, entry: Entry) -> None:
        self._entries[property_id] = (version, entry)
        self._entries.move_to_end(property_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def process_cache(ctx: Any, name: str) -> CatalogCache[Any]:
    """The application's :class:`CatalogCache` called ``name`` (one per app, so per process)."""
    cache = ctx.extras.get(name)
    if cache is None:
        cache = ctx.extras[name] = CatalogCache[Any](ctx.settings.search_catalog_cache_size)
    return cast(CatalogCache[Any], cache)
