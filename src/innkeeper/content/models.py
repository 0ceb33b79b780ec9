"""CMS pages: the platform's (``property_id`` NULL) and each property's (about, terms, house rules).

``body_html`` is stored already sanitized (``content.sanitize``): what is read back is safe to render."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.db import Base, IdMixin, TimestampMixin


class Page(IdMixin, TimestampMixin, Base):
    __tablename__ = "pages"
    __table_args__ = (
        # one page per slug on the platform, and one per slug at each property (NULLs are distinct
        # in a plain unique constraint, hence two partial indexes)
        Index(
            "ux_pages_platform_slug",
            "slug",
            unique=True,
            postgresql_where=text("property_id IS NULL"),
            sqlite_where=text("property_id IS NULL"),
        ),
        Index(
            "ux_pages_property_slug",
            "property_id",
            "slug",
            unique=True,
            postgresql_where=text("property_id IS NOT NULL"),
            sqlite_where=text("property_id IS NOT NULL"),
        ),
    )

    property_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    #: first published (kept when a page goes back to draft and out again)
    published_at: Mapped[datetime | None]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
