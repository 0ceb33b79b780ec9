"""The slot state machine's vocabulary: its settings, the specs of the resources it books, the slots and
closures it tracks, the strategies that draw them, and small helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import strategies as st

HOLD_TTL = 600
TZ = ZoneInfo("Europe/Lisbon")
SERVER_ERROR = 500
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHUNK = timedelta(minutes=15)  # every boundary the machine makes is on a quarter hour
STEP = timedelta(minutes=30)
MAX_EXCEPTIONS = 7  # per example (3 made at the start): more would close most of the bookable time
HOLDING = {"reserved", "guests_added", "payment_pending"}
SOLD = {"confirmed", "checked_in"}
#: After its end a confirmed hall slot becomes a no-show, another slot is completed (the periodic job
#: ``bookings.complete_slots``); its allocation stays active, in the past.
ENDED = {"no_show", "checked_out"}


@dataclass(frozen=True)
class Spec:
    """What the machine sets up for a resource (and the oracle reads back)."""

    kind: str
    windows: tuple[tuple[int, int], ...]  # local minutes of the day, every day
    before: int = 0
    after: int = 0
    min_minutes: int = 60
    max_minutes: int | None = None


SPECS = (
    Spec("hall", ((8 * 60, 12 * 60), (13 * 60, 20 * 60)), max_minutes=240),
    Spec("meeting_room", ((9 * 60, 18 * 60),), before=15, after=30, max_minutes=180),
)


@dataclass
class Slot:
    id: str
    resource: int
    start: datetime
    end: datetime
    status: str
    expires_at: datetime | None
    who: dict[str, str]  # the booker's headers


@dataclass(frozen=True)
class Closure:
    resource: int
    start: datetime
    end: datetime
    kind: str


#: Local days from today, and start times (local minutes), the simplest (what Hypothesis tries first
#: and shrinks to) being an ordinary sale: tomorrow at 10:00
DAYS = st.sampled_from([1, 2, 0])
STARTS = st.sampled_from(
    [10 * 60 + 30 * k for k in range(16)] + [8 * 60, 9 * 60, 7 * 60 + 30, 19 * 60, 10 * 60 + 15, 14 * 60 + 45]
)
#: A booking to book next to (its index, and half hours from its start)
Near = tuple[int, int] | None

#: Set per test run: the app settings, the owner's and a customer's tokens (reused across examples).
WORLD: dict[str, Any] = {}


def problem_code(r: httpx.Response) -> str:
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/problem+json"):
        return str(r.json().get("code", ""))
    return ""


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(day: date, minute: int) -> datetime:
    return (datetime.combine(day, time()) + timedelta(minutes=minute)).replace(tzinfo=TZ).astimezone(UTC)


def chunks(start: datetime, end: datetime) -> Iterable[datetime]:
    t = start
    while t < end:
        yield t
        t += CHUNK
