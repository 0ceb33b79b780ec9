from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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


class MessageOverride(IdMixin, Base):
    """A property's own subject and/or opening paragraph for one of its guests' messages, per language.
    The rest of the message (the facts: dates, amounts, links) stays the template's."""

    __tablename__ = "message_overrides"
    __table_args__ = (UniqueConstraint("property_id", "template", "locale"),)

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(String(200))
    intro: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
