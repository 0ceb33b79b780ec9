"""Service catalog and service orders.

A :class:`Service` is what a property offers on a booking (airport pickup, cab, laundry, spa, food,
room service), with its price, unit and when it can be ordered. A :class:`ServiceOrder` is one order
of it on one booking: priced when placed (the price, tax and names are copied onto the order, so a
later change to the catalog does not touch it) and moved through its lifecycle
(``extras.lifecycle``), each move a :class:`ServiceOrderEvent` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, JSONType, TimestampMixin
from innkeeper.kit.money import Money


class Category(StrEnum):
    airport_transfer = "airport_transfer"
    cab = "cab"
    laundry = "laundry"
    spa = "spa"
    food = "food"
    room_service = "room_service"
    other = "other"


class Unit(StrEnum):
    per_item = "per_item"
    per_person = "per_person"
    per_trip = "per_trip"
    per_hour = "per_hour"


class Department(StrEnum):
    """Who delivers: the staff queue filters on it."""

    front_desk = "front_desk"
    concierge = "concierge"
    housekeeping = "housekeeping"
    kitchen = "kitchen"
    spa = "spa"


#: the department a new service of a category goes to unless the request names one
DEFAULT_DEPARTMENT = {
    Category.airport_transfer: Department.concierge,
    Category.cab: Department.concierge,
    Category.laundry: Department.housekeeping,
    Category.spa: Department.spa,
    Category.food: Department.kitchen,
    Category.room_service: Department.kitchen,
    Category.other: Department.front_desk,
}


class OrderStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    in_progress = "in_progress"
    delivered = "delivered"
    rejected = "rejected"
    cancelled = "cancelled"


#: an order in one of these keeps the booking from checking out
OPEN_STATUSES = (OrderStatus.requested, OrderStatus.accepted, OrderStatus.in_progress)


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Service(IdMixin, TimestampMixin, Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint(_in("category", Category), name="category_known"),
        CheckConstraint(_in("unit", Unit), name="unit_known"),
        CheckConstraint(_in("department", Department), name="department_known"),
        CheckConstraint("price_minor >= 0", name="price_nonnegative"),
        CheckConstraint("lead_time_minutes >= 0", name="lead_time_nonnegative"),
        CheckConstraint("pre_stay OR in_stay", name="orderable"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(20))
    price_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(12))
    pre_stay: Mapped[bool] = mapped_column(Boolean, default=True)
    in_stay: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_time: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_time_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: property-local opening hours (``closes_at`` before ``opens_at``: open over midnight)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    #: property-local time after which an order is no longer taken for the same day
    order_cutoff: Mapped[time | None] = mapped_column(Time)
    images: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)


class ServiceOrder(IdMixin, TimestampMixin, Base):
    __tablename__ = "service_orders"
    __table_args__ = (
        CheckConstraint(_in("status", OrderStatus), name="status_known"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("subtotal_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0", name="amounts"),
        CheckConstraint("stage IN ('pre_stay', 'in_stay')", name="stage_known"),
        Index("ix_service_orders_booking_id", "booking_id"),
        Index("ix_service_orders_queue", "property_id", "status", "scheduled_for"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    # copied from the service when placed
    service_code: Mapped[str] = mapped_column(String(40))
    service_name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    unit_price_minor: Mapped[int] = mapped_column(BigInt)
    subtotal_minor: Mapped[int] = mapped_column(BigInt)
    #: VAT of the subtotal; added to it unless ``tax_included``
    tax_minor: Mapped[int] = mapped_column(BigInt)
    tax_included: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_label: Mapped[str | None] = mapped_column(String(60))
    total_minor: Mapped[int] = mapped_column(BigInt)
    #: ``pre_stay`` (placed before check-in) or ``in_stay``
    stage: Mapped[str] = mapped_column(String(10))
    scheduled_for: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(String(1000))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.requested.value)
    reason: Mapped[str | None] = mapped_column(String(500))
    placed_by_user_id: Mapped[uuid.UUID | None]
    delivered_at: Mapped[datetime | None]

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


class ServiceOrderEvent(IdMixin, Base):
    """An order's history: every status move, with who and from where."""

    __tablename__ = "service_order_events"
    __table_args__ = (Index("ix_service_order_events_order_at", "order_id", "at"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[uuid.UUID | None]
    actor_ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
