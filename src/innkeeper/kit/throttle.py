"""Security throttles that must hold across every process: counted in the database.

Request-rate limits (per IP, per user) use the ``limits`` library in :mod:`innkeeper.kit.ratelimit`,
in memory or Redis. Throttles that are business rules ("failed logins per account and source") are
rows here, written in the same transaction as the attempt they count, so they are exact on SQLite with
several processes too and need no Redis.

The shape is :class:`Backoff`, an exponential delay after a number of free hits, not a hard limit:
it slows a guesser down without ever shutting anyone out for long.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, IdMixin


class ThrottleHit(IdMixin, Base):
    __tablename__ = "throttle_hits"
    __table_args__ = (Index("ix_throttle_hits_key_at", "key", "at"),)

    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def throttle_key(scope: str, subject: str) -> str:
    """Keys are hashed: no e-mail address or phone number is stored in clear here."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


@dataclass(frozen=True)
class Backoff:
    """After ``free`` hits inside ``window``, each hit makes the next try wait from that hit: ``base``
    after the ``free``-th, then twice as long after each further one, never longer than ``window``.
    Hits older than ``window`` no longer count, so a key left alone recovers on its own."""

    free: int
    window: timedelta
    base: timedelta

    def delay(self, hits: int) -> timedelta:
        if hits < self.free:
            return timedelta(0)
        doublings = min(hits - self.free, 32)  # 2**32 times base is past any window
        return min(self.window, self.base * 2**doublings)


async def wait_left(session: AsyncSession, key: str, policy: Backoff) -> int:
    """Whole seconds ``key`` must still wait before its next try under ``policy`` (0: it may try now)."""
    now = utcnow()
    count, last = (
        await session.execute(
            select(func.count(), func.max(ThrottleHit.at)).where(
                ThrottleHit.key == key, ThrottleHit.at > now - policy.window
            )
        )
    ).one()
    if last is None:
        return 0
    return max(0, math.ceil((last + policy.delay(count) - now).total_seconds()))


def hit(session: AsyncSession, key: str) -> None:
    session.add(ThrottleHit(key=key, at=utcnow()))


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(delete(ThrottleHit).where(ThrottleHit.key == key))


async def prune(session: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    result = await session.execute(delete(ThrottleHit).where(ThrottleHit.at < utcnow() - older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
