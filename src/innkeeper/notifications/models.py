from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, IdMixin


class DevMessage(IdMixin, Base):
    """The development outbox: every message "sent" outside production, shown at ``/dev/outbox``."""

    __tablename__ = "dev_messages"
    __table_args__ = (Index("ix_dev_messages_sent_at", "sent_at"),)

    channel: Mapped[str] = mapped_column(String(10))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str | None] = mapped_column(Text)  # comma-separated file names
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
