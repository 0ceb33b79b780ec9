"""Properties (hotel, venue, practice), room types, physical rooms and images."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, BigInt, IdMixin, JSONType, TimestampMixin


class PropertyKind(StrEnum):
    hotel = "hotel"
    venue = "venue"
    practice = "practice"


class RoomStatus(StrEnum):
    available = "available"
    out_of_order = "out_of_order"


class Housekeeping(StrEnum):
    clean = "clean"
    dirty = "dirty"
    inspected = "inspected"


class Property(IdMixin, TimestampMixin, Base):
    __tablename__ = "properties"
    __table_args__ = (
        CheckConstraint("kind IN ('hotel', 'venue', 'practice')", name="kind"),
        CheckConstraint("star_rating IS NULL OR (star_rating BETWEEN 1 AND 5)", name="star_rating"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
        CheckConstraint("vat_bp >= 0 AND vat_bp <= 10000", name="vat_bp"),
        CheckConstraint("city_tax_minor >= 0", name="city_tax_minor"),
        # search: active properties by city, and by coordinates (bounding box)
        Index(
            "ix_properties_active_city",
            "city_key",
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
        Index(
            "ix_properties_active_lat_lng",
            "latitude",
            "longitude",
            postgresql_where=text("is_active"),
            sqlite_where=text("is_active"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    city: Mapped[str] = mapped_column(String(120))
    #: ``city`` folded for matching (lower case, trimmed): what search and locations compare.
    city_key: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    check_in_time: Mapped[time] = mapped_column(Time, default=time(15, 0))
    check_out_time: Mapped[time] = mapped_column(Time, default=time(11, 0))
    star_rating: Mapped[int | None] = mapped_column(Integer)
    #: average guest rating x10 (0..50); reviews maintain it later
    rating_x10: Mapped[int | None] = mapped_column(Integer)
    #: published reviews behind ``rating_x10``; both kept by ``engagement.reviews`` at moderation (never
    #: in the booking path)
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    #: bumped in the same transaction as any change to the property's room types or rate rules (see
    #: :func:`bump_catalog_versions` below): search caches those per process and checks this number on
    #: every request
    catalog_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # policies (used by bookings and billing)
    payment_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    cancellation_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    refund_destination: Mapped[str] = mapped_column(String(10), default="card")
    # taxes: VAT in basis points (1000 = 10%), city tax per person per night capped at N nights
    vat_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_included: Mapped[bool] = mapped_column(Boolean, default=False)
    city_tax_minor: Mapped[int] = mapped_column(BigInt, default=0)
    city_tax_max_nights: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None]
    #: how guests reach the property (shown on its public page, used in guest messages)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    #: soft delete (``catalog.deletion``): a deleted property is also inactive, so every public read that
    #: filters on ``is_active`` (search's partial indexes included) already leaves it out
    deleted_at: Mapped[datetime | None]


class RoomType(IdMixin, TimestampMixin, Base):
    __tablename__ = "room_types"
    #: a change bumps ``Property.catalog_version`` (see :func:`bump_catalog_versions`)
    catalog_versioned: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("base_price_minor >= 0", name="base_price"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)
    base_price_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    bed_config: Mapped[str | None] = mapped_column(String(120))
    size_sqm: Mapped[int | None] = mapped_column(Integer)
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    #: soft delete: kept for the bookings, folios and reports that name it; its code stays taken
    deleted_at: Mapped[datetime | None]


class Room(IdMixin, TimestampMixin, Base):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        Index("ix_rooms_room_type_id", "room_type_id"),
        CheckConstraint("status IN ('available', 'out_of_order')", name="status"),
        CheckConstraint("housekeeping IN ('clean', 'dirty', 'inspected')", name="housekeeping"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    room_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20))
    floor: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=RoomStatus.available.value)
    housekeeping: Mapped[str] = mapped_column(String(16), default=Housekeeping.clean.value)
    #: soft delete: kept for the room assignments that name it; its number stays taken
    deleted_at: Mapped[datetime | None]


class PropertyImage(IdMixin, Base):
    """An image of a property, or of one of its room types (``room_type_id``): one table, one storage,
    one serving route (``GET /images/{id}``)."""

    __tablename__ = "property_images"
    __table_args__ = (
        Index("ix_property_images_property_id", "property_id"),
        Index("ix_property_images_room_type_id", "room_type_id"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    room_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Session, "before_flush")
def bump_catalog_versions(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Bump ``catalog_version`` of every property whose room types or rate rules (models that set
    ``catalog_versioned``), or whose resources' weekly windows or rates (models that set
    ``catalog_versioned_by_resource``), this flush inserts, changes or deletes, in the same transaction:
    search's per-process caches of those rows are keyed by it, so a change shows in the next search
    everywhere. Writes that bypass the ORM (bulk SQL, manual fixes) must bump it themselves
    (:func:`bump_catalog_version_of_resources`)."""
    changed: set[uuid.UUID] = set()
    resources: set[uuid.UUID] = set()
    dirty = session.dirty  # (a set built anew on every access: once per flush)
    for obj in (*session.new, *dirty, *session.deleted):
        by_property = getattr(obj, "catalog_versioned", False)
        if not by_property and not getattr(obj, "catalog_versioned_by_resource", False):
            continue
        if obj in dirty and not session.is_modified(obj):
            continue
        if by_property:
            changed.add(obj.property_id)
        else:
            resources.add(obj.resource_id)
    if changed:
        session.execute(
            update(Property)
            .where(Property.id.in_(sorted(changed)))
            .values(catalog_version=Property.catalog_version + 1)
            .execution_options(synchronize_session=False)
        )
    if resources:
        session.execute(bump_catalog_version_of_resources(resources))


def bump_catalog_version_of_resources(resource_ids: Iterable[uuid.UUID]) -> Any:
    """The statement that bumps ``catalog_version`` of the properties of these resources (their windows
    or rates changed: resource search caches those by it)."""
    owners = select(Resource.property_id).where(Resource.id.in_(sorted(resource_ids)))
    return (
        update(Property)
        .where(Property.id.in_(owners.scalar_subquery()))
        .values(catalog_version=Property.catalog_version + 1)
        .execution_options(synchronize_session=False)
    )


# -- hourly resources: halls, meeting rooms, professionals (docs/hourly.md) ---------------------------------


class ResourceKind(StrEnum):
    hall = "hall"
    meeting_room = "meeting_room"
    professional = "professional"


class AddonUnit(StrEnum):
    per_booking = "per_booking"
    per_hour = "per_hour"
    per_person = "per_person"


class Resource(IdMixin, TimestampMixin, Base):
    """Something booked by the hour at a property. Durations, steps, buffers and notice are minutes;
    the weekly windows and exceptions that open it live in ``inventory.hourly_models``."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint("kind IN ('hall', 'meeting_room', 'professional')", name="kind"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity"),
        CheckConstraint("hourly_price_minor >= 0", name="hourly_price"),
        CheckConstraint("min_duration_minutes >= 1", name="min_duration"),
        CheckConstraint(
            "max_duration_minutes IS NULL OR max_duration_minutes >= min_duration_minutes",
            name="max_duration",
        ),
        CheckConstraint("slot_step_minutes >= 1", name="slot_step"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice"),
        CheckConstraint("horizon_days >= 1", name="horizon_days"),
        Index("ix_resources_property_id", "property_id"),
        Index("ix_resources_kind_is_active", "kind", "is_active"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer)
    hourly_price_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    min_duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    max_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=30)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=0)
    horizon_days: Mapped[int] = mapped_column(Integer, default=180)
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    images: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: a professional who travels to the customer: ``{base_fee_minor, per_km_minor, max_km}``
    travel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    #: where a travelling professional starts from (the property's coordinates when unset)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: the professional's own account (a member with role ``professional`` at the property)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ResourceAddon(IdMixin, Base):
    """An extra sold with a resource's booking (projector per booking, catering per person, ...)."""

    __tablename__ = "resource_addons"
    __table_args__ = (
        UniqueConstraint("resource_id", "code"),
        CheckConstraint("price_minor >= 0", name="price"),
        CheckConstraint("unit IN ('per_booking', 'per_hour', 'per_person')", name="unit"),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(20))


class Favorite(Base):
    """A property a user marked as a favorite. Defined here, beside the property, rather than in
    ``engagement`` (which owns the routes): search sits below engagement and marks the favorites among
    its results, so the table must live in a package search may read."""

    __tablename__ = "favorites"
    __table_args__ = (Index("ix_favorites_property_id", "property_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    property_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
