"""The demo world: 6 cities, 30 hotels with room types, rooms, a year of inventory, seasons, weekend and
occupancy pricing, promo codes; plus one venue and one practice with hourly resources (``demo.hourly``).
Idempotent (keyed by slug).

The hotel owner account owns all 32 properties (5 hotels in each of Lisbon, Porto, Barcelona, Paris,
London, Tokyo; "Lisbon Congress Hall" venue; "Porto Physio Practice"); the front desk account is front desk
at the first Lisbon hotel. Promo codes: WELCOME10 (global, 10 %) and SPRING15 (every other hotel, 15 %).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property, Room, RoomType
from innkeeper.catalog.schemas import fold_city
from innkeeper.demo.hourly import load_hourly
from innkeeper.identity.models import PropertyMembership, User
from innkeeper.inventory.service import ensure_horizon
from innkeeper.kit.clock import local_today
from innkeeper.pricing.models import PromoCode, RateRule


@dataclass(frozen=True)
class City:
    name: str
    country: str
    timezone: str
    currency: str
    lat: float
    lng: float
    vat_bp: int
    city_tax_minor: int
    price_scale: int  # minor units per "100" of base price


CITIES = (
    City("Lisbon", "PT", "Europe/Lisbon", "EUR", 38.7223, -9.1393, 600, 200, 100),
    City("Porto", "PT", "Europe/Lisbon", "EUR", 41.1579, -8.6291, 600, 200, 90),
    City("Barcelona", "ES", "Europe/Madrid", "EUR", 41.3874, 2.1686, 1000, 275, 120),
    City("Paris", "FR", "Europe/Paris", "EUR", 48.8566, 2.3522, 1000, 288, 150),
    City("London", "GB", "Europe/London", "GBP", 51.5072, -0.1276, 2000, 0, 140),
    City("Tokyo", "JP", "Asia/Tokyo", "JPY", 35.6762, 139.6503, 1000, 200, 150),
)

NAMES = (
    "Grand",
    "Harbour",
    "Old Town",
    "Garden",
    "Riverside",
    "Boutique",
    "Central",
    "Skyline",
    "Corner",
    "Lantern",
)
NOUNS = ("Hotel", "House", "Inn", "Suites", "Residence")
AMENITIES = (
    "wifi",
    "breakfast",
    "parking",
    "pool",
    "gym",
    "spa",
    "bar",
    "restaurant",
    "air_conditioning",
    "pet_friendly",
    "airport_shuttle",
)
ROOM_TYPES = (  # code, name, capacity, base (x city scale), bed config, size
    ("STD", "Standard Double", 2, 90, "1 double", 18),
    ("TWN", "Twin Room", 2, 95, "2 singles", 20),
    ("SUP", "Superior King", 2, 130, "1 king", 26),
    ("FAM", "Family Room", 4, 170, "1 king + 2 singles", 34),
    ("STE", "Junior Suite", 3, 240, "1 king + sofa bed", 45),
)


def _base_minor(city: City, base: int, currency_exp: int) -> int:
    major = base * city.price_scale / 100
    if currency_exp == 0:  # JPY: a hundred times the EUR figure, in whole yen
        return int(round(major * 100, -2))
    return round(major) * 100


async def _hotel(
    session: AsyncSession,
    rng: random.Random,
    city: City,
    index: int,
    owner: User,
    horizon_days: int,
    actor: Actor,
) -> tuple[Property, bool]:
    name = f"{NAMES[(index + len(city.name)) % len(NAMES)]} {NOUNS[index % len(NOUNS)]} {city.name}"
    slug = fold_city(name).replace(" ", "-")
    existing = await session.scalar(select(Property).where(Property.slug == slug))
    if existing is not None:
        return existing, False
    prop = Property(
        kind="hotel",
        name=name,
        slug=slug,
        city=city.name,
        city_key=fold_city(city.name),
        country=city.country,
        address=f"{10 + index * 7} {rng.choice(['Main', 'Market', 'Station', 'Park'])} Street",
        latitude=round(city.lat + rng.uniform(-0.04, 0.04), 5),
        longitude=round(city.lng + rng.uniform(-0.05, 0.05), 5),
        timezone=city.timezone,
        currency=city.currency,
        check_in_time=time(15),
        check_out_time=time(11),
        star_rating=rng.choice([2, 3, 3, 4, 4, 4, 5]),
        amenities=sorted([*rng.sample(AMENITIES, rng.randint(3, 7)), "wifi"] if rng.random() < 0.9 else []),
        description=f"A {rng.choice(['calm', 'lively', 'stylish', 'family-run'])} place in {city.name}.",
        is_active=True,
        payment_policy={"mode": "prepay"},
        cancellation_policy={"preset": "moderate"},
        refund_destination="card",
        vat_bp=city.vat_bp,
        vat_included=False,
        city_tax_minor=city.city_tax_minor,
        city_tax_max_nights=7 if city.city_tax_minor else None,
        created_by=owner.id,
    )
    prop.amenities = sorted(set(prop.amenities))
    session.add(prop)
    await session.flush()
    session.add(PropertyMembership(property_id=prop.id, user_id=owner.id, role="owner"))
    exp = 0 if city.currency == "JPY" else 2
    kinds = rng.sample(ROOM_TYPES, rng.randint(3, 4))
    floor_rooms = 0
    for code, rt_name, capacity, base, beds, size in sorted(kinds, key=lambda k: k[3]):
        rt = RoomType(
            property_id=prop.id,
            code=code,
            name=rt_name,
            capacity=capacity,
            base_price_minor=_base_minor(city, base, exp),
            currency=city.currency,
            bed_config=beds,
            size_sqm=size,
            amenities=["wifi", "tv"] + (["bathtub"] if base > 150 else []),
        )
        session.add(rt)
        await session.flush()
        for _ in range(rng.randint(3, 10)):
            floor_rooms += 1
            session.add(
                Room(
                    property_id=prop.id,
                    room_type_id=rt.id,
                    number=f"{100 * (1 + floor_rooms // 10) + floor_rooms % 10}",
                    floor=1 + floor_rooms // 10,
                    status="available",
                    housekeeping="clean",
                )
            )
        await session.flush()
        await ensure_horizon(session, prop, rt, horizon_days)
    today = local_today(prop.timezone)
    year = today.year
    for start, end, name_, factor in (
        (date(year, 6, 15), date(year, 9, 15), "Summer", 12500),
        (date(year + 1, 6, 15), date(year + 1, 9, 15), "Summer", 12500),
        (date(year, 12, 20), date(year + 1, 1, 3), "Winter holidays", 14000),
    ):
        session.add(
            RateRule(
                property_id=prop.id,
                kind="season",
                name=name_,
                priority=1,
                start_date=start,
                end_date=end,
                factor_bp=factor,
                currency=city.currency,
            )
        )
    session.add_all(
        [
            RateRule(
                property_id=prop.id,
                kind="weekday",
                name="Weekend",
                weekdays=0b0110000,
                factor_bp=11500,
                currency=city.currency,
            ),
            RateRule(
                property_id=prop.id,
                kind="occupancy",
                name="Almost full",
                min_occupancy_pct=80,
                factor_bp=11500,
                currency=city.currency,
            ),
            RateRule(
                property_id=prop.id,
                kind="lead_time",
                name="Early bird",
                min_lead_days=60,
                factor_bp=9000,
                currency=city.currency,
            ),
            RateRule(
                property_id=prop.id,
                kind="length_of_stay",
                name="Week stay",
                min_nights=7,
                factor_bp=9000,
                currency=city.currency,
            ),
        ]
    )
    if index % 2 == 0:
        session.add(
            PromoCode(
                property_id=prop.id,
                code="SPRING15",
                kind="percent",
                percent_bp=1500,
                valid_until=None,
                max_uses=100,
                used_count=0,
                is_active=True,
            )
        )
    record(session, actor, "property.created", "property", prop.id, property_id=prop.id, after={"demo": True})
    return prop, True


async def _other(
    session: AsyncSession, kind: str, name: str, city: City, owner: User, actor: Actor
) -> tuple[Property, bool]:
    slug = fold_city(name).replace(" ", "-")
    existing = await session.scalar(select(Property).where(Property.slug == slug))
    if existing is not None:
        return existing, False
    prop = Property(
        kind=kind,
        name=name,
        slug=slug,
        city=city.name,
        city_key=fold_city(city.name),
        country=city.country,
        latitude=city.lat,
        longitude=city.lng,
        timezone=city.timezone,
        currency=city.currency,
        check_in_time=time(9),
        check_out_time=time(18),
        amenities=["wifi"],
        description=f"A {kind} in {city.name}, booked by the hour.",
        is_active=True,
        payment_policy={"mode": "prepay"},
        cancellation_policy={"preset": "hall_tiers"},
        refund_destination="wallet",
        vat_bp=city.vat_bp,
        vat_included=False,
        city_tax_minor=0,
        created_by=owner.id,
    )
    session.add(prop)
    await session.flush()
    session.add(PropertyMembership(property_id=prop.id, user_id=owner.id, role="owner"))
    record(session, actor, "property.created", "property", prop.id, property_id=prop.id, after={"demo": True})
    return prop, True


async def load_catalog(
    session: AsyncSession, owner: User, front_desk: User, horizon_days: int
) -> dict[str, Any]:
    actor = Actor.system("demo")
    rng = random.Random(20301)
    created = 0
    first: Property | None = None
    for city in CITIES:
        for index in range(5):
            prop, new = await _hotel(session, rng, city, index, owner, horizon_days, actor)
            created += new
            first = first or prop
    assert first is not None
    if (
        await session.scalar(
            select(PropertyMembership.id).where(
                PropertyMembership.property_id == first.id, PropertyMembership.user_id == front_desk.id
            )
        )
        is None
    ):
        session.add(PropertyMembership(property_id=first.id, user_id=front_desk.id, role="front_desk"))
        record(
            session,
            actor,
            "membership.granted",
            "user",
            front_desk.id,
            property_id=first.id,
            after={"role": "front_desk"},
        )
    if (
        await session.scalar(
            select(PromoCode.id).where(PromoCode.code == "WELCOME10", PromoCode.property_id.is_(None))
        )
        is None
    ):
        session.add(
            PromoCode(
                property_id=None,
                code="WELCOME10",
                kind="percent",
                percent_bp=1000,
                max_uses=None,
                used_count=0,
                is_active=True,
            )
        )
    venue, new_venue = await _other(session, "venue", "Lisbon Congress Hall", CITIES[0], owner, actor)
    practice, new_practice = await _other(
        session, "practice", "Porto Physio Practice", CITIES[1], owner, actor
    )
    created += new_venue + new_practice
    # halls and meeting rooms at the venue, professionals at the practice, a meeting room at the hotel
    await load_hourly(session, venue, practice, first)
    return {"properties": created, "front_desk_property": first.slug}
