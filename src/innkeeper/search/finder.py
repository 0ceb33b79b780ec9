"""Cross-property search (``GET /search``).

Two statements returning plain tuples: the candidate properties (with their ``catalog_version``), and
one aggregate row per room type of theirs over the stay's inventory rows (what ``inventory.check_stay``
needs, plus each night's price and occupancy). Room types and rate rules come from a per-process
:class:`CatalogCache` checked against ``catalog_version`` on every search; inventory is never cached, so
a booking or an inventory change shows in the next search. Python then prices each room type that can
take the stay with ``pricing.engine.stay_totals``, the arithmetic of ``compute_quote`` (the function
``pricing.service.quote`` and so the booking use) without building the quote objects. The SQL
statements (with bound parameters) are built once per shape of filter and stay length.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.cache import CatalogCache, process_cache
from innkeeper.catalog.models import Favorite, Property, RoomType
from innkeeper.catalog.schemas import fold_city
from innkeeper.catalog.service import rating
from innkeeper.identity.models import User
from innkeeper.inventory.models import InventoryDay
from innkeeper.inventory.stay import guests_per_room, validate_stay
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import exponent
from innkeeper.pricing.engine import (
    LOYALTY_DISCOUNT_BP,
    rules_by_kind,
    stay_totals,
)
from innkeeper.pricing.models import RateRule
from innkeeper.pricing.service import RULE_COLUMNS
from innkeeper.search import nearby

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(lat))
    dlng = 180.0 if cos_lat < 1e-6 else min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat)))
    return max(-90.0, lat - dlat), min(90.0, lat + dlat), lng - dlng, lng + dlng


@dataclass
class SearchParams:
    checkin: date
    checkout: date
    guests: int = 2
    rooms: int = 1
    city: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    currency: str | None = None
    amenities: list[str] = field(default_factory=list)
    stars: list[int] = field(default_factory=list)
    sort: str = "price"
    limit: int = 20
    offset: int = 0


def validate_search(settings: Any, p: SearchParams) -> None:
    validate_stay(settings, p.checkin, p.checkout, p.guests, p.rooms, today=None)
    errors = []
    # "past" is judged per property; no zone on earth is more than a day behind UTC's date
    utc_today = utcnow().date()
    if p.checkin < utc_today - timedelta(days=1):
        errors.append({"field": "checkin", "message": "checkin is in the past", "type": "date_past"})
    if p.checkout > utc_today + timedelta(days=settings.inventory_horizon_days + 1):
        errors.append(
            {"field": "checkout", "message": "beyond the bookable horizon", "type": "date_beyond_horizon"}
        )
    has_point = p.lat is not None or p.lng is not None
    if has_point and (p.lat is None or p.lng is None):
        errors.append({"field": "lat", "message": "give lat and lng together", "type": "coordinates"})
    if p.city is None and not has_point:
        errors.append({"field": "city", "message": "give a city, or lat and lng", "type": "missing_location"})
    if p.radius_km is not None and not 0 < p.radius_km <= settings.search_max_radius_km:
        errors.append(
            {
                "field": "radius_km",
                "message": f"0 < radius_km <= {settings.search_max_radius_km}",
                "type": "radius",
            }
        )
    if p.sort == "distance" and not has_point:
        errors.append({"field": "sort", "message": "sorting by distance needs lat and lng", "type": "sort"})
    if p.min_price is not None and p.max_price is not None and p.max_price < p.min_price:
        errors.append(
            {"field": "max_price", "message": "max_price is below min_price", "type": "price_range"}
        )
    if errors:
        raise ValidationFailed("The search is not valid", code="search.invalid", errors=errors)


def _bound_property_filter(stmt: Any, shape: tuple[bool, bool, bool, bool, bool]) -> Any:
    """A search's property filter (active hotels by city, box, stars, currency) with bound parameters, for
    the statements built once (:func:`_properties_statement`, :func:`_inventory_statement`)."""
    has_point, lng_box, has_city, has_stars, has_currency = shape
    # the bare column, not ``IS true``: PostgreSQL only proves the partial indexes' ``WHERE is_active``
    # from ``is_active`` (or ``= true``); with ``IS true`` it scanned the whole table
    stmt = stmt.where(Property.is_active, Property.kind == "hotel")
    if has_point:
        stmt = stmt.where(Property.latitude.between(bindparam("south"), bindparam("north")))
        if lng_box:
            stmt = stmt.where(Property.longitude.between(bindparam("west"), bindparam("east")))
    if has_city:
        stmt = stmt.where(Property.city_key == bindparam("city_key"))
    if has_stars:
        stmt = stmt.where(Property.star_rating.in_(bindparam("stars", expanding=True)))
    if has_currency:
        stmt = stmt.where(Property.currency == bindparam("currency"))
    return stmt


def _search_binds(
    p: SearchParams, settings: Any
) -> tuple[tuple[bool, bool, bool, bool, bool], dict[str, Any]]:
    """The statement shape of a search and the values of its bound parameters."""
    binds: dict[str, Any] = {
        "checkin": p.checkin,
        "checkout": p.checkout,
        "nights": (p.checkout - p.checkin).days,
        "rooms": p.rooms,
        "per_room": guests_per_room(p.guests, p.rooms),
    }
    lng_box = False
    if p.lat is not None and p.lng is not None:
        south, north, west, east = bounding_box(
            p.lat, p.lng, p.radius_km or settings.search_default_radius_km
        )
        lng_box = west >= -180 and east <= 180
        binds.update(south=south, north=north, west=west, east=east)
    if p.city is not None:
        binds["city_key"] = fold_city(p.city)
    if p.stars:
        binds["stars"] = list(p.stars)
    if p.currency:
        binds["currency"] = p.currency.upper()
    shape = ("south" in binds, lng_box, p.city is not None, bool(p.stars), bool(p.currency))
    return shape, binds


@dataclass
class Candidates:
    properties: list[Any]
    #: only the room types that can take the whole stay (rows of ROOM_TYPE_COLUMNS + ``free``)
    room_types: list[Any]
    #: inventory prices set on the stay's nights: room type → {date: price}; absent = base price
    prices: dict[uuid.UUID, dict[date, int | None]]
    #: property → {night: (Σ sold + held, Σ total)} over all its room types
    occupancy: dict[uuid.UUID, dict[date, tuple[int, int]]]
    rules: dict[uuid.UUID, list[Any]]


#: Search reads plain rows (no ORM identity map): the pricing engine only needs attribute access.
PROPERTY_COLUMNS = (
    Property.id,
    Property.slug,
    Property.name,
    Property.city,
    Property.country,
    Property.star_rating,
    Property.rating_x10,
    Property.review_count,
    Property.latitude,
    Property.longitude,
    Property.currency,
    Property.amenities,
    Property.timezone,
    Property.vat_bp,
    Property.vat_included,
    Property.city_tax_minor,
    Property.city_tax_max_nights,
)
ROOM_TYPE_COLUMNS = (
    RoomType.id,
    RoomType.property_id,
    RoomType.code,
    RoomType.name,
    RoomType.capacity,
    RoomType.base_price_minor,
)


#: The rows as named tuples: attribute access on a SQLAlchemy ``Row`` costs ~1.5 µs, on a named tuple a
#: few dozen ns, and the pricing loop reads each rule and property many times.
PropertyRow = namedtuple("PropertyRow", [c.key for c in PROPERTY_COLUMNS])  # type: ignore[misc]
RoomTypeRow = namedtuple("RoomTypeRow", [*(c.key for c in ROOM_TYPE_COLUMNS), "free"])  # type: ignore[misc]
RuleRow = namedtuple("RuleRow", [c.key for c in RULE_COLUMNS])  # type: ignore[misc]

#: the stay's numbers per room type that :func:`_inventory_statement` returns ahead of the per-night ones
_STAY_COLUMNS = ("room_type_id", "property_id", "found", "free", "min_stay", "max_stay", "cta", "ctd")


#: a property's entry in the stays' cache: its room types and active rate rules
StayCatalog = tuple[list[Any], list[Any]]


def catalog_cache(ctx: Any) -> CatalogCache[StayCatalog]:
    """The stays' cache of the application."""
    return process_cache(ctx, "search.catalog_cache")


@lru_cache(maxsize=256)
def _inventory_statement(shape: tuple[bool, bool, bool, bool, bool], nights: int) -> Any:
    """One row per room type of the matching properties over [checkin, checkout]: the numbers the
    rules of ``inventory.check_stay`` need (nights found, the least free, the arrival day's min/max stay
    and closed-to-arrival, the departure day's closed-to-departure), then per night of the stay its
    price (NULL: the base price), rooms occupied (sold + held) and rooms in total: the occupancy of a
    property is the sum over its room types. Plain CASE aggregates, so PostgreSQL and SQLite run the
    same statement; built once per filter shape and stay length, with bound parameters (checkin,
    checkout, n0..n{nights-1} and the property filter's)."""
    d = InventoryDay
    matching = _bound_property_filter(select(Property.id), shape).scalar_subquery()
    checkin, checkout = bindparam("checkin", type_=Date), bindparam("checkout", type_=Date)
    in_stay = d.date < checkout
    first = d.date == checkin
    days = [bindparam(f"n{i}", type_=Date) for i in range(nights)]
    return (
        select(
            d.room_type_id,
            d.property_id,
            func.sum(case((in_stay, 1), else_=0)),
            func.min(case((in_stay, case((d.closed, 0), else_=d.total - d.sold - d.held)))),
            func.max(case((first, d.min_stay))),
            func.max(case((first, d.max_stay))),
            func.max(case((and_(first, d.closed_to_arrival), 1), else_=0)),
            func.max(case((and_(d.date == checkout, d.closed_to_departure), 1), else_=0)),
            *(func.max(case((d.date == day, d.price_minor))) for day in days),
            *(func.max(case((d.date == day, d.sold + d.held))) for day in days),
            *(func.max(case((d.date == day, d.total))) for day in days),
        )
        .where(d.property_id.in_(matching), d.date >= checkin, d.date <= checkout)
        .group_by(d.room_type_id, d.property_id)
    )


@lru_cache(maxsize=64)
def _properties_statement(shape: tuple[bool, bool, bool, bool, bool]) -> Any:
    return _bound_property_filter(select(*PROPERTY_COLUMNS, Property.catalog_version), shape)


#: (a deleted room type is left out of the cache, so its inventory rows find no room type and are skipped)
_ROOM_TYPES_OF = select(*ROOM_TYPE_COLUMNS).where(
    RoomType.property_id.in_(bindparam("ids", expanding=True)), RoomType.deleted_at.is_(None)
)
_RULES_OF = select(*RULE_COLUMNS).where(
    RateRule.property_id.in_(bindparam("ids", expanding=True)), RateRule.is_active.is_(True)
)


async def _catalog(
    conn: Any, cache: CatalogCache[StayCatalog], versions: dict[uuid.UUID, int]
) -> dict[uuid.UUID, tuple[list[Any], list[Any]]]:
    """Room types and rules of these properties: from the cache, reloading those behind their version."""
    out, stale = cache.current(versions)
    for i in range(0, len(stale), 500):  # bounded IN lists
        ids = stale[i : i + 500]
        loaded: dict[uuid.UUID, tuple[list[Any], list[Any]]] = {pid: ([], []) for pid in ids}
        for row in await conn.execute(_ROOM_TYPES_OF, {"ids": ids}):
            loaded[row.property_id][0].append(tuple(row))
        for row in await conn.execute(_RULES_OF, {"ids": ids}):
            loaded[row.property_id][1].append(RuleRow._make(row))
        for property_id, entry in loaded.items():
            # (a change committed since the versions were read may already be in these rows: the next
            # search reads the newer version and loads again)
            cache.put(property_id, versions[property_id], entry)
            out[property_id] = entry
    return out


async def load_candidates(
    session: AsyncSession, settings: Any, p: SearchParams, cache: CatalogCache[StayCatalog] | None = None
) -> Candidates:
    """The database side of a search (what the benchmark times as "bare SQL"): two Core statements on
    the session's connection returning plain tuples: the matching properties with their catalog
    version, and one aggregate row per room type of theirs over the stay (see
    :func:`_inventory_statement`). Room types and rules come from the :class:`CatalogCache` (loaded
    when behind). Python then keeps the room types that can take the stay and sums the occupancy."""
    cache = cache if cache is not None else CatalogCache[StayCatalog]()
    shape, binds = _search_binds(p, settings)
    nights = (p.checkout - p.checkin).days
    conn = await session.connection()
    props = []
    versions: dict[uuid.UUID, int] = {}
    for row in await conn.execute(_properties_statement(shape), binds):
        props.append(PropertyRow._make(row[:-1]))
        versions[row[0]] = row[-1]
    if not props:
        return Candidates([], [], {}, {}, {})
    for i in range(nights):
        binds[f"n{i}"] = p.checkin + timedelta(days=i)
    stay = (await conn.execute(_inventory_statement(shape, nights), binds)).all()
    catalog = await _catalog(conn, cache, versions)
    per_room = binds["per_room"]
    room_types: list[Any] = []
    prices: dict[uuid.UUID, dict[date, int | None]] = {}
    occupancy: dict[uuid.UUID, dict[date, tuple[int, int]]] = {}
    occupied: dict[uuid.UUID, list[int]] = {}
    static = {rt[0]: rt for entry in catalog.values() for rt in entry[0]}
    days = [p.checkin + timedelta(days=i) for i in range(nights)]
    p_at, o_at, t_at = len(_STAY_COLUMNS), len(_STAY_COLUMNS) + nights, len(_STAY_COLUMNS) + 2 * nights
    for row in stay:
        room_type_id, property_id, found, free, min_stay, max_stay, cta, ctd = row[:p_at]
        sums = occupied.get(property_id)
        if sums is None:
            sums = occupied[property_id] = [0] * (2 * nights)
        for i in range(nights):
            sums[i] += row[o_at + i] or 0
            sums[nights + i] += row[t_at + i] or 0
        rt = static.get(room_type_id)
        if (
            rt is None
            or rt[4] < per_room  # capacity
            or found != nights
            or free is None
            or free < p.rooms
            or min_stay is None
            or min_stay > nights
            or (max_stay is not None and max_stay < nights)
            or cta
            or ctd
        ):
            continue
        room_types.append(RoomTypeRow._make((*rt, free)))
        set_prices = {days[i]: row[p_at + i] for i in range(nights) if row[p_at + i] is not None}
        if set_prices:
            prices[room_type_id] = set_prices
    for property_id, sums in occupied.items():
        occupancy[property_id] = {days[i]: (sums[i], sums[nights + i]) for i in range(nights)}
    rules = {property_id: entry[1] for property_id, entry in catalog.items() if entry[1]}
    return Candidates(props, room_types, prices, occupancy, rules)


def _summary(prop: Any, distance: float | None, nearby: bool = False) -> dict[str, Any]:
    return {
        "id": str(prop.id),
        "slug": prop.slug,
        "name": prop.name,
        "city": prop.city,
        "country": prop.country,
        "star_rating": prop.star_rating,
        "rating": rating(prop.rating_x10),
        "review_count": prop.review_count,
        "latitude": prop.latitude,
        "longitude": prop.longitude,
        "currency": prop.currency,
        "amenities": list(prop.amenities or []),
        "distance_km": None if distance is None else round(distance, 2),
        "nearby": nearby,
    }


async def favorite_ids(
    session: AsyncSession, user: User | None, property_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these properties the signed-in user marked as favorites (one indexed read, page only)."""
    if user is None or not property_ids:
        return set()
    rows = await session.scalars(
        select(Favorite.property_id).where(
            Favorite.user_id == user.id, Favorite.property_id.in_(property_ids)
        )
    )
    return set(rows.all())


def _money(minor: int, currency: str) -> dict[str, str]:
    """``Money(minor, currency).to_api()`` without the object (integer formatting, no Decimal)."""
    exp = exponent(currency)
    if exp == 0:
        return {"amount": str(minor), "currency": currency}
    sign = "-" if minor < 0 else ""
    units, rest = divmod(abs(minor), 10**exp)
    return {"amount": f"{sign}{units}.{rest:0{exp}d}", "currency": currency}


def _amount(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


async def search(
    session: AsyncSession,
    settings: Any,
    p: SearchParams,
    user: User | None,
    cache: CatalogCache[StayCatalog] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    validate_search(settings, p)
    results = await _rank(session, settings, p, user, cache)
    first_nearby = len(results)
    more = nearby.wanted(settings, p, first_nearby)
    if more:  # (a city with few results: see search.nearby; never on a city that found enough)
        around = await nearby.around_city(session, settings, p)
        if around is not None:
            found = await _rank(session, settings, around, user, cache)
            results += nearby.outside_city(found, p.city or "", more)
    return await _page(session, p, user, results, first_nearby)


async def _rank(
    session: AsyncSession,
    settings: Any,
    p: SearchParams,
    user: User | None,
    cache: CatalogCache[StayCatalog] | None,
) -> list[tuple[Any, ...]]:
    """Every matching property that can take the stay, priced and sorted as ``p.sort`` asks: tuples of
    (price, rating, distance or 0, property row, distance, best total, nightly from, offers)."""
    c = await load_candidates(session, settings, p, cache)
    if not c.room_types:
        return []
    nights = (p.checkout - p.checkin).days
    wanted = set(p.amenities)
    radius = p.radius_km or settings.search_default_radius_km
    types_by_prop: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for rt in c.room_types:
        types_by_prop[rt.property_id].append(rt)
    loyalty_bp = LOYALTY_DISCOUNT_BP.get((user.loyalty_tier if user else None) or "standard", 0)
    horizon = timedelta(days=settings.inventory_horizon_days)
    todays: dict[str, date] = {}
    no_prices: dict[date, int | None] = {}
    results: list[tuple[Any, ...]] = []
    for prop in c.properties:
        rts = types_by_prop.get(prop.id)
        if not rts:
            continue
        distance = None
        if p.lat is not None and p.lng is not None:
            if prop.latitude is None or prop.longitude is None:
                continue
            distance = haversine_km(p.lat, p.lng, prop.latitude, prop.longitude)
            if distance > radius:
                continue
        if wanted and not wanted.issubset(prop.amenities or []):
            continue
        today = todays.get(prop.timezone)
        if today is None:
            today = todays[prop.timezone] = local_today(prop.timezone)
        if p.checkin < today or p.checkout > today + horizon:
            continue
        occupancy = c.occupancy.get(prop.id, {})
        grouped = rules_by_kind(c.rules.get(prop.id, []))
        lead_days = (p.checkin - today).days
        offers = []
        for rt in rts:
            total, nightly_average = stay_totals(
                prop=prop,
                room_type_id=rt.id,
                base_price_minor=rt.base_price_minor,
                day_prices=c.prices.get(rt.id, no_prices),
                occupancy=occupancy,
                rules=grouped,
                checkin=p.checkin,
                nights=nights,
                rooms=p.rooms,
                guests=p.guests,
                lead_days=lead_days,
                loyalty_bp=loyalty_bp,
            )
            offers.append((total, nightly_average, rt))
        offers.sort(key=lambda o: (o[0], o[2].code))  # ties: by code, whatever order the rows came in
        best = offers[0][0]
        nightly = min(o[1] for o in offers)
        if p.min_price is not None or p.max_price is not None:
            nightly_amount = _amount(nightly, prop.currency)
            if p.min_price is not None and nightly_amount < p.min_price:
                continue
            if p.max_price is not None and nightly_amount > p.max_price:
                continue
        # (price in major units: properties in different currencies compare by amount, as before)
        results.append(
            (
                _amount(best, prop.currency),
                prop.rating_x10 or -1,
                distance or 0.0,
                prop,
                distance,
                best,
                nightly,
                offers,
            )
        )
    if p.sort == "rating":
        results.sort(key=lambda r: (-r[1], -r[3].review_count, r[0], r[3].slug))
    elif p.sort == "distance":
        results.sort(key=lambda r: (r[2], r[0], r[3].slug))
    else:
        results.sort(key=lambda r: (r[0], r[3].slug))
    return results


async def _page(
    session: AsyncSession,
    p: SearchParams,
    user: User | None,
    results: list[tuple[Any, ...]],
    first_nearby: int,
) -> tuple[list[dict[str, Any]], int]:
    """The requested page of ``results`` as the API shows them; those from ``first_nearby`` on were
    added by the widening (``nearby: true``)."""
    nights = (p.checkout - p.checkin).days
    page = []
    shown = results[p.offset : p.offset + p.limit]
    favorites = await favorite_ids(session, user, [r[3].id for r in shown])
    for at, (_price, _rating, _dist, prop, distance, best, nightly, offers) in enumerate(shown, p.offset):
        currency = prop.currency
        page.append(
            {
                "property": _summary(prop, distance, nearby=at >= first_nearby),
                "is_favorite": prop.id in favorites,
                "from_price": _money(best, currency),
                "nightly_from": _money(nightly, currency),
                "nights": nights,
                "available_room_types": [
                    {
                        "id": str(rt.id),
                        "code": rt.code,
                        "name": rt.name,
                        "capacity": rt.capacity,
                        "available": rt.free,
                        "total": _money(total, currency),
                        "nightly_average": _money(average, currency),
                    }
                    for total, average, rt in offers
                ],
            }
        )
    return page, len(results)
