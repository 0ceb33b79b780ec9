"""The one source of "now". Tests move it; code never calls ``datetime.now()`` directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """UTC wall clock with an offset or a frozen instant that tests can set."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> datetime:
        if at is not None and at.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        self._frozen = (at or self.now()).astimezone(UTC)
        return self._frozen

    def advance(self, delta: timedelta) -> datetime:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta
        return self.now()

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta()


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def local_today(timezone: str) -> date:
    """Today's date in an IANA time zone (a property's "today")."""
    return utcnow().astimezone(ZoneInfo(timezone)).date()
