"""Bookings own their inventory: a booking's status says which counter its nights sit in.

* ``reserved``, ``guests_added``, ``payment_pending``: nights [checkin, checkout) are **held**.
* ``confirmed``, ``checked_in``, ``checked_out``, ``no_show``: nights [checkin, release_from or
  checkout) are **sold** (``release_from`` is set when nights are given back: early departure, no-show).
* ``cancelled``, ``expired``: nothing.

The counters on ``inventory_days`` always equal what these rows imply (a property-based test checks it).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.billing.models import SettlementStatus
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, JSONType, TimestampMixin


class Status(StrEnum):
    reserved = "reserved"
    guests_added = "guests_added"
    payment_pending = "payment_pending"
    confirmed = "confirmed"
    checked_in = "checked_in"
    checked_out = "checked_out"
    cancelled = "cancelled"
    expired = "expired"
    no_show = "no_show"


HOLD_STATES = frozenset({Status.reserved, Status.guests_added, Status.payment_pending})
SOLD_STATES = frozenset({Status.confirmed, Status.checked_in, Status.checked_out, Status.no_show})
FINAL_STATES = frozenset({Status.checked_out, Status.cancelled, Status.expired, Status.no_show})


class Source(StrEnum):
    web = "web"
    direct = "direct"
    phone = "phone"
    walk_in = "walk_in"
    ota = "ota"


class Booking(IdMixin, TimestampMixin, Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("checkout > checkin", name="dates"),
        CheckConstraint("rooms >= 1", name="rooms"),
        CheckConstraint("guests >= rooms", name="guests"),
        CheckConstraint("total_minor >= 0", name="total"),
        CheckConstraint("refund_due_minor >= 0", name="refund_due"),
        CheckConstraint(
            "release_from IS NULL OR (release_from >= checkin AND release_from <= checkout)",
            name="release_from",
        ),
        CheckConstraint(
            "(kind = 'stay' AND room_type_id IS NOT NULL) OR (kind = 'slot' AND resource_id IS NOT NULL "
            "AND start_at IS NOT NULL AND end_at IS NOT NULL AND end_at > start_at)",
            name="kind",
        ),
        Index("ix_bookings_property_checkin", "property_id", "checkin"),
        Index("ix_bookings_resource_start", "resource_id", "start_at"),
        Index("ix_bookings_user_id", "user_id"),
        # the hold reclaim and the expiry sweep look for due holds by room type
        Index(
            "ix_bookings_holds_due",
            "room_type_id",
            "expires_at",
            postgresql_where=text("status IN ('reserved', 'guests_added', 'payment_pending')"),
            sqlite_where=text("status IN ('reserved', 'guests_added', 'payment_pending')"),
        ),
    )

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id"))
    #: what it books: ``stay`` (nights of ``room_type_id``) or ``slot`` (``start_at``-``end_at`` of
    #: ``resource_id``); the allocation behind it is ``bookings.allocation.allocation_for(booking)``
    kind: Mapped[str] = mapped_column(String(10), default="stay", server_default="stay")
    room_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room_types.id"))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id"))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    attendees: Mapped[int | None] = mapped_column(Integer)
    #: a professional's mode (on_site, travel, online) and, travelling, the customer's address
    mode: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: add-ons chosen: [{code, quantity}]
    addons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    guest_token_hash: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10), default=Source.web.value)
    checkin: Mapped[date] = mapped_column(Date)
    checkout: Mapped[date] = mapped_column(Date)
    release_from: Mapped[date | None] = mapped_column(Date)
    rooms: Mapped[int] = mapped_column(Integer)
    guests: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=Status.reserved.value)
    payment_status: Mapped[str] = mapped_column(String(20), default=SettlementStatus.unpaid.value)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInt)
    refund_due_minor: Mapped[int] = mapped_column(BigInt, default=0)
    promo_code: Mapped[str | None] = mapped_column(String(40))
    quote: Mapped[dict[str, Any]] = mapped_column(JSONType)
    cancellation_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    payment_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    expires_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    #: what the guest asks for (late arrival, a cot, ...): shown to staff on the booking
    special_requests: Mapped[str | None] = mapped_column(Text)

    @property
    def sold_until(self) -> date:
        return self.release_from or self.checkout

    @property
    def charges_closed(self) -> bool:
        """Cancelled or expired: the folio's stay charges were closed and are never posted again."""
        return self.status in (Status.cancelled, Status.expired)


class BookingGuest(IdMixin, Base):
    __tablename__ = "booking_guests"
    __table_args__ = (Index("ix_booking_guests_booking_id", "booking_id"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    age: Mapped[int | None] = mapped_column(Integer)
    id_document_type: Mapped[str | None] = mapped_column(String(20))
    #: sealed with the rotatable field keys (kit.crypto); shown masked
    id_document_number_enc: Mapped[str | None] = mapped_column(Text)
    id_document_last4: Mapped[str | None] = mapped_column(String(4))
    saved_guest_id: Mapped[uuid.UUID | None]
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: free text, optional
    gender: Mapped[str | None] = mapped_column(String(40))
    #: ISO 3166-1 alpha-2
    nationality: Mapped[str | None] = mapped_column(String(2))


class SavedGuest(IdMixin, TimestampMixin, Base):
    """A guest profile on a customer's account, reusable in later bookings."""

    __tablename__ = "saved_guests"
    __table_args__ = (Index("ix_saved_guests_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    age: Mapped[int | None] = mapped_column(Integer)
    id_document_type: Mapped[str | None] = mapped_column(String(20))
    id_document_number_enc: Mapped[str | None] = mapped_column(Text)
    id_document_last4: Mapped[str | None] = mapped_column(String(4))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(40))
    nationality: Mapped[str | None] = mapped_column(String(2))


class BookingEvent(IdMixin, Base):
    """The booking's history: every transition and change, with who and from where."""

    __tablename__ = "booking_events"
    __table_args__ = (Index("ix_booking_events_booking_id_at", "booking_id", "at"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_user_id: Mapped[uuid.UUID | None]
    actor_ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class RoomAssignment(IdMixin, Base):
    """A physical room for part or all of a stay. A room never holds two overlapping active stays:
    an exclusion constraint on PostgreSQL; checked under the write lock on SQLite."""

    __tablename__ = "room_assignments"
    __table_args__ = (
        CheckConstraint("end_date > start_date", name="dates"),
        Index("ix_room_assignments_booking_id", "booking_id"),
        Index("ix_room_assignments_room_id_dates", "room_id", "start_date", "end_date"),
        UniqueConstraint("booking_id", "room_id", "start_date"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rooms.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))
