"""One row per room type and night: the unit the booking engine locks (``FOR UPDATE ORDER BY date``)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.db import Base, BigInt, IdMixin

#: PostgreSQL storage parameter of ``inventory_days`` (see its ``__table_args__``)
INVENTORY_FILLFACTOR = 80


class InventoryDay(IdMixin, Base):
    __tablename__ = "inventory_days"
    __table_args__ = (
        UniqueConstraint("room_type_id", "date"),
        Index("ix_inventory_days_property_id_date", "property_id", "date"),
        CheckConstraint("sold >= 0", name="sold_nonnegative"),
        CheckConstraint("held >= 0", name="held_nonnegative"),
        CheckConstraint("total >= 0", name="total_nonnegative"),
        CheckConstraint("sold + held <= total", name="no_oversell"),
        CheckConstraint("price_minor IS NULL OR price_minor >= 0", name="price_nonnegative"),
        CheckConstraint("min_stay >= 1", name="min_stay"),
        CheckConstraint("max_stay IS NULL OR max_stay >= min_stay", name="max_stay"),
        # every booking rewrites its nights' counters: a fifth of each page is left free so the new row
        # version stays on its page (a HOT update, no index entries to add; migration 0008)
        {"postgresql_with": {"fillfactor": INVENTORY_FILLFACTOR}},
    )

    room_type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("room_types.id", ondelete="CASCADE"))
    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(Integer, default=0)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    price_minor: Mapped[int | None] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    min_stay: Mapped[int] = mapped_column(Integer, default=1)
    max_stay: Mapped[int | None] = mapped_column(Integer)
    closed_to_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_to_departure: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def available(self) -> int:
        return 0 if self.closed else max(0, self.total - self.sold - self.held)
