"""When an hourly resource is open, and what its bookings hold (docs/hourly.md).

* :class:`ResourceWindow`: weekly opening hours in the property's time zone, as minutes of the day
  (``0 <= start_minute < end_minute <= 1440``; 1440 is the end of the day, so "22:00-24:00" needs no
  trick). Several per weekday are allowed. A window never crosses midnight: two windows do that.
* :class:`ResourceException`: a closure (time off) or an extra opening, as UTC instants.
* :class:`ResourceAllocation`: the time range a booking holds, buffers included. The database refuses
  two active rows of one resource that overlap: an exclusion constraint on PostgreSQL, triggers on
  SQLite (migration 0010). An inactive row (a released booking) blocks nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, IdMixin

#: the message the SQLite triggers abort with, and the name of PostgreSQL's exclusion constraint: how an
#: IntegrityError is recognised as an overlap (``inventory.allocations``)
OVERLAP_MESSAGE = "slot_overlap"
OVERLAP_CONSTRAINT = "ex_resource_allocations_no_overlap"
MINUTES_PER_DAY = 24 * 60


class ExceptionKind(StrEnum):
    closed = "closed"
    open = "open"


class ResourceWindow(IdMixin, Base):
    __tablename__ = "resource_windows"
    #: a change bumps the property's ``catalog_version`` (``catalog.models.bump_catalog_versions``):
    #: resource search caches windows per process by it
    catalog_versioned_by_resource: ClassVar[bool] = True
    __table_args__ = (
        Index("ix_resource_windows_resource_id_weekday", "resource_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            f"start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY} AND start_minute < end_minute",
            name="minutes",
        ),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    #: Monday 0 ... Sunday 6
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class ResourceException(IdMixin, Base):
    __tablename__ = "resource_exceptions"
    __table_args__ = (
        Index("ix_resource_exceptions_resource_id_starts_at", "resource_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="range"),
        CheckConstraint("kind IN ('closed', 'open')", name="kind"),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResourceAllocation(IdMixin, Base):
    """The buffered range ``[start - buffer_before, end + buffer_after)`` a booking holds."""

    __tablename__ = "resource_allocations"
    __table_args__ = (
        UniqueConstraint("booking_id"),
        Index("ix_resource_allocations_resource_id_starts_at", "resource_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="range"),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id"))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
