"""The demo's hourly resources: the venue's 3 halls and 2 meeting rooms (add-ons, peak rates), the
practice's 4 professionals (one travels, one works online), a meeting room at the first Lisbon hotel.
Idempotent: a resource whose name exists at its property is left as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property, Resource, ResourceAddon
from innkeeper.inventory.hourly_models import ResourceWindow
from innkeeper.pricing.models import ResourceRate

MON_FRI = range(5)
MON_SAT = range(6)
#: bit i = weekday i (Monday 0)
WEEKDAYS_MASK = 0b0011111
SATURDAY_MASK = 0b0100000


def hours(start: str, end: str) -> tuple[int, int]:
    (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
    return h1 * 60 + m1, h2 * 60 + m2


@dataclass(frozen=True)
class Demo:
    kind: str
    name: str
    price_minor: int
    capacity: int | None
    category: str
    days: range = MON_SAT
    spans: tuple[tuple[int, int], ...] = (hours("08:00", "22:00"),)
    addons: tuple[tuple[str, str, int, str], ...] = ()
    #: (weekdays mask or None, start minute, end minute, percent)
    rates: tuple[tuple[int | None, int | None, int | None, int], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


HALL_ADDONS = (
    ("projector", "Projector and screen", 5000, "per_booking"),
    ("catering", "Catering (lunch and coffee)", 1800, "per_person"),
    ("staff", "Event staff", 2500, "per_hour"),
)
ROOM_ADDONS = (
    ("projector", "Projector", 1500, "per_booking"),
    ("coffee", "Coffee and water", 400, "per_person"),
)
#: weekday evenings and Saturdays are peak
PEAK = ((WEEKDAYS_MASK, 18 * 60, 22 * 60, 125), (SATURDAY_MASK, None, None, 130))
HALL = {"min_duration_minutes": 120, "max_duration_minutes": 720, "slot_step_minutes": 60}
ROOM = {"min_duration_minutes": 60, "max_duration_minutes": 600, "slot_step_minutes": 30}

VENUE = (
    Demo(
        "hall",
        "Auditorium Tejo",
        45000,
        400,
        "auditorium",
        addons=HALL_ADDONS,
        rates=PEAK,
        extra={**HALL, "buffer_before_minutes": 60, "buffer_after_minutes": 60, "min_notice_minutes": 2880},
    ),
    Demo(
        "hall",
        "Hall Alfama",
        22000,
        150,
        "conference",
        addons=HALL_ADDONS,
        rates=PEAK,
        extra={**HALL, "buffer_after_minutes": 30, "min_notice_minutes": 1440},
    ),
    Demo(
        "hall",
        "Hall Belém",
        14000,
        80,
        "conference",
        addons=HALL_ADDONS,
        rates=PEAK,
        extra={**HALL, "buffer_after_minutes": 30, "min_notice_minutes": 1440},
    ),
    Demo(
        "meeting_room",
        "Meeting Room Chiado",
        4500,
        12,
        "meeting",
        addons=ROOM_ADDONS,
        rates=PEAK[:1],
        extra={**ROOM, "buffer_after_minutes": 15},
    ),
    Demo("meeting_room", "Meeting Room Graça", 3500, 8, "meeting", addons=ROOM_ADDONS, extra=ROOM),
)
PRACTICE_HOURS = (hours("09:00", "13:00"), hours("14:00", "19:00"))
PROFESSIONAL = {
    "min_duration_minutes": 30,
    "max_duration_minutes": 120,
    "slot_step_minutes": 30,
    "buffer_after_minutes": 15,
    "min_notice_minutes": 120,
    "horizon_days": 90,
}
PRACTICE = (
    Demo(
        "professional", "Dr. Ana Costa", 6000, 1, "physiotherapy", MON_FRI, PRACTICE_HOURS, extra=PROFESSIONAL
    ),
    Demo(
        "professional",
        "Rui Marques",
        5000,
        1,
        "sports massage",
        MON_SAT,
        PRACTICE_HOURS,
        extra={**PROFESSIONAL, "travel": {"base_fee_minor": 1500, "per_km_minor": 80, "max_km": "25"}},
    ),
    Demo(
        "professional",
        "Dr. Sofia Lima",
        7000,
        1,
        "osteopathy",
        MON_FRI,
        (hours("10:00", "18:00"),),
        extra=PROFESSIONAL,
    ),
    Demo(
        "professional",
        "Marta Sousa",
        4000,
        1,
        "nutrition",
        MON_FRI,
        (hours("08:00", "12:00"),),
        extra={**PROFESSIONAL, "online": True},
    ),
)
HOTEL = (
    Demo(
        "meeting_room",
        "Boardroom",
        3000,
        10,
        "meeting",
        MON_FRI,
        (hours("08:00", "20:00"),),
        addons=ROOM_ADDONS[:1],
        extra=ROOM,
    ),
)


async def _resource(session: AsyncSession, prop: Property, demo: Demo, actor: Actor) -> bool:
    exists = await session.scalar(
        select(Resource.id).where(Resource.property_id == prop.id, Resource.name == demo.name)
    )
    if exists is not None:
        return False
    resource = Resource(
        property_id=prop.id,
        kind=demo.kind,
        name=demo.name,
        category=demo.category,
        capacity=demo.capacity,
        hourly_price_minor=demo.price_minor,
        currency=prop.currency,
        amenities=["wifi"] + (["projector", "sound_system"] if demo.kind == "hall" else []),
        images=[],
        description=f"{demo.name} at {prop.name}.",
        is_active=True,
        **{"horizon_days": 365, **demo.extra},
    )
    session.add(resource)
    await session.flush()
    session.add_all(
        ResourceWindow(resource_id=resource.id, weekday=day, start_minute=start, end_minute=end)
        for day in demo.days
        for start, end in demo.spans
    )
    session.add_all(
        ResourceAddon(
            resource_id=resource.id,
            code=code,
            name=name,
            price_minor=price,
            currency=prop.currency,
            unit=unit,
        )
        for code, name, price, unit in demo.addons
    )
    session.add_all(
        ResourceRate(resource_id=resource.id, weekdays=mask, start_minute=start, end_minute=end, percent=pct)
        for mask, start, end, pct in demo.rates
    )
    record(
        session, actor, "resource.created", "resource", resource.id, property_id=prop.id, after={"demo": True}
    )
    return True


async def load_hourly(session: AsyncSession, venue: Property, practice: Property, hotel: Property) -> int:
    """Add the demo's resources where missing; the number added."""
    actor = Actor.system("demo")
    created = 0
    for prop, demos in ((venue, VENUE), (practice, PRACTICE), (hotel, HOTEL)):
        for demo in demos:
            created += await _resource(session, prop, demo, actor)
    await session.flush()
    return created
