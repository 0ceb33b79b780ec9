"""The hourly unit pricer: a slot's time split at rate boundaries (DST included), add-ons, travel, and the
shared tail (loyalty, promo, VAT) of ``pricing.engine``. Expected figures are worked out in the tests
with Decimal arithmetic, independently of the code under test."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from innkeeper.audit.models import AuditEntry
from innkeeper.catalog.models import Property, Resource
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.inventory.hourly import SlotGrid
from innkeeper.pricing.engine import Promo, compute_quote
from innkeeper.pricing.errors import (
    AddonUnknown,
    AddressRequired,
    CapacityExceeded,
    ModeUnavailable,
    PromoInvalid,
    SlotInvalid,
    TravelTooFar,
)
from innkeeper.pricing.hourly import (
    AddonChoice,
    ListedPrices,
    charged_km,
    compute_slot_quote,
    quote_slot,
    rank_rates,
    rate_edges,
    slot_charge,
    time_parts,
)
from tests.catalog_support import add_member, freeze, user
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, venue

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY = date(2030, 3, 6)
SATURDAY = date(2030, 3, 9)
MON_FRI = 0b0011111
SAT = 1 << 5
SAT_SUN = 0b1100000


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def per_minutes(hourly_minor: Decimal | int, minutes: int) -> int:
    """What a part costs: the hourly price x minutes / 60, rounded half-up once."""
    return half_up(Decimal(hourly_minor) * minutes / 60)


@dataclass
class Prop:
    timezone: str = "Europe/Lisbon"
    currency: str = "EUR"
    vat_bp: int = 0
    vat_included: bool = False
    city_tax_minor: int = 0
    city_tax_max_nights: int | None = None
    latitude: float | None = 38.7223
    longitude: float | None = -9.1393


@dataclass
class Res:
    hourly_price_minor: int = 10000
    name: str = "Hall A"
    capacity: int | None = 20
    online: bool = False
    travel: dict[str, Any] | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Rate:
    weekdays: int | None = None
    start_minute: int | None = None
    end_minute: int | None = None
    hourly_price_minor: int | None = None
    percent: int | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Addon:
    code: str
    price_minor: int
    unit: str
    name: str = "extra"


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = LISBON) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def slot(
    start: datetime,
    end: datetime,
    *,
    prop: Prop | None = None,
    resource: Res | None = None,
    rates: list[Rate] | None = None,
    catalog: list[Addon] | None = None,
    addons: list[AddonChoice] | None = None,
    attendees: int = 1,
    mode: str | None = None,
    distance_km: float | None = None,
    loyalty_tier: str | None = None,
    promo: Promo | None = None,
) -> Any:
    return compute_slot_quote(
        prop=prop or Prop(),
        resource=resource or Res(),
        rates=rates or [],
        addon_catalog=catalog or [],
        start=start,
        end=end,
        attendees=attendees,
        mode=mode,
        distance_km=distance_km,
        loyalty_tier=loyalty_tier,
        promo=promo,
        addons=addons or [],
    )


def time_lines(q: Any) -> list[int]:
    return [line.amount for line in q.lines if line.kind == "time"]


# -- time split at rate boundaries --------------------------------------------------------------------------


def test_a_booking_across_the_peak_boundary_is_priced_per_part() -> None:
    # 10.01/h; peak Monday-Friday 18:00-22:00 at 150 %; Wednesday 16:30-19:15
    peak = Rate(weekdays=MON_FRI, start_minute=18 * 60, end_minute=22 * 60, percent=150)
    q = slot(at(WEDNESDAY, 16, 30), at(WEDNESDAY, 19, 15), resource=Res(1001), rates=[peak])
    off_peak = per_minutes(1001, 90)  # 15.015 -> 15.02
    peak_part = half_up(Decimal(1001) * Decimal("1.5") * 75 / 60)  # 18.76875 -> 18.77 (not 15.02 x 1.25)
    assert (off_peak, peak_part) == (1502, 1877)
    assert time_lines(q) == [off_peak, peak_part]
    assert [(p.minutes, p.rate_id) for p in q.parts] == [(90, None), (75, peak.id)]
    assert [p.start.isoformat() for p in q.parts] == [
        "2030-03-06T16:30:00+00:00",
        "2030-03-06T18:00:00+00:00",
    ]
    assert q.total == q.accommodation == off_peak + peak_part
    # the same hours on a Saturday: the weekday rate does not apply
    saturday = slot(at(SATURDAY, 16, 30), at(SATURDAY, 19, 15), resource=Res(1001), rates=[peak])
    assert time_lines(saturday) == [per_minutes(1001, 165)]


def test_the_most_specific_rate_wins() -> None:
    weekend = Rate(weekdays=SAT_SUN, hourly_price_minor=8000)  # all day, two days
    saturday_evening = Rate(weekdays=SAT, start_minute=18 * 60, end_minute=24 * 60, hourly_price_minor=12000)
    everyday_evening = Rate(start_minute=17 * 60, end_minute=24 * 60, hourly_price_minor=9000)
    q = slot(
        at(SATURDAY, 16),
        at(SATURDAY, 19),
        rates=[everyday_evening, weekend, saturday_evening],
    )
    # 16-17: weekend (the only rate); 17-18: weekend (2 days) beats every day; 18-19: Saturday only
    assert [(p.minutes, p.hourly_price) for p in q.parts] == [(120, 8000), (60, 12000)]
    assert time_lines(q) == [16000, 12000]


def test_booking_past_midnight_keeps_one_part_per_rate() -> None:
    q = slot(at(WEDNESDAY, 22), at(WEDNESDAY + timedelta(days=1), 2))
    assert [p.minutes for p in q.parts] == [240]  # same (default) rate on both days: one line
    assert time_lines(q) == [40000]


@pytest.mark.parametrize(
    ("tz", "start", "end", "expected"),
    [
        # Lisbon, clocks forward 01:00 -> 02:00: 00:00-04:00 on the wall is 3 real hours
        (LISBON, datetime(2030, 3, 31, 0, 0), datetime(2030, 3, 31, 4, 0), [(60, None), (120, "night")]),
        # Lisbon, clocks back 02:00 -> 01:00: 00:00-03:00 on the wall is 4 real hours, 01:00-02:00 twice
        (
            LISBON,
            datetime(2030, 10, 27, 0, 0),
            datetime(2030, 10, 27, 3, 0),
            [(60, None), (120, "night"), (60, "night")],
        ),
        # New York, clocks forward 02:00 -> 03:00
        (NEW_YORK, datetime(2030, 3, 10, 0, 30), datetime(2030, 3, 10, 3, 30), [(90, None), (30, "night")]),
    ],
)
def test_a_dst_day_charges_real_minutes_at_their_wall_clock_rate(
    tz: ZoneInfo, start: datetime, end: datetime, expected: list[tuple[int, str | None]]
) -> None:
    # "night" 01:00-02:00 (Lisbon) costs 200.00/h, 02:00-04:00 300 %: the rates only matter for the split
    night_lisbon = [
        Rate(start_minute=60, end_minute=120, hourly_price_minor=20000),
        Rate(start_minute=120, end_minute=240, percent=300),
    ]
    night_ny = [Rate(start_minute=180, end_minute=240, percent=300)]
    rates = night_lisbon if tz is LISBON else night_ny
    local_start = start.replace(tzinfo=tz)
    local_end = end.replace(tzinfo=tz, fold=0)
    prop = Prop(timezone=str(tz))
    q = slot(local_start, local_end, prop=prop, rates=rates)
    real_minutes = int((local_end - local_start.astimezone(UTC)).total_seconds() // 60)
    assert sum(p.minutes for p in q.parts) == real_minutes
    assert [p.minutes for p in q.parts] == [m for m, _ in expected]
    assert [p.rate_id is not None for p in q.parts] == [name is not None for _, name in expected]
    expected_amounts = [
        per_minutes(10000 if p.rate_id is None else p.hourly_price, p.minutes) for p in q.parts
    ]
    assert time_lines(q) == expected_amounts


def test_dst_back_in_lisbon_figures() -> None:
    # 00:00-03:00 local on 2030-10-27 with 01:00-02:00 at 200.00/h: 1 h base, 2 h at 200.00, 1 h base
    rate = Rate(start_minute=60, end_minute=120, hourly_price_minor=20000)
    q = slot(datetime(2030, 10, 27, 0, tzinfo=LISBON), datetime(2030, 10, 27, 3, tzinfo=LISBON), rates=[rate])
    assert time_lines(q) == [10000, 40000, 10000]
    assert q.parts[1].start.isoformat() == "2030-10-27T01:00:00+01:00"
    assert q.parts[1].end.isoformat() == "2030-10-27T02:00:00+00:00"
    assert q.total == 60000


# -- add-ons, attendees, modes ------------------------------------------------------------------------------


_rate = st.builds(
    Rate,
    weekdays=st.one_of(st.none(), st.integers(1, 127)),
    start_minute=st.one_of(st.none(), st.integers(0, 47).map(lambda h: h * 30)),
    end_minute=st.one_of(st.none(), st.integers(1, 48).map(lambda h: h * 30)),
    hourly_price_minor=st.one_of(st.none(), st.integers(1, 99_999)),
    percent=st.integers(1, 300),
).filter(lambda r: (r.start_minute or 0) < (r.end_minute or 1440))


@settings(max_examples=300, deadline=None)
@given(
    rates=st.lists(_rate, max_size=4),
    hourly=st.integers(1, 99_999),
    # around both 2030 DST changes in Lisbon and New York, and an ordinary week
    day=st.sampled_from(
        [date(2030, 3, 31), date(2030, 10, 27), date(2030, 3, 10), date(2030, 11, 3), WEDNESDAY]
    ),
    zone=st.sampled_from([LISBON, NEW_YORK]),
    start_quarter=st.integers(-8, 4 * 24 + 8),
    minutes=st.integers(1, 4 * 24).map(lambda q: q * 15),
)
def test_the_slot_charge_shortcut_equals_the_sum_of_the_time_parts(
    rates: list[Rate], hourly: int, day: date, zone: ZoneInfo, start_quarter: int, minutes: int
) -> None:
    """Slot lists and search sum a slot's time charge on plain minutes when it stays in one local day
    with one offset (``pricing.hourly.slot_charge``); it must equal the quote's time lines always."""
    resource = Res(hourly_price_minor=hourly)
    ranked = rank_rates(rates)
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC) + timedelta(
        minutes=15 * start_quarter
    )
    end = start + timedelta(minutes=minutes)
    expected = sum(part.amount for part in time_parts(resource, ranked, start, end, zone))
    assert slot_charge(resource, ranked, rate_edges(ranked), start, end, zone) == expected


#: days whose neighbours have no DST change in Lisbon (the day a slot grid can be given for)
PLAIN_DAYS = [WEDNESDAY, SATURDAY, date(2030, 6, 16), date(2030, 12, 31)]


@settings(max_examples=400, deadline=None)
@given(
    rates=st.lists(_rate, max_size=4),
    hourly=st.one_of(st.integers(1, 99_999), st.integers(1, 999).map(lambda h: h * 100)),
    day=st.sampled_from([date(2030, 3, 31), date(2030, 10, 27), *PLAIN_DAYS]),
    grid_minutes=st.sampled_from([None, 1, 5, 15, 30, 60]),
    starts=st.lists(st.integers(0, 4 * 24 - 1), min_size=1, max_size=30, unique=True),
    minutes=st.integers(1, 16).map(lambda q: q * 15),
    vat_bp=st.sampled_from([0, 600, 2300]),
    vat_included=st.booleans(),
    loyalty=st.sampled_from([None, "standard", "silver", "gold"]),
)
def test_the_cheapest_slot_is_the_lowest_total_the_earliest_of_equals(
    rates: list[Rate],
    hourly: int,
    day: date,
    grid_minutes: int | None,
    starts: list[int],
    minutes: int,
    vat_bp: int,
    vat_included: bool,
    loyalty: str | None,
) -> None:
    """Search quotes only the slot of the lowest time charge (``ListedPrices.cheapest``): it must find what
    quoting every slot finds, ties included (rounding can give two charges one total); and with a slot
    grid (starts and length on it, a day without a DST change) it stops walking early, so where it stops
    must not change the answer (a floor set too high would stop at a slot that is not the cheapest)."""
    step = grid_minutes or 15
    minutes = -(-minutes // step) * step
    prop, resource = Prop(vat_bp=vat_bp, vat_included=vat_included), Res(hourly_price_minor=hourly)
    midnight = datetime(day.year, day.month, day.day, tzinfo=LISBON).astimezone(UTC)
    slots = [
        (midnight + timedelta(minutes=m), midnight + timedelta(minutes=m + minutes))
        for m in sorted({15 * q // step * step for q in starts})
    ]
    grid = None  # a day beside a DST change has none
    if grid_minutes is not None and day in PLAIN_DAYS:
        grid = SlotGrid(grid_minutes, past_midnight=slots[-1][1] > midnight + timedelta(days=1))
    common: dict[str, Any] = dict(attendees=1, mode=None, distance_km=None, loyalty_tier=loyalty)
    totals = ListedPrices(prop, resource, rates, **common).totals(slots)
    expected = (min(totals), slots[totals.index(min(totals))])
    assert ListedPrices(prop, resource, rates, **common).cheapest(iter(slots), grid) == expected


def test_with_a_grid_the_walk_stops_at_the_first_slot_at_the_lowest_possible_total() -> None:
    """Search walks a resource's free slots lazily and stops at the first whose total no slot can beat:
    the lowest hourly price of the day times the length, when no rate part is rounded."""
    rates = [Rate(weekdays=MON_FRI, start_minute=17 * 60, end_minute=20 * 60, percent=125)]
    common: dict[str, Any] = dict(attendees=1, mode=None, distance_km=None, loyalty_tier=None)

    def walk(hourly: int, first_hour: int, minutes: int | None) -> tuple[tuple[int, Any] | None, int]:
        walked = []

        def slots() -> Any:
            for hour in range(first_hour, 20):
                walked.append(hour)
                yield at(WEDNESDAY, hour), at(WEDNESDAY, hour + 1)

        grid = None if minutes is None else SlotGrid(minutes, past_midnight=False)
        found = ListedPrices(Prop(), Res(hourly_price_minor=hourly), rates, **common).cheapest(slots(), grid)
        return found, len(walked)

    assert walk(4000, 8, 60) == ((4000, (at(WEDNESDAY, 8), at(WEDNESDAY, 9))), 1)
    # only peak slots are free: none reaches the floor (40.00), so every one is priced; the first wins
    assert walk(4000, 17, 60) == ((5000, (at(WEDNESDAY, 17), at(WEDNESDAY, 18))), 3)
    # 40.01 an hour is 20.005 per 30 minutes: the floor (40.00, each half hour rounded down) is below
    # every slot's 40.01, so every one is priced (same answer)
    assert walk(4001, 8, 30) == ((4001, (at(WEDNESDAY, 8), at(WEDNESDAY, 9))), 12)
    assert walk(4000, 8, None) == ((4000, (at(WEDNESDAY, 8), at(WEDNESDAY, 9))), 12)
    assert ListedPrices(Prop(), Res(), rates, **common).cheapest(iter(()), SlotGrid(60, False)) is None
    # a Saturday (all day at 130 %) whose slots end by midnight: the Sunday's lower price is no floor
    saturdays = [Rate(weekdays=SAT, percent=130)]
    slots = [(at(SATURDAY, hour), at(SATURDAY, hour + 1)) for hour in range(8, 20)]
    prices = ListedPrices(Prop(), Res(hourly_price_minor=4000), saturdays, **common)
    assert prices.cheapest(iter(slots[:1]), SlotGrid(60, past_midnight=False)) == (5200, slots[0])
    walked = iter(slots)
    assert prices.cheapest(walked, SlotGrid(60, past_midnight=False)) == (5200, slots[0])
    assert len(list(walked)) == len(slots) - 1


def test_the_walk_does_not_stop_at_a_floor_a_later_slot_can_beat() -> None:
    """The floor is a lower bound of every slot's charge: a slot running into a cheaper next day, or a
    price whose half hour is not a whole number of cents, must not end the walk before the cheapest."""
    common: dict[str, Any] = dict(attendees=1, mode=None, distance_km=None, loyalty_tier=None)
    thursday_nights = [Rate(weekdays=1 << 3, start_minute=0, end_minute=6 * 60, hourly_price_minor=1000)]
    late = (at(WEDNESDAY, 23, 30), at(WEDNESDAY, 23, 30) + timedelta(hours=1))
    slots = [(at(WEDNESDAY, 8), at(WEDNESDAY, 9)), late]
    prices = ListedPrices(Prop(), Res(hourly_price_minor=4000), thursday_nights, **common)
    assert prices.cheapest(iter(slots), SlotGrid(30, past_midnight=True)) == (2000 + 500, late)
    # 40.01 an hour on a 30-minute grid: no slot costs less than 40.00 (the floor), 40.02 is no floor
    busy_morning = [Rate(start_minute=8 * 60, end_minute=9 * 60, hourly_price_minor=4002)]
    slots = [(at(WEDNESDAY, 8), at(WEDNESDAY, 9)), (at(WEDNESDAY, 10), at(WEDNESDAY, 11))]
    prices = ListedPrices(Prop(), Res(hourly_price_minor=4001), busy_morning, **common)
    assert prices.cheapest(iter(slots), SlotGrid(30, past_midnight=False)) == (4001, slots[1])


@settings(max_examples=300, deadline=None)
@given(
    rates=st.lists(_rate, max_size=4),
    hourly=st.integers(0, 99_999),
    day=st.sampled_from(
        [date(2030, 3, 31), date(2030, 10, 27), date(2030, 3, 10), date(2030, 11, 3), WEDNESDAY]
    ),
    zone=st.sampled_from(["Europe/Lisbon", "America/New_York"]),
    starts=st.lists(st.integers(-8, 4 * 24 + 8), min_size=1, max_size=12, unique=True).map(sorted),
    minutes=st.integers(1, 4 * 24).map(lambda q: q * 15),
    vat_bp=st.sampled_from([0, 600, 2300]),
    vat_included=st.booleans(),
    loyalty=st.sampled_from([None, "standard", "silver", "gold", "platinum"]),
    attendees=st.integers(1, 20),
    travel_km=st.one_of(st.none(), st.floats(0, 40)),
)
def test_listed_totals_are_the_quote_totals(
    rates: list[Rate],
    hourly: int,
    day: date,
    zone: str,
    starts: list[int],
    minutes: int,
    vat_bp: int,
    vat_included: bool,
    loyalty: str | None,
    attendees: int,
    travel_km: float | None,
) -> None:
    """Slot lists and search show ``ListedPrices`` totals (a charge summed on plain minutes, the quote's
    tail on it, no quote built): each must be the booking quote's total, midnight, DST days, VAT,
    loyalty, attendees and the travel fee included."""
    prop = Prop(timezone=zone, vat_bp=vat_bp, vat_included=vat_included)
    travel = {"base_fee_minor": 1500, "per_km_minor": 85, "max_km": 50}
    resource = Res(hourly_price_minor=hourly, travel=travel)
    mode = None if travel_km is None else "travel"
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    slots = [
        (midnight + timedelta(minutes=15 * q), midnight + timedelta(minutes=15 * q + minutes)) for q in starts
    ]
    common: dict[str, Any] = dict(attendees=attendees, mode=mode, distance_km=travel_km, loyalty_tier=loyalty)
    quoted = [
        slot(start, end, prop=prop, resource=resource, rates=rates, **common).total for start, end in slots
    ]
    assert ListedPrices(prop, resource, rates, **common).totals(slots) == quoted


def test_addon_units() -> None:
    catalog = [
        Addon("projector", 2500, "per_booking"),
        Addon("tech", 1000, "per_hour"),
        Addon("lunch", 450, "per_person"),
        Addon("wifi", 0, "per_booking"),
    ]
    chosen = [AddonChoice("projector", 2), AddonChoice("tech"), AddonChoice("lunch", 2)]
    q = slot(at(WEDNESDAY, 9), at(WEDNESDAY, 11, 30), catalog=catalog, addons=chosen, attendees=12)
    projector = 2 * 2500
    tech = half_up(Decimal(1000) * 150 / 60)  # 2.5 h x 10.00
    lunch = 450 * 12 * 2
    assert [line.amount for line in q.lines if line.kind == "addon"] == [projector, tech, lunch]
    assert q.total == 25000 + projector + tech + lunch


def test_unknown_addon_and_attendees_above_capacity_are_refused() -> None:
    catalog = [Addon("projector", 2500, "per_booking")]
    with pytest.raises(AddonUnknown) as caught:
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), catalog=catalog, addons=[AddonChoice("laser")])
    assert caught.value.code == "addon.unknown" and caught.value.status == 422
    assert caught.value.errors and caught.value.errors[0]["field"] == "addons.0.code"
    with pytest.raises(CapacityExceeded) as too_many:
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=Res(capacity=20), attendees=21)
    assert too_many.value.code == "slot.capacity"
    assert slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=Res(capacity=20), attendees=20).total == 10000
    with pytest.raises(SlotInvalid):
        slot(at(WEDNESDAY, 10), at(WEDNESDAY, 10))
    with pytest.raises(SlotInvalid):
        slot(at(WEDNESDAY, 11), at(WEDNESDAY, 10))


TRAVEL = {"base_fee_minor": 1000, "per_km_minor": 80, "max_km": 20}


def test_travel_fee_per_started_tenth_of_a_km() -> None:
    pro = Res(name="Dr. Who", capacity=None, travel=TRAVEL)
    q = slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=pro, mode="travel", distance_km=12.34)
    # 12.34 km -> 12.4 km charged: 10.00 + 0.80 x 12.4 = 19.92
    fee = 1000 + half_up(Decimal(80) * Decimal("12.4"))
    assert fee == 1992
    assert [line.amount for line in q.lines if line.kind == "travel"] == [fee]
    assert q.total == 10000 + fee
    assert charged_km(12.3) == Decimal("12.3") and charged_km(12.300001) == Decimal("12.4")
    # exactly at the limit is fine, a little past it is not
    assert slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=pro, mode="travel", distance_km=20.0).total
    with pytest.raises(TravelTooFar) as far:
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=pro, mode="travel", distance_km=20.01)
    assert far.value.code == "slot.travel_too_far" and far.value.status == 422
    with pytest.raises(AddressRequired):
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=pro, mode="travel", distance_km=None)
    # on site and online: no travel line
    on_site = slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=pro, mode="on_site", distance_km=5.0)
    assert [line.kind for line in on_site.lines] == ["time"]


def test_modes_the_resource_does_not_offer_are_refused() -> None:
    hall = Res()
    with pytest.raises(ModeUnavailable):
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=hall, mode="travel", distance_km=1.0)
    with pytest.raises(ModeUnavailable):
        slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=hall, mode="online")
    online = slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), resource=Res(online=True), mode="online")
    assert online.total == 10000


# -- the shared tail: loyalty, promo, VAT -------------------------------------------------------------------


def test_vat_promo_and_loyalty_apply_once_to_the_whole_slot() -> None:
    prop = Prop(vat_bp=2300, city_tax_minor=200)  # city tax is per night: never on a slot
    catalog = [Addon("projector", 5000, "per_booking")]
    promo = Promo("TENOFF", "percent", 1000, None)
    q = slot(
        at(WEDNESDAY, 9),
        at(WEDNESDAY, 11),
        prop=prop,
        catalog=catalog,
        addons=[AddonChoice("projector")],
        loyalty_tier="gold",
        promo=promo,
    )
    base = 2 * 10000 + 5000
    loyalty = half_up(Decimal(base) * Decimal("0.10"))  # gold: 10 %
    promo_off = half_up(Decimal(base - loyalty) * Decimal("0.10"))
    net = base - loyalty - promo_off
    vat = half_up(Decimal(net) * Decimal("0.23"))
    assert (loyalty, promo_off, net, vat) == (2500, 2250, 20250, 4658)  # VAT 46.575 -> 46.58
    assert [line.kind for line in q.lines] == ["time", "addon", "loyalty", "promo", "vat"]
    assert [line.amount for line in q.lines[2:]] == [-loyalty, -promo_off, vat]
    assert (q.accommodation, q.discounts, q.taxes, q.total) == (base, loyalty + promo_off, vat, net + vat)
    assert q.promo_code == "TENOFF"
    api = q.to_api()
    assert api["total"] == {"amount": "249.08", "currency": "EUR"}
    assert api["subtotal"] == {"amount": "250.00", "currency": "EUR"}


def test_vat_included_is_shown_not_added() -> None:
    q = slot(at(WEDNESDAY, 9), at(WEDNESDAY, 10), prop=Prop(vat_bp=2300, vat_included=True))
    vat = 10000 - half_up(Decimal(10000) / Decimal("1.23"))
    assert [(line.kind, line.amount, line.included) for line in q.lines] == [
        ("time", 10000, False),
        ("vat", vat, True),
    ]
    assert q.total == 10000


def test_jpy_has_no_decimals() -> None:
    prop = Prop(currency="JPY", timezone="Asia/Tokyo", vat_bp=1000)
    start = datetime(2030, 3, 6, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    q = slot(start, start + timedelta(minutes=50), prop=prop, resource=Res(3333))
    time = half_up(Decimal(3333) * 50 / 60)  # 2777.5 -> 2778
    vat = half_up(Decimal(time) / 10)  # 277.8 -> 278
    assert (time_lines(q), q.total) == ([2778], time + vat)
    api = q.to_api()
    assert api["total"] == {"amount": "3056", "currency": "JPY"}
    assert api["parts"][0]["hourly_price"] == {"amount": "3333", "currency": "JPY"}


# -- the quote's shape ---------------------------------------------------------------------------------------


def test_slot_quote_shape_and_nightly_quote_unchanged() -> None:
    q = slot(
        datetime(2030, 3, 6, 9, tzinfo=UTC),
        datetime(2030, 3, 6, 10, tzinfo=UTC),
        prop=Prop(timezone="America/New_York"),
    )
    api = q.to_api()
    # instants shown with the property's offset
    assert (api["start"], api["end"]) == ("2030-03-06T04:00:00-05:00", "2030-03-06T05:00:00-05:00")
    assert list(api) == [
        "currency",
        "start",
        "end",
        "attendees",
        "parts",
        "lines",
        "subtotal",
        "discounts",
        "taxes",
        "total",
        "promo_code",
    ]
    assert api["parts"] == [
        {
            "start": "2030-03-06T04:00:00-05:00",
            "end": "2030-03-06T05:00:00-05:00",
            "minutes": 60,
            "hourly_price": {"amount": "100.00", "currency": "EUR"},
            "amount": {"amount": "100.00", "currency": "EUR"},
            "rate_id": None,
        }
    ]

    @dataclass
    class RoomType:
        base_price_minor: int = 10000
        id: uuid.UUID = field(default_factory=uuid.uuid4)

    stay = compute_quote(
        prop=Prop(vat_bp=600, city_tax_minor=200, city_tax_max_nights=7),
        room_type=RoomType(),
        day_prices={},
        occupancy={},
        rules=[],
        checkin=WEDNESDAY,
        checkout=WEDNESDAY + timedelta(days=2),
        rooms=1,
        guests=2,
        today=WEDNESDAY,
    )
    assert stay.to_api() == {
        "currency": "EUR",
        "checkin": "2030-03-06",
        "checkout": "2030-03-08",
        "rooms": 1,
        "guests": 2,
        "nights": [
            {"date": d, "base": eur("100.00"), "adjustments": [], "price": eur("100.00")}
            for d in ("2030-03-06", "2030-03-07")
        ],
        "lines": [
            line("accommodation", "2 night(s) x 1 room(s)", "200.00"),
            line("vat", "VAT 6%", "12.00"),
            line("city_tax", "city tax: 2 guest(s) x 2 night(s)", "8.00"),
        ],
        "accommodation": eur("200.00"),
        "discounts": eur("0.00"),
        "taxes": eur("20.00"),
        "total": eur("220.00"),
        "nightly_average": eur("100.00"),
        "promo_code": None,
    }


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def line(kind: str, description: str, amount: str) -> dict[str, Any]:
    return {"kind": kind, "description": description, "amount": eur(amount), "included_in_price": False}


# -- through the database: rates API, quote_slot, the slot list's prices ------------------------------------

MONDAY_DB = date(2030, 3, 11)  # catalog_support's clock is frozen on Monday 2030-03-04; Lisbon is UTC


async def _hall_with_peak(client: httpx.AsyncClient) -> dict[str, Any]:
    freeze()
    owner, prop = await venue(client)
    hall = await add_resource(client, owner, prop["id"], capacity=10, hourly_price="100.00")
    base = f"{API}/properties/{prop['id']}/resources/{hall['id']}"
    r = await client.post(
        f"{base}/rates",
        json={
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "start_time": "18:00",
            "end_time": "22:00",
            "percent": 150,
        },
        headers=owner,
    )
    assert r.status_code == 201, r.text
    peak = r.json()
    r = await client.post(
        f"{base}/addons",
        json={"code": "coffee", "name": "Coffee", "price": "3.50", "unit": "per_person"},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    assert (
        await set_windows(client, owner, prop["id"], hall["id"], every_day("08:00", "23:00"))
    ).status_code == 200
    return {"owner": owner, "prop": prop, "hall": hall, "base": base, "peak": peak}


async def test_rates_api_create_list_delete_and_refusals(client: httpx.AsyncClient, ctx: AppContext) -> None:
    setup = await _hall_with_peak(client)
    owner, base = setup["owner"], setup["base"]
    assert setup["peak"] == {
        "id": setup["peak"]["id"],
        "resource_id": setup["hall"]["id"],
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "start_time": "18:00",
        "end_time": "22:00",
        "hourly_price": None,
        "percent": 150,
    }
    r = await client.post(
        f"{base}/rates", json={"hourly_price": "80.00"}, headers=owner
    )  # every day, all day
    assert r.status_code == 201, r.text
    all_day = r.json()
    assert (all_day["weekdays"], all_day["start_time"], all_day["hourly_price"]) == (None, None, eur("80.00"))
    r = await client.post(
        f"{base}/rates",
        json={
            "weekdays": [5],
            "start_time": "20:00",
            "end_time": "24:00",
            "hourly_price": {"amount": "120.00", "currency": "EUR"},
        },
        headers=owner,
    )
    assert r.status_code == 201, r.text
    late_saturday = r.json()
    assert late_saturday["end_time"] == "24:00"
    listed = (await client.get(f"{base}/rates", headers=owner)).json()
    assert listed["total"] == 3
    # most specific first: one day, then five, then every day
    assert [i["id"] for i in listed["items"]] == [late_saturday["id"], setup["peak"]["id"], all_day["id"]]
    for body in (
        {"hourly_price": "80.00", "percent": 120},
        {},
        {"start_time": "18:00", "percent": 120},
        {"start_time": "18:00", "end_time": "17:00", "percent": 120},
        {"start_time": "24:00", "end_time": "24:00", "percent": 120},
        {"weekdays": ["funday"], "percent": 120},
        {"percent": -1},
    ):
        assert_problem(await client.post(f"{base}/rates", json=body, headers=owner), 422)
    wrong_currency = await client.post(
        f"{base}/rates", json={"hourly_price": {"amount": "80.00", "currency": "USD"}}, headers=owner
    )
    assert_problem(wrong_currency, 422, "money.currency")
    # strangers see nothing; a front desk member may not; another property's resource is not found
    stranger = await user(client)
    assert_problem(await client.get(f"{base}/rates", headers=stranger), 404)
    desk = await signup(client)
    await add_member(client, owner, setup["prop"]["id"], desk, "front_desk")
    assert_problem(
        await client.post(f"{base}/rates", json={"percent": 50}, headers=bearer(desk)), 403, "auth.role"
    )
    other_owner, other = await venue(client)
    elsewhere = f"{API}/properties/{other['id']}/resources/{setup['hall']['id']}/rates"
    assert_problem(await client.get(elsewhere, headers=other_owner), 404, "resource.not_found")
    # delete, then it is gone (and a second delete is 404)
    r = await client.delete(f"{base}/rates/{all_day['id']}", headers=owner)
    assert r.status_code == 204, r.text
    assert_problem(
        await client.delete(f"{base}/rates/{all_day['id']}", headers=owner), 404, "pricing.rate_not_found"
    )
    assert (await client.get(f"{base}/rates", headers=owner)).json()["total"] == 2
    async with ctx.db.unit_of_work() as session:
        audited = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.entity_id).where(
                    AuditEntry.entity_type == "resource_rate"
                )
            )
        ).all()
    assert sorted(audited) == sorted(
        [("resource_rate.created", r["id"]) for r in (setup["peak"], all_day, late_saturday)]
        + [("resource_rate.deleted", all_day["id"])]
    )


async def _load(session: Any, setup: dict[str, Any]) -> tuple[Property, Resource]:
    prop = await session.get(Property, uuid.UUID(setup["prop"]["id"]))
    resource = await session.get(Resource, uuid.UUID(setup["hall"]["id"]))
    assert prop is not None and resource is not None
    return prop, resource


async def test_quote_slot_prices_rates_addons_promo_and_loyalty(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    setup = await _hall_with_peak(client)
    r = await client.post(
        f"{API}/properties/{setup['prop']['id']}/promo-codes",
        json={"code": "HALL10", "kind": "fixed", "amount": "10.00"},
        headers=setup["owner"],
    )
    assert r.status_code == 201, r.text
    member = await signup(client)
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(User).where(User.email == member["user"]["email"]).values(loyalty_tier="silver")
        )
    start, end = datetime(2030, 3, 11, 17, tzinfo=UTC), datetime(2030, 3, 11, 19, 30, tzinfo=UTC)
    async with ctx.db.unit_of_work() as session:
        prop, resource = await _load(session, setup)
        buyer = await session.scalar(select(User).where(User.email == member["user"]["email"]))
        result = await quote_slot(
            session,
            prop,
            resource,
            start,
            end,
            attendees=4,
            mode=None,
            address=None,
            addons=[{"code": "coffee", "quantity": 2}],
            promo_code="hall10",
            user=buyer,
        )
        with pytest.raises(AddonUnknown):
            await quote_slot(session, prop, resource, start, end, addons=[{"code": "laser"}])
        with pytest.raises(CapacityExceeded):
            await quote_slot(session, prop, resource, start, end, attendees=11)
        with pytest.raises(PromoInvalid):
            await quote_slot(session, prop, resource, start, end, promo_code="NOPE")
    q = result.quote
    time_off, time_peak = per_minutes(10000, 60), per_minutes(15000, 90)  # 17-18, then 18-19:30 at 150 %
    coffee = 350 * 2 * 4
    base = time_off + time_peak + coffee
    loyalty = half_up(Decimal(base) * Decimal("0.05"))  # silver 5 %
    assert [(line.kind, line.amount) for line in q.lines] == [
        ("time", time_off),
        ("time", time_peak),
        ("addon", coffee),
        ("loyalty", -loyalty),
        ("promo", -1000),
    ]
    assert q.total == base - loyalty - 1000 == 35300 - 1765 - 1000
    assert q.parts[1].rate_id == uuid.UUID(setup["peak"]["id"])
    assert result.addons == [AddonChoice("coffee", 2)] and result.promo is not None


async def test_travel_distance_from_the_professional_to_the_address(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    freeze()
    owner, prop = await venue(client, kind="practice")
    pro = await add_resource(
        client,
        owner,
        prop["id"],
        kind="professional",
        name="Dr. Sousa",
        capacity=None,
        hourly_price="60.00",
        latitude=38.7,
        longitude=-9.1,
        travel={"base_fee": "10.00", "per_km": "0.80", "max_km": "12"},
    )
    # 0.1 degree of latitude due north: 2 pi R / 3600 = 11.1195 km, charged as 11.2 km
    distance = Decimal("6371.0088") * Decimal(str(math.pi)) / 1800
    assert charged_km(float(distance)) == Decimal("11.2")
    fee = 1000 + half_up(Decimal(80) * Decimal("11.2"))
    start, end = datetime(2030, 3, 11, 10, tzinfo=UTC), datetime(2030, 3, 11, 11, tzinfo=UTC)
    async with ctx.db.unit_of_work() as session:
        p = await session.get(Property, uuid.UUID(prop["id"]))
        resource = await session.get(Resource, uuid.UUID(pro["id"]))
        assert p is not None and resource is not None
        near = {"line": "Rua A", "city": "Lisbon", "latitude": 38.8, "longitude": -9.1}
        result = await quote_slot(session, p, resource, start, end, mode="travel", address=near)
        assert result.distance_km is not None and abs(Decimal(repr(result.distance_km)) - distance) < Decimal(
            "1e-6"
        )
        assert [(line.kind, line.amount) for line in result.quote.lines] == [("time", 6000), ("travel", fee)]
        far = {**near, "latitude": 38.82}  # 13.3 km
        with pytest.raises(TravelTooFar):
            await quote_slot(session, p, resource, start, end, mode="travel", address=far)
        with pytest.raises(AddressRequired):
            await quote_slot(
                session, p, resource, start, end, mode="travel", address={"line": "Rua A", "city": "Lisbon"}
            )


async def test_the_slot_list_shows_the_quote_price(client: httpx.AsyncClient, ctx: AppContext) -> None:
    setup = await _hall_with_peak(client)
    r = await client.get(
        f"{API}/resources/{setup['hall']['id']}/slots",
        params={"date": str(MONDAY_DB), "duration_minutes": 120},
    )
    assert r.status_code == 200, r.text
    prices = {s["start"]: s["price"] for s in r.json()["items"]}
    # 17:00-19:00: one hour at 100.00, one at 150.00; 19:00-21:00: all peak; 08:00-10:00: none
    assert prices["2030-03-11T17:00:00+00:00"] == eur("250.00")
    assert prices["2030-03-11T19:00:00+00:00"] == eur("300.00")
    assert prices["2030-03-11T08:00:00+00:00"] == eur("200.00")
    async with ctx.db.unit_of_work() as session:
        prop, resource = await _load(session, setup)
        start = datetime(2030, 3, 11, 17, tzinfo=UTC)
        quoted = await quote_slot(session, prop, resource, start, start + timedelta(hours=2))
    assert quoted.quote.to_api()["total"] == prices["2030-03-11T17:00:00+00:00"]
