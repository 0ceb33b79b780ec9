"""Rate rules and promo codes. Factors are integers in basis points (10000 = x1.0): no floats near money."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.db import Base, BigInt, IdMixin, TimestampMixin

RULE_KINDS = ("season", "weekday", "occupancy", "lead_time", "length_of_stay")


class RateRule(IdMixin, TimestampMixin, Base):
    __tablename__ = "rate_rules"
    #: a change bumps ``Property.catalog_version`` (``catalog.models.bump_catalog_versions``)
    catalog_versioned: ClassVar[bool] = True
    __table_args__ = (
        Index("ix_rate_rules_property_id", "property_id"),
        CheckConstraint(
            "kind IN ('season', 'weekday', 'occupancy', 'lead_time', 'length_of_stay')", name="kind"
        ),
        CheckConstraint("(factor_bp IS NULL) <> (override_minor IS NULL)", name="one_adjustment"),
        CheckConstraint("factor_bp IS NULL OR factor_bp BETWEEN 0 AND 100000", name="factor_bp"),
        CheckConstraint("override_minor IS NULL OR override_minor >= 0", name="override_minor"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    room_type_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # exclusive
    #: bit i set = applies on weekday i (Monday = 0); NULL = every day
    weekdays: Mapped[int | None] = mapped_column(Integer)
    min_occupancy_pct: Mapped[int | None] = mapped_column(Integer)
    min_lead_days: Mapped[int | None] = mapped_column(Integer)
    max_lead_days: Mapped[int | None] = mapped_column(Integer)
    min_nights: Mapped[int | None] = mapped_column(Integer)
    factor_bp: Mapped[int | None] = mapped_column(Integer)
    override_minor: Mapped[int | None] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class PromoCode(IdMixin, TimestampMixin, Base):
    __tablename__ = "promo_codes"
    __table_args__ = (
        # one code per property, and one global code of a name
        Index(
            "uq_promo_codes_property_code",
            "property_id",
            "code",
            unique=True,
            postgresql_where=text("property_id IS NOT NULL"),
            sqlite_where=text("property_id IS NOT NULL"),
        ),
        Index(
            "uq_promo_codes_global_code",
            "code",
            unique=True,
            postgresql_where=text("property_id IS NULL"),
            sqlite_where=text("property_id IS NULL"),
        ),
        CheckConstraint("kind IN ('percent', 'fixed')", name="kind"),
        CheckConstraint("percent_bp IS NULL OR percent_bp BETWEEN 1 AND 10000", name="percent_bp"),
        CheckConstraint("amount_minor IS NULL OR amount_minor > 0", name="amount_minor"),
        CheckConstraint("used_count >= 0 AND (max_uses IS NULL OR used_count <= max_uses)", name="uses"),
    )

    property_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    percent_bp: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int | None] = mapped_column(BigInt)
    currency: Mapped[str | None] = mapped_column(String(3))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ResourceRate(IdMixin, Base):
    """A peak / off-peak price of an hourly resource (``pricing.hourly``): on ``weekdays`` (bit i =
    weekday i, Monday 0; NULL = every day), between the local minutes of the day ``start_minute`` and
    ``end_minute`` (both NULL = all day), either ``hourly_price_minor`` (in the resource's currency) or
    ``percent`` of the resource's hourly price (150 = x1.5). Table: migration 0010."""

    __tablename__ = "resource_rates"
    #: a change bumps the property's ``catalog_version`` (``catalog.models.bump_catalog_versions``):
    #: resource search caches rates per process by it
    catalog_versioned_by_resource: ClassVar[bool] = True
    __table_args__ = (
        CheckConstraint("(hourly_price_minor IS NULL) != (percent IS NULL)", name="one_price"),
        CheckConstraint("hourly_price_minor IS NULL OR hourly_price_minor >= 0", name="price"),
        CheckConstraint("percent IS NULL OR percent >= 0", name="percent"),
        CheckConstraint("weekdays IS NULL OR (weekdays BETWEEN 1 AND 127)", name="weekdays"),
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name="minutes",
        ),
    )

    resource_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    weekdays: Mapped[int | None] = mapped_column(Integer)
    start_minute: Mapped[int | None] = mapped_column(Integer)
    end_minute: Mapped[int | None] = mapped_column(Integer)
    hourly_price_minor: Mapped[int | None] = mapped_column(BigInt)
    percent: Mapped[int | None] = mapped_column(Integer)
