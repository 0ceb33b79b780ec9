"""Cross-property search (``GET /search``).

The database decides which room types can take the stay (a GROUP BY … HAVING with the rules of
``inventory.check_stay``) and returns plain tuples: the candidate properties, those room types, the
inventory prices set on the stay's nights, the occupancy per property and night, the active rate rules.
Python then prices each room type with ``pricing.engine.stay_totals``, the arithmetic of
``compute_quote`` (the function ``pricing.service.quote`` and so the booking use) without building the
quote objects. Nothing is cached across requests, so a booking or an inventory change shows in the next
search; only the SQL statements (with bound parameters) are built once per shape of filter.
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

from sqlalchemy import Date, Integer, and_, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property, RoomType
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
    """``_property_filter`` with bound parameters instead of values (see :func:`_statements`)."""
    has_point, lng_box, has_city, has_stars, has_currency = shape
    stmt = stmt.where(Property.is_active.is_(True), Property.kind == "hotel")
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


def stay_filter(matching: Any) -> Any:
    """Per room type of the matching properties, ``(room_type_id, free)`` when it can take the stay: the
    rules of ``inventory.check_stay`` as one GROUP BY … HAVING (every night has a row, is open and has
    ``rooms`` free; the arrival day's min/max stay and closed-to-arrival; the departure day's
    closed-to-departure). Plain CASE aggregates, so PostgreSQL and SQLite run the same statement.
    Bound parameters: checkin, checkout, nights, rooms."""
    d = InventoryDay
    checkin, checkout = bindparam("checkin", type_=Date), bindparam("checkout", type_=Date)
    nights = bindparam("nights", type_=Integer)
    in_stay = d.date < checkout
    first = d.date == checkin
    free = func.min(case((in_stay, case((d.closed, 0), else_=d.total - d.sold - d.held))))
    min_stay = func.max(case((first, d.min_stay)))
    max_stay = func.max(case((first, d.max_stay)))
    return (
        select(d.room_type_id.label("room_type_id"), free.label("free"))
        .where(d.property_id.in_(matching), d.date >= checkin, d.date <= checkout)
        .group_by(d.room_type_id)
        .having(
            func.sum(case((in_stay, 1), else_=0)) == nights,
            free >= bindparam("rooms", type_=Integer),
            min_stay <= nights,
            or_(max_stay.is_(None), max_stay >= nights),
            func.max(case((and_(first, d.closed_to_arrival), 1), else_=0)) == 0,
            func.max(case((and_(d.date == checkout, d.closed_to_departure), 1), else_=0)) == 0,
        )
        .subquery("stay")
    )


#: The rows as named tuples: attribute access on a SQLAlchemy ``Row`` costs ~1.5 µs, on a named tuple a
#: few dozen ns, and the pricing loop reads each rule and property many times.
PropertyRow = namedtuple("PropertyRow", [c.key for c in PROPERTY_COLUMNS])  # type: ignore[misc]
RoomTypeRow = namedtuple("RoomTypeRow", [*(c.key for c in ROOM_TYPE_COLUMNS), "free"])  # type: ignore[misc]
RuleRow = namedtuple("RuleRow", [c.key for c in RULE_COLUMNS])  # type: ignore[misc]


@dataclass(frozen=True)
class SearchStatements:
    properties: Any
    room_types: Any
    prices: Any
    occupancy: Any
    rules: Any


@lru_cache(maxsize=64)
def _statements(shape: tuple[bool, bool, bool, bool, bool]) -> SearchStatements:
    """The search's statements, built once per shape of filter with bound parameters: building
    SQLAlchemy expressions costs more CPU than running them, and a reused statement hits the compiled
    cache at once."""
    matching = _bound_property_filter(select(Property.id), shape).scalar_subquery()
    stay = stay_filter(matching)
    d = InventoryDay
    in_stay = (
        d.property_id.in_(matching),
        d.date >= bindparam("checkin", type_=Date),
        d.date < bindparam("checkout", type_=Date),
    )
    return SearchStatements(
        properties=_bound_property_filter(select(*PROPERTY_COLUMNS), shape),
        room_types=select(*ROOM_TYPE_COLUMNS, stay.c.free)
        .join(stay, stay.c.room_type_id == RoomType.id)
        .where(RoomType.capacity >= bindparam("per_room", type_=Integer)),
        prices=select(d.room_type_id, d.date, d.price_minor).where(*in_stay, d.price_minor.is_not(None)),
        occupancy=select(d.property_id, d.date, func.sum(d.sold + d.held), func.sum(d.total))
        .where(*in_stay)
        .group_by(d.property_id, d.date),
        rules=select(*RULE_COLUMNS).where(RateRule.property_id.in_(matching), RateRule.is_active.is_(True)),
    )


async def load_candidates(session: AsyncSession, settings: Any, p: SearchParams) -> Candidates:
    """The database side of a search (what the benchmark times as "bare SQL"): Core statements on the
    session's connection returning plain tuples. Availability and restrictions are decided in SQL, so
    only room types that can take the stay come back; the nightly rows are not transferred, only the
    inventory prices that are set and the occupancy per property and night. The children are selected
    through the same property filter as a subquery, so no id list travels back and forth."""
    shape, binds = _search_binds(p, settings)
    stmts = _statements(shape)
    conn = await session.connection()
    props = [PropertyRow._make(row) for row in await conn.execute(stmts.properties, binds)]
    if not props:
        return Candidates([], [], {}, {}, {})
    room_types = [RoomTypeRow._make(row) for row in await conn.execute(stmts.room_types, binds)]
    if not room_types:
        return Candidates(props, [], {}, {}, {})
    prices: dict[uuid.UUID, dict[date, int | None]] = defaultdict(dict)
    for room_type_id, day, price in await conn.execute(stmts.prices, binds):
        prices[room_type_id][day] = price
    occupancy: dict[uuid.UUID, dict[date, tuple[int, int]]] = defaultdict(dict)
    for property_id, day, occupied, total in await conn.execute(stmts.occupancy, binds):
        occupancy[property_id][day] = (int(occupied), int(total))
    rules: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await conn.execute(stmts.rules, binds):
        rule: Any = RuleRow._make(row)
        rules[rule.property_id].append(rule)
    return Candidates(props, room_types, prices, occupancy, rules)


def _summary(prop: Any, distance: float | None) -> dict[str, Any]:
    return {
        "id": str(prop.id),
        "slug": prop.slug,
        "name": prop.name,
        "city": prop.city,
        "country": prop.country,
        "star_rating": prop.star_rating,
        "rating": rating(prop.rating_x10),
        "latitude": prop.latitude,
        "longitude": prop.longitude,
        "currency": prop.currency,
        "amenities": list(prop.amenities or []),
        "distance_km": None if distance is None else round(distance, 2),
    }


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
    session: AsyncSession, settings: Any, p: SearchParams, user: User | None
) -> tuple[list[dict[str, Any]], int]:
    validate_search(settings, p)
    c = await load_candidates(session, settings, p)
    if not c.room_types:
        return [], 0
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
        results.sort(key=lambda r: (-r[1], r[0], r[3].slug))
    elif p.sort == "distance":
        results.sort(key=lambda r: (r[2], r[0], r[3].slug))
    else:
        results.sort(key=lambda r: (r[0], r[3].slug))
    page = []
    for _price, _rating, _dist, prop, distance, best, nightly, offers in results[
        p.offset : p.offset + p.limit
    ]:
        currency = prop.currency
        page.append(
            {
                "property": _summary(prop, distance),
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
