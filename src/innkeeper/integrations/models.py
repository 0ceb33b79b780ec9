"""Webhook subscriptions and deliveries, calendar feeds and imports, meetings, Connect accounts.

Secrets: a webhook's signing secret must be readable to sign, so it is sealed with the field keys
(``kit.crypto``); a calendar feed's token and a meeting participant's join token only need checking,
so only their SHA-256 is kept. Each is shown once, when made.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, JSONType


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    succeeded = "succeeded"  # a 2xx answer
    failed = "failed"  # gave up: retries exhausted (a day), or the subscription was removed


class WebhookSubscription(IdMixin, Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_property_id", "property_id"),)

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSONType)
    #: the Standard Webhooks secret (``whsec_…``), sealed with the field keys
    secret_enc: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookDelivery(IdMixin, Base):
    """One event for one subscription: the message (its id, type and body never change, so every retry
    is the same message and receivers can deduplicate on ``webhook-id``) and where its sending stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_subscription_id_created_at", "subscription_id", "created_at"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    #: the ``webhook-id`` header: ``msg_<uuid>``, the same on every attempt
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, Base):
    """The delivery log: every attempt with its answer's status code (none: no answer) and timing."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id_at", "delivery_id", "at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)


class ObjectVersion(Base):
    """A per-object counter, bumped in the transaction of each change announced to webhooks: payloads
    carry it so a receiver can drop a stale one that arrives after a newer one."""

    __tablename__ = "integration_object_versions"

    object_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInt, default=0)


class CalendarFeed(IdMixin, Base):
    """A secret-URL ``.ics`` feed of one room type's or one resource's booked and closed times."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        Index("ix_calendar_feeds_property_id", "property_id"),
        CheckConstraint("(room_type_id IS NULL) <> (resource_id IS NULL)", name="one_target"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    room_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    #: SHA-256 of the token in the URL
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarImport(IdMixin, Base):
    """An external ``.ics`` URL polled by a job; its events close nights of a room type or block times
    of a resource."""

    __tablename__ = "calendar_imports"
    __table_args__ = (
        Index("ix_calendar_imports_property_id", "property_id"),
        CheckConstraint("(room_type_id IS NULL) <> (resource_id IS NULL)", name="one_target"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    room_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_polled_at: Mapped[datetime | None]
    #: ``ok`` or ``error`` after a poll; none before the first
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))
    events_count: Mapped[int] = mapped_column(Integer, default=0)
    #: events of the last poll that could not block their time (an active booking holds it)
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarImportNight(Base):
    """A night an import wants closed. ``reopen``: the night was open when the import closed it, so the
    import opens it again when no event covers it any more (a night someone else closed stays closed)."""

    __tablename__ = "calendar_import_nights"
    __table_args__ = (Index("ix_calendar_import_nights_room_type_id_date", "room_type_id", "date"),)

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("calendar_imports.id", ondelete="CASCADE"), primary_key=True
    )
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    room_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    reopen: Mapped[bool] = mapped_column(Boolean, default=False)


class CalendarImportBlock(IdMixin, Base):
    """An imported event's time on a resource, and the closed exception that blocks it."""

    __tablename__ = "calendar_import_blocks"
    __table_args__ = (UniqueConstraint("import_id", "event_key"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("calendar_imports.id", ondelete="CASCADE"))
    #: the event's UID and its start and end: an event moved in the feed is a new block
    event_key: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    exception_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resource_exceptions.id", ondelete="SET NULL")
    )


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"


class Meeting(IdMixin, Base):
    """The online session of a booking (an online professional slot, a hybrid hall event)."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_property_id", "property_id"),
        CheckConstraint("status IN ('scheduled', 'live', 'ended')", name="status_known"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=MeetingStatus.scheduled.value)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingParticipant(IdMixin, Base):
    __tablename__ = "meeting_participants"
    __table_args__ = (Index("ix_meeting_participants_meeting_id", "meeting_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    #: SHA-256 of the participant's own join token (given once, by JoinMeeting)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]


class MeetingRecording(IdMixin, Base):
    __tablename__ = "meeting_recordings"
    __table_args__ = (
        Index("ix_meeting_recordings_meeting_id", "meeting_id"),
        CheckConstraint("duration_seconds >= 0 AND size_bytes >= 0", name="nonnegative"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    started_at: Mapped[datetime | None]
    duration_seconds: Mapped[int] = mapped_column(BigInt, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInt, default=0)
    format: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConnectAccount(Base):
    """A property's Stripe Connect (Express) account: where its payouts go. The flags mirror Stripe's
    ``account.updated`` events."""

    __tablename__ = "connect_accounts"

    property_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
