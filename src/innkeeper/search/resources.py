"""Public search of hourly resources across properties (``GET /resources``).

One statement loads the candidates as plain rows (active resources of active properties, filtered by
kind, category, city, capacity, duration limits and the coordinates' bounding box) and one their
properties; two more load the exceptions and the active allocations of all of them (only those that can
touch a slot of the day), keyed by the candidates' filter as a subquery, not by their ids. Weekly
windows and rates come from a per-process cache (``pricing.resource_cards``: per property, under the
``catalog_version`` read with it), and two statements load them for the properties whose entry is
missing or behind: four statements a search once warm.
A resource's listed slot is the free slot of the day with the lowest total (the earliest of equals),
priced by ``pricing.hourly.ListedPrices`` (each slot's time charge made a total by the quote's own
arithmetic), so it is bookable and its price is the quote's. On a day without exceptions (almost every
one) the day's candidate slots are ranked by charge once for all alike resources (same windows, zone,
step, length, hourly price and rate terms: :func:`_ranked_candidates`), and each resource takes the
first that is free for it (:func:`_first_free`: after the notice, clear of its allocations with
buffers): usually the first one. A day with exceptions walks the resource's free slots with
``inventory.hourly.day_slots`` (what ``free_slots`` does for one resource, over the same rows), lazily,
stopping at the first slot whose total no other can go below (``ListedPrices.cheapest``). Both are
tested equal to pricing every free slot.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict, defaultdict, namedtuple
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.cache import CatalogCache
from innkeeper.catalog.models import Property, Resource
from innkeeper.catalog.schemas import fold_city
from innkeeper.identity.models import User
from innkeeper.inventory.errors import OutsideAvailability
from innkeeper.inventory.hourly import (
    MAX_ALLOCATION,
    MAX_SLOT_MINUTES,
    ONE_DAY,
    Interval,
    SlotGrid,
    check_duration,
    day_bounds,
    day_slots,
    earliest_start,
    grid_starts,
    last_bookable_day,
    plan_openings,
    slot_grid,
    wall_instant,
    window_openings,
)
from innkeeper.inventory.hourly_models import ResourceAllocation, ResourceException
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.geo import haversine_km
from innkeeper.kit.money import Money, exponent
from innkeeper.pricing.hourly import ListedPrices, travel_origin
from innkeeper.pricing.resource_cards import NO_CARD, ResourceCard, ResourceCatalog, cached_cards, cards_of
from innkeeper.search.finder import bounding_box


@dataclass
class ResourceSearchParams:
    day: date
    kind: str | None = None
    city: str | None = None
    category: str | None = None
    #: a property-local minute of the day: only slots starting then
    start_minute: int | None = None
    duration_minutes: int = 60
    attendees: int | None = None
    mode: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    limit: int = 20
    offset: int = 0


def validate_resource_search(settings: Any, p: ResourceSearchParams) -> None:
    errors = []
    if (p.lat is None) != (p.lng is None):
        errors.append({"field": "lat", "message": "give lat and lng together", "type": "coordinates"})
    if p.mode == "travel" and p.lat is None:
        message = "mode=travel needs the customer's lat and lng"
        errors.append({"field": "lat", "message": message, "type": "coordinates"})
    if p.radius_km is not None and not 0 < p.radius_km <= settings.search_max_radius_km:
        message = f"0 < radius_km <= {settings.search_max_radius_km}"
        errors.append({"field": "radius_km", "message": message, "type": "radius"})
    if p.radius_km is not None and p.lat is None:
        errors.append({"field": "radius_km", "message": "radius_km needs lat and lng", "type": "coordinates"})
    # "past" is judged per property; no zone on earth is more than a day behind UTC's date
    if p.day < utcnow().date() - ONE_DAY:
        errors.append({"field": "date", "message": "date is in the past", "type": "date_past"})
    if errors:
        raise ValidationFailed("The search is not valid", code="search.invalid", errors=errors)


#: columns of the candidates that neither the search nor its pricing reads: not loaded (decoding the
#: JSON of hundreds of rows was a fifth of a search's time; each timestamp is a Python object per row)
UNREAD_BY_SEARCH = frozenset(
    {
        "description",
        "amenities",
        "images",
        "payment_policy",
        "cancellation_policy",
        "created_at",
        "updated_at",
        "deleted_at",
        "user_id",
        "created_by",
        "address",
        "contact_email",
        "contact_phone",
        "check_in_time",
        "check_out_time",
    }
)
#: the candidates are plain rows (hundreds of ORM objects cost more than the search's arithmetic); they
#: carry the attributes of the models' columns that search, ``inventory.hourly`` and pricing read
_READ_COLUMNS = [c for c in Resource.__table__.c if c.key not in UNREAD_BY_SEARCH and c.key != "travel"]
#: ``travel`` (JSON) is read only by a search in travel mode; the others take NULL in its place
RESOURCE_COLUMNS = [*_READ_COLUMNS, Resource.__table__.c.travel]
_RESOURCE_COLUMNS_BUT_TRAVEL = [*_READ_COLUMNS, null().label("travel")]
PROPERTY_COLUMNS = [c for c in Property.__table__.c if c.key not in UNREAD_BY_SEARCH]
#: ...as named tuples: a search reads a couple of dozen attributes of each of hundreds of candidates and
#: their properties, and a database row's attribute costs several times a named tuple's
ResourceRow = namedtuple("ResourceRow", [c.key for c in RESOURCE_COLUMNS])  # type: ignore[misc]
PropertyRow = namedtuple("PropertyRow", [c.key for c in PROPERTY_COLUMNS])  # type: ignore[misc]


async def load_candidates(
    session: AsyncSession, shape: Shape, binds: dict[str, Any], *, travel: bool
) -> list[tuple[Any, Any]]:
    """The (resource, property) rows a search's filters (:func:`search_binds`) apply to, by resource id:
    two statements (the resources, then their properties, each once)."""
    conn = await session.connection()
    rows = (await conn.execute(_candidates(shape, travel), binds)).all()  # (iterating fetches one by one)
    if not rows:
        return []
    resources: list[Any] = [ResourceRow._make(row) for row in rows]
    props = (await conn.execute(_candidate_properties(shape), binds)).all()
    by_id = {row.id: PropertyRow._make(row) for row in props}
    return [(r, by_id[r.property_id]) for r in resources]


#: which filters a search has (kind, category, city, attendees, online, a box, a longitude range): the
#: statements are built once per shape, with bound parameters (building and keying them anew cost more
#: than a search's arithmetic on hundreds of resources)
Shape = tuple[bool, bool, bool, bool, bool, bool, bool]


def search_binds(p: ResourceSearchParams, settings: Any) -> tuple[Shape, dict[str, Any]]:
    """The shape of a search's statements and the values of their bound parameters."""
    binds: dict[str, Any] = {"duration": p.duration_minutes}
    if p.kind is not None:
        binds["kind"] = p.kind
    if p.category is not None:
        binds["category"] = p.category.strip().lower()
    if p.city is not None:
        binds["city_key"] = fold_city(p.city)
    if p.attendees is not None:
        binds["attendees"] = p.attendees
    box = lng_box = False
    if p.lat is not None and p.lng is not None and p.mode != "travel":
        # on site: the property must be within the radius (a box here, the circle in Python)
        south, north, west, east = bounding_box(
            p.lat, p.lng, p.radius_km or settings.search_default_radius_km
        )
        box, lng_box = True, west >= -180 and east <= 180
        binds.update(south=south, north=north, west=west, east=east)
    shape = (
        p.kind is not None,
        p.category is not None,
        p.city is not None,
        p.attendees is not None,
        p.mode == "online",
        box,
        lng_box,
    )
    return shape, binds


def _filtered(columns: Any, shape: Shape) -> Any:
    """``columns`` (a ``select``) of the resources a search of this shape keeps, joined to their
    property."""
    kind, category, city, attendees, online, box, lng_box = shape
    duration: Any = bindparam("duration")
    stmt = columns.join(Property, Property.id == Resource.property_id).where(
        Resource.is_active,
        Property.is_active,
        Resource.min_duration_minutes <= duration,
        or_(Resource.max_duration_minutes.is_(None), Resource.max_duration_minutes >= duration),
    )
    if kind:
        stmt = stmt.where(Resource.kind == bindparam("kind"))
    if category:
        stmt = stmt.where(func.lower(Resource.category) == bindparam("category"))
    if city:
        stmt = stmt.where(Property.city_key == bindparam("city_key"))
    if attendees:
        stmt = stmt.where(or_(Resource.capacity.is_(None), Resource.capacity >= bindparam("attendees")))
    if online:
        stmt = stmt.where(Resource.online)
    if box:
        stmt = stmt.where(Property.latitude.between(bindparam("south"), bindparam("north")))
        if lng_box:
            stmt = stmt.where(Property.longitude.between(bindparam("west"), bindparam("east")))
    return stmt


@lru_cache(maxsize=256)
def _candidates(shape: Shape, travel: bool) -> Any:
    columns = RESOURCE_COLUMNS if travel else _RESOURCE_COLUMNS_BUT_TRAVEL
    return _filtered(select(*columns), shape).order_by(Resource.id)


@lru_cache(maxsize=128)
def _candidate_properties(shape: Shape) -> Any:
    return select(*PROPERTY_COLUMNS).where(Property.id.in_(_filtered(select(Resource.property_id), shape)))


@lru_cache(maxsize=128)
def candidate_ids(shape: Shape) -> Any:
    """The ids of a search's candidates, as a subquery of the later statements: sending hundreds of ids
    back as bound values cost more than the search's SQL itself."""
    return _filtered(select(Resource.id), shape)


def _distance(
    p: ResourceSearchParams, settings: Any, resource: Resource, prop: Property
) -> tuple[bool, float | None]:
    """Whether the resource is within reach of the searched point, and how far it is (None: no point)."""
    if p.lat is None or p.lng is None:
        return True, None
    if p.mode == "travel":
        origin = travel_origin(resource, prop)
        if not resource.travel or origin is None:
            return False, None
        distance = haversine_km(origin[0], origin[1], p.lat, p.lng)
        max_km = resource.travel.get("max_km")
        if max_km is not None and Decimal(repr(distance)) > Decimal(str(max_km)):
            return False, distance
        return p.radius_km is None or distance <= p.radius_km, distance
    if prop.latitude is None or prop.longitude is None:
        return False, None
    distance = haversine_km(prop.latitude, prop.longitude, p.lat, p.lng)
    return distance <= (p.radius_km or settings.search_default_radius_km), distance


@dataclass
class Schedules:
    """The rows ``free_slots`` reads, for many resources: by resource id. Plain rows, not ORM objects
    (search reads thousands of them): they have the attributes ``plan_day`` and the pricer read."""

    cards: dict[uuid.UUID, ResourceCard]
    exceptions: dict[uuid.UUID, list[Any]]
    held: dict[uuid.UUID, list[Interval]]


def _by_resource(rows: Any) -> dict[uuid.UUID, list[Any]]:
    out: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows.all():  # (fetchall: iterating fetches row by row)
        out[row.resource_id].append(row)
    return out


#: the resources' ids as bound values, for a caller that has them (not a search's subquery)
_BOUND_IDS: Any = bindparam("ids", expanding=True)


@lru_cache(maxsize=128)
def _schedule_statements(ids: Any) -> tuple[Any, Any]:
    """The exceptions and the active allocations of the resources ``ids`` that can touch a slot of a
    day (the instants of :class:`_Span`, bound)."""
    x, a = ResourceException, ResourceAllocation
    exceptions = select(x.resource_id, x.starts_at, x.ends_at, x.kind).where(
        x.resource_id.in_(ids), x.starts_at < bindparam("plan_hi"), x.ends_at > bindparam("plan_lo")
    )
    allocations = select(a.resource_id, a.starts_at, a.ends_at).where(
        a.resource_id.in_(ids),
        a.active,
        a.starts_at < bindparam("held_hi"),
        a.starts_at > bindparam("held_earliest"),
        a.ends_at > bindparam("held_lo"),
    )
    return exceptions, allocations


async def load_schedules(
    session: AsyncSession,
    resources: Sequence[tuple[Resource, Property]],
    day: date,
    duration_minutes: int = MAX_SLOT_MINUTES,
    ids: Any = None,
    binds: dict[str, Any] | None = None,
    cache: CatalogCache[ResourceCatalog] | None = None,
) -> Schedules:
    """The windows, exceptions, active allocations and rates of many resources around ``day``, for
    slots of at most ``duration_minutes``: one statement each, whatever the number of resources; with a
    ``cache``, windows and rates only for the properties whose entry is behind. ``ids``: a subquery of
    (at least) their ids (:func:`candidate_ids`, with its ``binds``), else their ids as bound values.
    Plain rows, read through the Core connection (no ORM loading step)."""
    if ids is None:
        ids, binds = _BOUND_IDS, {"ids": [resource.id for resource, _ in resources]}
    span = _search_range(resources, day, duration_minutes)
    params = {
        **(binds or {}),
        "plan_lo": span.plan_lo,
        "plan_hi": span.plan_hi,
        "held_lo": span.held_lo,
        "held_hi": span.held_hi,
        "held_earliest": span.held_lo - MAX_ALLOCATION,
    }
    conn = await session.connection()
    exceptions_of, allocations_of = _schedule_statements(ids)
    exceptions = await conn.execute(exceptions_of, params)
    held: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    for resource_id, starts_at, ends_at in (await conn.execute(allocations_of, params)).all():
        held[resource_id].append((starts_at, ends_at))
    if cache is None:
        cards = await cards_of(conn, ids, params)
    else:
        cards = await cached_cards(conn, cache, {prop.id: prop.catalog_version for _, prop in resources})
    return Schedules(cards, _by_resource(exceptions), held)


@dataclass(frozen=True)
class _Span:
    plan_lo: datetime
    plan_hi: datetime
    held_lo: datetime
    held_hi: datetime


def _search_range(resources: Sequence[tuple[Resource, Property]], day: date, duration_minutes: int) -> _Span:
    """Instants covering every row :func:`resource_free_slots` reads for ``day``, whatever each
    resource's time zone: its plan reads the exceptions of local days ``day-1 .. day+1``; a slot starts
    on ``day`` and its buffered range is what an allocation must overlap to take it. (An allocation
    outside that range cannot touch a slot of the day, so loading only these is loading all that
    matters: a day and a bit, not the week around it.)"""
    zones = {ZoneInfo(z) for z in {prop.timezone for _, prop in resources}}
    before = max(resource.buffer_before_minutes for resource, _ in resources)
    after = max(resource.buffer_after_minutes for resource, _ in resources)
    day_lo = min(wall_instant(day, 0, tz) for tz in zones)
    day_hi = max(wall_instant(day + ONE_DAY, 0, tz) for tz in zones)
    return _Span(
        plan_lo=min(wall_instant(day - ONE_DAY, 0, tz) for tz in zones),
        plan_hi=max(wall_instant(day + 2 * ONE_DAY, 0, tz) for tz in zones),
        held_lo=day_lo - timedelta(minutes=before),
        held_hi=day_hi + timedelta(minutes=duration_minutes + after),
    )


def resource_free_slots(
    resource: Resource, prop: Property, schedules: Schedules, day: date, duration: int, now: datetime
) -> list[Interval]:
    """``inventory.hourly.free_slots`` over preloaded rows: the same rows selected, the same function."""
    return list(_slot_walk(resource, prop, schedules, day, duration, now)[0])


@lru_cache(maxsize=256)
def _frame(day: date, tz: ZoneInfo) -> tuple[datetime, datetime, datetime, datetime]:
    """The instants bounding what a plan of local ``day`` reads (local days ``day-1 .. day+1``), then
    the day's own bounds."""
    return (wall_instant(day - ONE_DAY, 0, tz), wall_instant(day + 2 * ONE_DAY, 0, tz), *day_bounds(day, tz))


def _slot_walk(
    resource: Resource, prop: Property, schedules: Schedules, day: date, duration: int, now: datetime
) -> tuple[Iterator[Interval], SlotGrid | None]:
    """The free slots of :func:`resource_free_slots`, one at a time, and their grid
    (``inventory.hourly.slot_grid``)."""
    try:
        check_duration(resource, duration, field="duration_minutes")
    except OutsideAvailability:
        return iter(()), None  # a length this resource does not sell
    tz = ZoneInfo(prop.timezone)
    if day > last_bookable_day(resource, now, tz):
        return iter(()), None
    plan_lo, plan_hi, lo, hi = _frame(day, tz)
    exceptions = [
        x for x in schedules.exceptions.get(resource.id, ()) if x.starts_at < plan_hi and x.ends_at > plan_lo
    ]
    card = schedules.cards.get(resource.id, NO_CARD)
    plan = plan_openings(window_openings(card.windows, day, tz), exceptions)
    held_lo = lo - timedelta(minutes=resource.buffer_before_minutes)
    held_hi = hi + timedelta(minutes=duration + resource.buffer_after_minutes)
    held = [(s, e) for s, e in schedules.held.get(resource.id, []) if s < held_hi and e > held_lo]
    slots = day_slots(resource, plan, held, day, duration, tz, now=now)
    return slots, slot_grid(resource, plan, day, tz)


def _listed_prices(
    p: ResourceSearchParams,
    resource: Resource,
    prop: Property,
    card: ResourceCard,
    distance: float | None,
    user: User | None,
) -> ListedPrices:
    return ListedPrices(
        prop,
        resource,
        card.prices,
        attendees=p.attendees or 1,
        mode=p.mode,
        distance_km=distance if p.mode == "travel" else None,
        loyalty_tier=user.loyalty_tier if user else None,
    )


def _cheapest(
    p: ResourceSearchParams,
    resource: Resource,
    prop: Property,
    schedules: Schedules,
    distance: float | None,
    user: User | None,
    now: datetime,
) -> tuple[int, Interval] | None:
    """``(total, slot)`` of the free slot with the lowest total, the earliest of equals, priced as the
    booking would be; None without free slots. A day without exceptions (almost every one) is read off
    the day's ranked candidates (:func:`_ranked_candidates`); otherwise its free slots are walked."""
    card = schedules.cards.get(resource.id, NO_CARD)
    if p.start_minute is None and not _exceptions_around(resource, prop, schedules, p.day):
        try:
            check_duration(resource, p.duration_minutes, field="duration_minutes")
        except OutsideAvailability:
            return None  # a length this resource does not sell
        tz = ZoneInfo(prop.timezone)
        if p.day > last_bookable_day(resource, now, tz):
            return None
        prices = _listed_prices(p, resource, prop, card, distance, user)
        ranked = _ranked_candidates(prices, card, resource, p.day, tz, p.duration_minutes)
        first = max(_frame(p.day, tz)[2], now, earliest_start(resource, now))
        return _first_free(ranked, prices, schedules.held.get(resource.id, ()), first, resource)
    slots, grid = _slot_walk(resource, prop, schedules, p.day, p.duration_minutes, now)
    if p.start_minute is not None:
        tz = ZoneInfo(prop.timezone)
        slots = (
            (start, end)
            for start, end in slots
            if (local := start.astimezone(tz)).hour * 60 + local.minute == p.start_minute
        )
    return _listed_prices(p, resource, prop, card, distance, user).cheapest(slots, grid)


def _exceptions_around(resource: Resource, prop: Property, schedules: Schedules, day: date) -> bool:
    """Whether an exception touches what the plan of ``day`` reads (:func:`_slot_walk`)."""
    found = schedules.exceptions.get(resource.id)
    if not found:
        return False
    plan_lo, plan_hi = _frame(day, ZoneInfo(prop.timezone))[:2]
    return any(x.starts_at < plan_hi and x.ends_at > plan_lo for x in found)


#: a day's candidate slots grouped by time charge, cheapest first, per what decides them (weekly
#: windows, day, zone, step, length, hourly price and rate terms): resources of a search are alike, so
#: one ranking serves many of them (bounded: ~6 KB each, ~1.5 MB in all)
Ranked = tuple[tuple[int, tuple[Interval, ...]], ...]
_RANKED: OrderedDict[tuple[Any, ...], Ranked] = OrderedDict()
_RANKED_SIZE = 256


def _ranked_candidates(
    prices: ListedPrices, card: ResourceCard, resource: Resource, day: date, tz: ZoneInfo, minutes: int
) -> Ranked:
    """Every slot ``inventory.hourly.day_slots`` may give on ``day`` (no exceptions that day; before the
    notice and allocations are applied) as ``(time charge, slots in start order)``, cheapest charge
    first. The charge is ``prices.charge``, which depends on the resource only through its hourly price
    and rate terms (part of the key)."""
    step = resource.slot_step_minutes
    key = (card.windows, day, tz, step, minutes, int(resource.hourly_price_minor), card.prices.terms)
    ranked = _RANKED.get(key)
    if ranked is None:
        length = timedelta(minutes=minutes)
        lo, hi = _frame(day, tz)[2:]
        by_charge: dict[int, list[Interval]] = defaultdict(list)
        for start in grid_starts(
            window_openings(card.windows, day, tz), lo, hi, timedelta(minutes=step), length
        ):
            by_charge[prices.charge(start, start + length)].append((start, start + length))
        ranked = tuple((charge, tuple(slots)) for charge, slots in sorted(by_charge.items()))
        _RANKED[key] = ranked
        if len(_RANKED) > _RANKED_SIZE:
            _RANKED.popitem(last=False)
    return ranked


def _first_free(
    ranked: Ranked, prices: ListedPrices, held: Sequence[Interval], first: datetime, resource: Resource
) -> tuple[int, Interval] | None:
    """The lowest total among the ``ranked`` slots that start at or after ``first`` and whose buffered
    range overlaps none of ``held`` (what ``day_slots`` yields), the earliest of equal totals: the first
    such slot of the cheapest charge, unless a dearer charge of the same total (rounding) has an earlier
    one. A total never falls as the charge rises, so the walk ends at the first total above the best."""
    before = timedelta(minutes=resource.buffer_before_minutes)
    after = timedelta(minutes=resource.buffer_after_minutes)
    best: tuple[int, Interval] | None = None
    for charge, slots in ranked:
        if best is not None and prices.total(charge) > best[0]:
            break
        for start, end in slots:
            if best is not None and start >= best[1][0]:
                break
            if start < first or any(s < end + after and e > start - before for s, e in held):
                continue
            best = (prices.total(charge), (start, end))
            break
    return best


def _item(
    resource: Resource, prop: Property, total: int, slot: Interval, distance: float | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "resource": {
            "id": str(resource.id),
            "kind": resource.kind,
            "name": resource.name,
            "capacity": resource.capacity,
            "category": resource.category,
        },
        "property": {"id": str(prop.id), "slug": prop.slug, "name": prop.name, "city": prop.city},
        "from_price": Money(total, prop.currency).to_api(),
        "first_slot": slot[0].astimezone(ZoneInfo(prop.timezone)).isoformat(),
    }
    if distance is not None:
        item["distance_km"] = round(distance, 2)
    return item


async def load_search(
    session: AsyncSession,
    settings: Any,
    p: ResourceSearchParams,
    cache: CatalogCache[ResourceCatalog] | None = None,
) -> tuple[list[tuple[Any, Any, float | None]], Schedules]:
    """The statements of a search: the candidates within reach, each with its distance (None without
    coordinates), and their schedules (none loaded when there is no candidate; windows and rates from
    ``cache`` when given: :func:`resource_catalog_cache`)."""
    candidates = []
    shape, binds = search_binds(p, settings)
    for resource, prop in await load_candidates(session, shape, binds, travel=p.mode == "travel"):
        if p.mode == "travel" and not resource.travel:
            continue
        near, distance = _distance(p, settings, resource, prop)
        if near:
            candidates.append((resource, prop, distance))
    if not candidates:
        return [], Schedules({}, {}, {})
    schedules = await load_schedules(
        session,
        [(r, prop) for r, prop, _ in candidates],
        p.day,
        p.duration_minutes,
        ids=candidate_ids(shape),
        binds=binds,
        cache=cache,
    )
    return candidates, schedules


async def search_resources(
    session: AsyncSession,
    settings: Any,
    p: ResourceSearchParams,
    user: User | None,
    cache: CatalogCache[ResourceCatalog] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The page of resources with a free slot of ``duration_minutes`` on ``day``, cheapest first (by
    amount; then the earliest slot, the name), and how many there are."""
    validate_resource_search(settings, p)
    candidates, schedules = await load_search(session, settings, p, cache)
    if not candidates:
        return [], 0
    now = utcnow()
    found = []
    for resource, prop, distance in candidates:
        cheapest = _cheapest(p, resource, prop, schedules, distance, user, now)
        if cheapest is not None:
            found.append((resource, prop, distance, *cheapest))
    # by amount across currencies: minor units scaled to the finest currency's (exact integers)
    finest = max(exponent(prop.currency) for _, prop, *_ in found) if found else 0
    scale = {c: 10 ** (finest - exponent(c)) for c in {prop.currency for _, prop, *_ in found}}
    found.sort(key=lambda f: (f[3] * scale[f[1].currency], f[4][0], f[0].name, f[0].id))
    page = found[p.offset : p.offset + p.limit]
    return [_item(r, prop, total, slot, distance) for r, prop, distance, total, slot in page], len(found)
