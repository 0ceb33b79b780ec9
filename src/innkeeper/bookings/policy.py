"""Cancellation policies: how much of what was paid comes back, by hours before check-in.

Presets (hours before the property-local check-in time → refund percent):

| preset | rule |
|---|---|
| flexible | 100 % until `free_until_hours` (default 24 h) before, then 0 % |
| moderate | 100 % until 5 days before, then 50 % |
| strict | 50 % until 7 days before, then 0 % |
| non_refundable | 0 % |
| hall_tiers | more than 48 h: 75 %, 24 to 48 h: 50 %, under 24 h: 25 % |

A policy may also carry its own ``tiers`` ([{hours_before, refund_percent}]) and ``free_until_hours``,
which take precedence over the preset.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

PRESETS: dict[str, list[tuple[int, int]]] = {
    # (at least this many hours before check-in, refund percent), most generous first
    "flexible": [(24, 100), (0, 0)],
    "moderate": [(120, 100), (0, 50)],
    "strict": [(168, 50), (0, 0)],
    "non_refundable": [(0, 0)],
    "hall_tiers": [(48, 75), (24, 50), (0, 25)],
}


def tiers_of(policy: dict[str, Any]) -> list[tuple[int, int]]:
    if policy.get("tiers"):
        tiers = [(int(t["hours_before"]), int(t["refund_percent"])) for t in policy["tiers"]]
    else:
        tiers = list(PRESETS.get(policy.get("preset") or "flexible", PRESETS["flexible"]))
    if policy.get("free_until_hours") is not None:
        tiers.append((int(policy["free_until_hours"]), 100))
    return sorted(tiers, key=lambda t: -t[0])


def hours_before_checkin(checkin: date, check_in_time: time, timezone: str, now: datetime) -> float:
    arrival = datetime.combine(checkin, check_in_time, tzinfo=ZoneInfo(timezone))
    return (arrival - now).total_seconds() / 3600


def hours_before_start(b: Any, prop: Any, now: datetime) -> float:
    """Hours from ``now`` to when the booking begins: a slot's start, a stay's property-local check-in
    time on its arrival day. What every cancellation tier counts from."""
    if b.start_at is not None:
        return float((b.start_at - now).total_seconds() / 3600)
    return hours_before_checkin(b.checkin, prop.check_in_time, prop.timezone, now)


def refund_percent(policy: dict[str, Any], hours_before: float) -> int:
    """The refund percent of the first tier whose threshold ``hours_before`` reaches (none: 0 %)."""
    for threshold, percent in tiers_of(policy):
        if hours_before >= threshold:
            return percent
    return 0
