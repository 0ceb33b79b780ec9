"""Security throttles that must hold across every process: counted in the database.

Request-rate limits (per IP, per user) use the ``limits`` library in :mod:`innkeeper.kit.ratelimit`,
in memory or Redis. Throttles that are business rules ("3 OTP sends per number per 30 minutes",
"10 failed logins per account per 15 minutes") are rows here, written in the same transaction as the
attempt they count, so they are exact on SQLite with several processes too and need no Redis.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, IdMixin
from innkeeper.kit.errors import RateLimited


class ThrottleHit(IdMixin, Base):
    __tablename__ = "throttle_hits"
    __table_args__ = (Index("ix_throttle_hits_key_at", "key", "at"),)

    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def throttle_key(scope: str, subject: str) -> str:
    """Keys are hashed: no e-mail address or phone number is stored in clear here."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


async def check(session: AsyncSession, key: str, *, limit: int, window: timedelta, message: str) -> None:
    """Raise 429 when ``key`` already has ``limit`` hits inside ``window``."""
    since = utcnow() - window
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(ThrottleHit.at)).where(
                ThrottleHit.key == key, ThrottleHit.at > since
            )
        )
    ).one()
    if count >= limit:
        oldest_at = oldest or utcnow()  # min() keeps the column type: an aware UTC instant
        retry = math.ceil((oldest_at + window - utcnow()).total_seconds())
        raise RateLimited(message, retry_after=max(1, retry))


def hit(session: AsyncSession, key: str) -> None:
    session.add(ThrottleHit(key=key, at=utcnow()))


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(ThrottleHit).where(ThrottleHit.key == key))


async def prune(session: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    result = await session.execute(delete(ThrottleHit).where(ThrottleHit.at < utcnow() - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
