"""Resource search reads a day without exceptions off the day's candidate slots ranked by charge once
for all alike resources (``search.resources._ranked_candidates``, ``_first_free``). Whatever the windows,
rates, step, length, buffers, notice, allocations, time zone (DST days included), VAT and loyalty, it
must give what pricing every free slot of the day gives: the lowest total, the earliest of equals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from innkeeper.inventory.hourly import window_pattern
from innkeeper.pricing.hourly import ListedPrices, rate_card
from innkeeper.pricing.resource_cards import ResourceCard
from innkeeper.search import resources as search
from innkeeper.search.resources import ResourceSearchParams, Schedules, resource_free_slots
from tests.hourly.test_pricing import Prop, Rate, _rate


class Window(NamedTuple):
    weekday: int
    start_minute: int
    end_minute: int


@dataclass
class Res:
    slot_step_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    hourly_price_minor: int
    min_duration_minutes: int = 15
    max_duration_minutes: int | None = None
    horizon_days: int = 400
    name: str = "Hall"
    capacity: int | None = None
    online: bool = False
    travel: dict[str, Any] | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


_window = st.builds(
    Window,
    weekday=st.integers(0, 6),
    start_minute=st.integers(0, 23 * 4).map(lambda q: q * 15),
    end_minute=st.integers(1, 24 * 4).map(lambda q: q * 15),
).filter(lambda w: w.start_minute < w.end_minute)

#: around DST changes in both zones (2030-03-10 and 2030-11-03 New York, 2030-03-31 and 2030-10-27
#: Lisbon) and ordinary days
DAYS = [
    date(2030, 3, 10),
    date(2030, 3, 31),
    date(2030, 10, 27),
    date(2030, 11, 3),
    date(2030, 6, 12),
    date(2030, 12, 31),
]


@settings(max_examples=300, deadline=None)
@given(
    windows=st.lists(_window, min_size=1, max_size=8),
    rates=st.lists(_rate, max_size=3),
    hourly=st.one_of(st.integers(1, 99_999), st.integers(1, 999).map(lambda h: h * 100)),
    step=st.sampled_from([15, 30, 60]),
    steps=st.integers(1, 8),
    before=st.sampled_from([0, 15, 30, 60]),
    after=st.sampled_from([0, 15, 30, 60]),
    notice=st.sampled_from([0, 60, 24 * 60]),
    held=st.lists(st.tuples(st.integers(-24 * 4, 48 * 4), st.integers(1, 16)), max_size=6),
    day=st.sampled_from(DAYS),
    zone=st.sampled_from(["Europe/Lisbon", "America/New_York"]),
    now_minutes=st.integers(-2 * 24 * 60, 24 * 60),
    vat_bp=st.sampled_from([0, 600, 2300]),
    loyalty=st.sampled_from([None, "silver", "gold"]),
)
def test_the_ranked_day_gives_the_cheapest_free_slot(
    windows: list[Window],
    rates: list[Rate],
    hourly: int,
    step: int,
    steps: int,
    before: int,
    after: int,
    notice: int,
    held: list[tuple[int, int]],
    day: date,
    zone: str,
    now_minutes: int,
    vat_bp: int,
    loyalty: str | None,
) -> None:
    tz = ZoneInfo(zone)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    now = midnight + timedelta(minutes=now_minutes)
    minutes = step * steps
    resource = Res(step, before, after, notice, hourly)
    prop = Prop(timezone=zone, vat_bp=vat_bp)
    taken = [
        (midnight + timedelta(minutes=15 * q), midnight + timedelta(minutes=15 * (q + n))) for q, n in held
    ]
    card = ResourceCard(window_pattern(windows), rate_card(rates))
    schedules = Schedules({resource.id: card}, {}, {resource.id: taken})
    user = None if loyalty is None else type("U", (), {"loyalty_tier": loyalty})()
    p = ResourceSearchParams(day=day, duration_minutes=minutes)

    found = search._cheapest(p, resource, prop, schedules, None, user, now)  # type: ignore[arg-type]

    free = resource_free_slots(resource, prop, schedules, day, minutes, now)  # type: ignore[arg-type]
    prices = ListedPrices(
        prop, resource, rates, attendees=1, mode=None, distance_km=None, loyalty_tier=loyalty
    )
    totals = prices.totals(free)
    expected = (min(totals), free[totals.index(min(totals))]) if free else None
    assert found == expected


def test_of_equal_totals_the_earliest_wins_even_at_a_higher_charge() -> None:
    """Gold's 10 % off makes 10.05 and 10.04 both 9.04: the morning hour (charged more) is listed, as
    pricing every slot lists it, though the afternoon comes first by charge."""
    day = date(2030, 6, 12)
    resource = Res(60, 0, 0, 0, hourly_price_minor=1005)
    afternoon = Rate(start_minute=13 * 60, end_minute=15 * 60, hourly_price_minor=1004)
    windows = [Window(day.weekday(), 9 * 60, 10 * 60), Window(day.weekday(), 13 * 60, 14 * 60)]
    card = ResourceCard(window_pattern(windows), rate_card([afternoon]))
    schedules = Schedules({resource.id: card}, {}, {})
    gold = type("U", (), {"loyalty_tier": "gold"})()
    now = datetime(2030, 6, 1, tzinfo=UTC)
    p = ResourceSearchParams(day=day, duration_minutes=60)
    found = search._cheapest(p, resource, Prop(), schedules, None, gold, now)  # type: ignore[arg-type]
    nine = datetime(2030, 6, 12, 8, tzinfo=UTC)  # 09:00 in Lisbon (summer time)
    assert found == (904, (nine, nine + timedelta(hours=1)))
