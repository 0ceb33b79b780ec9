"""Demo data: a service catalog on every demo hotel (airport pickup and drop, cab, laundry, spa,
breakfast, room service 07:00-23:00), and a few orders on the demo bookings that can take them."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property
from innkeeper.demo.world import DemoWorld
from innkeeper.extras import orders
from innkeeper.extras.models import DEFAULT_DEPARTMENT, Category, Service, ServiceOrder
from innkeeper.extras.schemas import OrderDetails, OrderIn
from innkeeper.kit.errors import AppError
from innkeeper.kit.money import Money

#: (code, name, category, price in EUR-like units, unit, fields): what a city hotel offers
CATALOG: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    (
        "AIRPORT-PICKUP",
        "Airport pickup",
        "airport_transfer",
        "45.00",
        "per_trip",
        {
            "needs_time": True,
            "lead_time_minutes": 240,
            "description": "Meet and greet at arrivals: give your flight number and terminal.",
        },
    ),
    (
        "AIRPORT-DROP",
        "Airport drop-off",
        "airport_transfer",
        "40.00",
        "per_trip",
        {"needs_time": True, "lead_time_minutes": 180, "pre_stay": False},
    ),
    (
        "CAB",
        "City cab",
        "cab",
        "15.00",
        "per_trip",
        {"lead_time_minutes": 30, "description": "A taxi from the address you give, anywhere in town."},
    ),
    (
        "LAUNDRY",
        "Laundry bag",
        "laundry",
        "12.00",
        "per_item",
        {"pre_stay": False, "order_cutoff": time(10), "description": "Back the next morning."},
    ),
    (
        "SPA-60",
        "Massage, 60 minutes",
        "spa",
        "80.00",
        "per_person",
        {"needs_time": True, "lead_time_minutes": 120, "opens_at": time(9), "closes_at": time(21)},
    ),
    (
        "BREAKFAST",
        "Breakfast in bed",
        "food",
        "18.00",
        "per_person",
        {"in_stay": True, "opens_at": time(7), "closes_at": time(11)},
    ),
    (
        "ROOM-SERVICE",
        "Room service",
        "room_service",
        "20.00",
        "per_item",
        {"pre_stay": False, "opens_at": time(7), "closes_at": time(23)},
    ),
    (
        "WELCOME",
        "Welcome basket",
        "food",
        "30.00",
        "per_item",
        {"in_stay": False, "description": "Fruit, water and local sweets waiting in the room."},
    ),
]

#: whole yen: a hundred times the euro figure
_SCALE = {"JPY": Decimal(100)}  # as demo.catalog prices rooms


def _price(amount: str, currency: str) -> int:
    value = Decimal(amount) * _SCALE.get(currency, Decimal(1))
    return Money.from_decimal(
        str(value.quantize(Decimal(1)) if currency in _SCALE else value), currency
    ).minor


async def _catalog(session: AsyncSession, hotel: Property) -> None:
    have = set((await session.scalars(select(Service.code).where(Service.property_id == hotel.id))).all())
    for code, name, category, amount, unit, fields in CATALOG:
        if code in have:
            continue
        session.add(
            Service(
                property_id=hotel.id,
                code=code,
                name=name,
                category=category,
                department=DEFAULT_DEPARTMENT[Category(category)].value,
                price_minor=_price(amount, hotel.currency),
                currency=hotel.currency,
                unit=unit,
                pre_stay=fields.get("pre_stay", True),
                in_stay=fields.get("in_stay", True),
                needs_time=fields.get("needs_time", False),
                lead_time_minutes=fields.get("lead_time_minutes", 0),
                opens_at=fields.get("opens_at"),
                closes_at=fields.get("closes_at"),
                order_cutoff=fields.get("order_cutoff"),
                description=fields.get("description"),
                images=[],
                is_active=True,
            )
        )


#: what the demo orders on a booking that can take orders (the ones without a time or hours)
_ORDERS = [
    OrderIn(service_code="WELCOME"),
    OrderIn(service_code="CAB", details=OrderDetails(pickup_address="Main station, taxi rank", passengers=2)),
]


async def _orders(session: AsyncSession, world: DemoWorld) -> None:
    """A couple of orders on each demo booking that is confirmed or in house and has none yet; an order
    the catalog's windows refuse today (a welcome basket during the stay) is skipped."""
    bookings = (
        await session.scalars(
            select(Booking)
            .where(
                Booking.property_id.in_([h.id for h in world.hotels]),
                Booking.status.in_([Status.confirmed.value, Status.checked_in.value]),
                Booking.id.not_in(select(ServiceOrder.booking_id)),
            )
            .order_by(Booking.id)
            .limit(5)
        )
    ).all()
    actor = Actor.system("demo")
    for b in bookings:
        for data in _ORDERS:
            try:
                async with session.begin_nested():
                    await orders.place(session, b, data, actor, b.user_id)
            except AppError:
                continue


async def load(session: AsyncSession, world: DemoWorld) -> None:
    """Idempotent: running the demo loader twice adds nothing the second time."""
    for hotel in world.hotels:
        await _catalog(session, hotel)
    await session.flush()
    await _orders(session, world)
