"""``inventory.hourly.slot_grid``: the number of minutes every slot start and end of a day is a multiple
of, counted from a local midnight, and whether a slot may run past the day's end. Search's cheapest-slot
walk stops early on its word (``pricing.hourly.ListedPrices.cheapest``), so a wrong grid would list a
price that is not the lowest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from innkeeper.inventory.hourly import SlotGrid, day_bounds, day_slots, plan_day, slot_grid, wall_instant

DST_DAYS = {  # a change on the day or the day after (the slots of a day may run into the next)
    "Europe/Lisbon": {date(2030, 3, 30), date(2030, 3, 31), date(2030, 10, 26), date(2030, 10, 27)},
    "America/New_York": {date(2030, 3, 9), date(2030, 3, 10), date(2030, 11, 2), date(2030, 11, 3)},
}
DAYS = sorted({date(2030, 3, 6), date(2030, 6, 15)} | set().union(*DST_DAYS.values()))

_window = st.builds(
    lambda start, length, weekday: SimpleNamespace(
        weekday=weekday, start_minute=start * 5, end_minute=min(start * 5 + length * 5, 1440)
    ),
    start=st.integers(0, 287),
    length=st.integers(1, 288),
    weekday=st.integers(0, 6),
)
_exception = st.builds(
    lambda offset, length, seconds, kind: (offset, length, seconds, kind),
    offset=st.integers(-1440, 3 * 1440),
    length=st.integers(1, 600),
    seconds=st.sampled_from([0, 0, 0, 30]),
    kind=st.sampled_from(["open", "closed"]),
)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(list(DST_DAYS)),
    day=st.sampled_from(DAYS),
    windows=st.lists(_window, max_size=6),
    raw_exceptions=st.lists(_exception, max_size=3),
    step=st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90]),
    lengths=st.integers(1, 6),
)
def test_every_slot_of_the_day_lies_on_the_grid(
    zone: str,
    day: date,
    windows: list[SimpleNamespace],
    raw_exceptions: list[tuple[int, int, int, str]],
    step: int,
    lengths: int,
) -> None:
    tz = ZoneInfo(zone)
    origin = wall_instant(day - timedelta(days=1), 0, tz)
    exceptions = [
        SimpleNamespace(
            starts_at=origin + timedelta(minutes=offset, seconds=seconds),
            ends_at=origin + timedelta(minutes=offset + length),
            kind=kind,
        )
        for offset, length, seconds, kind in raw_exceptions
    ]
    resource = SimpleNamespace(
        slot_step_minutes=step, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_minutes=0
    )
    plan = plan_day(windows, exceptions, day, tz)
    grid = slot_grid(resource, plan, day, tz)  # type: ignore[arg-type]
    whole = all(start.second == 0 for start, _ in plan.openings)
    if day in DST_DAYS[zone] or not whole:
        assert grid is None
        return
    assert grid is not None and step % grid.minutes == 0
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    midnight = day_bounds(day, tz)[1]
    for start, end in day_slots(resource, plan, [], day, step * lengths, tz, now=long_ago):  # type: ignore[arg-type]
        for instant in (start, end):
            local = instant.astimezone(tz)
            assert (local.hour * 60 + local.minute) % grid.minutes == 0, (instant, grid)
            assert (instant - origin) % timedelta(minutes=grid.minutes) == timedelta(0)
        assert grid.past_midnight or end <= midnight


def test_a_day_beside_a_dst_change_or_an_opening_off_the_minute_has_no_grid() -> None:
    tz = ZoneInfo("Europe/Lisbon")
    resource: Any = SimpleNamespace(slot_step_minutes=30)
    windows = [SimpleNamespace(weekday=d, start_minute=8 * 60, end_minute=20 * 60) for d in range(7)]

    def grid(day: date, *exceptions: SimpleNamespace) -> SlotGrid | None:
        return slot_grid(resource, plan_day(windows, exceptions, day, tz), day, tz)

    plain = date(2030, 3, 6)
    assert grid(plain) == SlotGrid(30, past_midnight=False)
    assert grid(date(2030, 3, 31)) is None  # Lisbon moves its clocks that Sunday
    at = wall_instant(plain, 21 * 60, tz) + timedelta(seconds=30)
    assert grid(plain, SimpleNamespace(starts_at=at, ends_at=at + timedelta(hours=1), kind="open")) is None
    odd = at - timedelta(seconds=30, minutes=5)  # 20:55, open until the next morning
    late = SimpleNamespace(starts_at=odd, ends_at=odd + timedelta(hours=12), kind="open")
    assert grid(plain, late) == SlotGrid(5, past_midnight=True)
