"""The pricing function on its own: rule order, one rule per kind, per-line half-up rounding, taxes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from innkeeper.pricing.engine import (
    LOYALTY_DISCOUNT_BP,
    Promo,
    RuleSet,
    apply_bp,
    compute_quote,
    promo_usable,
    stay_totals,
)

RT = uuid.uuid4()
MONDAY = date(2030, 3, 4)
RULE_ID = uuid.UUID(int=1)


@dataclass
class P:
    currency: str = "EUR"
    vat_bp: int = 0
    vat_included: bool = False
    city_tax_minor: int = 0
    city_tax_max_nights: int | None = None


@dataclass
class T:
    base_price_minor: int = 10000
    id: uuid.UUID = RT


@dataclass
class Rule:
    kind: str
    name: str = "rule"
    priority: int = 0
    factor_bp: int | None = None
    override_minor: int | None = None
    room_type_id: uuid.UUID | None = None
    start_date: date | None = None
    end_date: date | None = None
    weekdays: int | None = None
    min_occupancy_pct: int | None = None
    min_lead_days: int | None = None
    max_lead_days: int | None = None
    min_nights: int | None = None
    is_active: bool = True
    id: uuid.UUID = RULE_ID


def quote(
    nights: int = 1,
    *,
    prop: P | None = None,
    rt: T | None = None,
    rules: list[Any] | None = None,
    prices: dict[date, int | None] | None = None,
    occupancy: dict[date, tuple[int, int]] | None = None,
    checkin: date = MONDAY,
    today: date = MONDAY,
    rooms: int = 1,
    guests: int = 2,
    **kw: Any,
) -> Any:
    return compute_quote(
        prop=prop or P(),
        room_type=rt or T(),
        day_prices=prices or {},
        occupancy=occupancy or {},
        rules=rules or [],
        checkin=checkin,
        checkout=checkin + timedelta(days=nights),
        rooms=rooms,
        guests=guests,
        today=today,
        **kw,
    )


def test_base_price_and_inventory_price() -> None:
    q = quote(2, prices={MONDAY: 12345})
    assert [n.price for n in q.nights] == [12345, 10000]
    assert q.accommodation == q.total == 22345
    assert q.to_api()["total"] == {"amount": "223.45", "currency": "EUR"}


def test_rule_order_one_per_kind_and_per_line_rounding() -> None:
    rules = [
        Rule(
            "season",
            "summer",
            priority=1,
            factor_bp=12500,
            start_date=MONDAY,
            end_date=MONDAY + timedelta(days=30),
        ),
        Rule(
            "season",
            "low",
            priority=0,
            override_minor=5000,
            start_date=MONDAY,
            end_date=MONDAY + timedelta(days=30),
        ),
        Rule("weekday", "monday", factor_bp=11111, weekdays=0b0000001),
        Rule("occupancy", "busy", factor_bp=11500, min_occupancy_pct=80),
        Rule("occupancy", "half", factor_bp=10500, min_occupancy_pct=50),
        Rule("lead_time", "last minute", factor_bp=9000, max_lead_days=3),
        Rule("length_of_stay", "week", factor_bp=9000, min_nights=7),
    ]
    q = quote(1, rt=T(base_price_minor=9999), rules=rules, occupancy={MONDAY: (9, 10)})
    night = q.nights[0]
    # 9999 → season x1.25 = 12498.75 → 12499 → monday x1.1111 = 13887.6589 → 13888
    #      → busy (90 % > 80 %) x1.15 = 15971.2 → 15971 → last minute x0.9 = 14373.9 → 14374
    assert [a.name for a in night.adjustments] == ["summer", "monday", "busy", "last minute"]
    assert [a.amount for a in night.adjustments] == [
        12499 - 9999,
        13888 - 12499,
        15971 - 13888,
        14374 - 15971,
    ]
    assert night.price == 14374


def test_occupancy_threshold_is_strictly_above() -> None:
    rules = [Rule("occupancy", "busy", factor_bp=11500, min_occupancy_pct=80)]
    assert quote(rules=rules, occupancy={MONDAY: (8, 10)}).total == 10000
    assert quote(rules=rules, occupancy={MONDAY: (81, 100)}).total == 11500


def test_season_override_and_room_type_scope() -> None:
    other = uuid.uuid4()
    rules = [
        Rule("season", "gala", override_minor=30000, start_date=MONDAY, end_date=MONDAY + timedelta(days=1)),
        Rule("weekday", "not mine", factor_bp=20000, weekdays=0b1111111, room_type_id=other),
    ]
    q = quote(2, rules=rules)
    assert [n.price for n in q.nights] == [30000, 10000]


def test_lead_time_and_length_of_stay() -> None:
    early = [Rule("lead_time", "early bird", factor_bp=8000, min_lead_days=60)]
    assert quote(rules=early, checkin=MONDAY + timedelta(days=59)).total == 10000
    assert quote(rules=early, checkin=MONDAY + timedelta(days=60)).total == 8000
    los = [
        Rule("length_of_stay", "3+", factor_bp=9500, min_nights=3),
        Rule("length_of_stay", "7+", factor_bp=9000, min_nights=7),
    ]
    assert quote(2, rules=los).total == 20000
    assert quote(3, rules=los).total == 3 * 9500
    assert quote(7, rules=los).total == 7 * 9000


def test_loyalty_promo_vat_and_city_tax_lines() -> None:
    prop = P(vat_bp=1000, city_tax_minor=250, city_tax_max_nights=2)
    q = quote(
        3, prop=prop, rooms=2, guests=3, loyalty_tier="gold", promo=Promo("SPRING", "percent", 1500, None)
    )
    # accommodation 3 x 2 x 100.00 = 600.00; gold -10 % = -60.00; promo -15 % of 540.00 = -81.00
    # VAT 10 % of 459.00 = 45.90; city tax 2.50 x 3 guests x 2 nights (cap) = 15.00
    assert [(line.kind, line.amount) for line in q.lines] == [
        ("accommodation", 60000),
        ("loyalty", -6000),
        ("promo", -8100),
        ("vat", 4590),
        ("city_tax", 1500),
    ]
    assert q.discounts == 14100 and q.taxes == 6090 and q.total == 45900 + 6090
    fixed = quote(1, promo=Promo("BIG", "fixed", None, 50000))
    assert fixed.total == 0  # a fixed discount never makes the total negative


def test_vat_included_is_shown_not_added() -> None:
    q = quote(1, prop=P(vat_bp=2000, vat_included=True))
    vat = next(line for line in q.lines if line.kind == "vat")
    assert vat.included and vat.amount == 10000 - 8333 and q.total == 10000


def test_zero_decimal_currency() -> None:
    q = quote(
        3,
        prop=P(currency="JPY", vat_bp=1000),
        rt=T(base_price_minor=12345),
        rules=[Rule("weekday", "all", factor_bp=11111, weekdays=0b1111111)],
    )
    # 12345 x 1.1111 = 13716.5295 → 13717 yen per night
    assert [n.price for n in q.nights] == [13717] * 3
    assert q.to_api()["total"] == {"amount": str(3 * 13717 + apply_bp(3 * 13717, 1000)), "currency": "JPY"}


def test_promo_usability() -> None:
    from datetime import UTC, datetime

    now = datetime(2030, 3, 4, tzinfo=UTC)

    @dataclass
    class Code:
        property_id: Any = None
        is_active: bool = True
        valid_from: Any = None
        valid_until: Any = None
        max_uses: int | None = None
        used_count: int = 0
        kind: str = "percent"
        currency: str | None = None

    pid = uuid.uuid4()
    assert promo_usable(Code(), property_id=pid, currency="EUR", now=now) is None
    assert promo_usable(Code(property_id=uuid.uuid4()), property_id=pid, currency="EUR", now=now)
    assert promo_usable(Code(valid_until=now), property_id=pid, currency="EUR", now=now)
    assert promo_usable(Code(valid_from=now + timedelta(seconds=1)), property_id=pid, currency="EUR", now=now)
    assert promo_usable(Code(max_uses=2, used_count=2), property_id=pid, currency="EUR", now=now)
    assert promo_usable(Code(kind="fixed", currency="USD"), property_id=pid, currency="EUR", now=now)


@given(
    base=st.integers(min_value=0, max_value=10**9),
    factors=st.lists(st.integers(min_value=0, max_value=30000), min_size=0, max_size=4),
    nights=st.integers(min_value=1, max_value=30),
    rooms=st.integers(min_value=1, max_value=5),
    vat=st.integers(min_value=0, max_value=5000),
    loyalty=st.sampled_from(["standard", "silver", "gold", "platinum"]),
    promo_bp=st.one_of(st.none(), st.integers(min_value=1, max_value=10000)),
    currency=st.sampled_from(["EUR", "JPY", "BHD"]),
)
def test_totals_always_add_up(
    base: int,
    factors: list[int],
    nights: int,
    rooms: int,
    vat: int,
    loyalty: str,
    promo_bp: int | None,
    currency: str,
) -> None:
    kinds = ["weekday", "occupancy", "lead_time", "length_of_stay"]
    rules = [
        Rule(
            kind,
            factor_bp=f,
            weekdays=0b1111111 if kind == "weekday" else None,
            min_occupancy_pct=0,
            min_nights=1,
            max_lead_days=10_000,
        )
        for kind, f in zip(kinds, factors, strict=False)
    ]
    promo = Promo("P", "percent", promo_bp, None) if promo_bp else None
    q = quote(
        nights,
        prop=P(currency=currency, vat_bp=vat),
        rt=T(base_price_minor=base),
        rules=rules,
        rooms=rooms,
        occupancy={MONDAY + timedelta(days=i): (1, 1) for i in range(nights)},
        loyalty_tier=loyalty,
        promo=promo,
    )
    assert all(isinstance(line.amount, int) for line in q.lines)
    assert q.total == sum(line.amount for line in q.lines if not line.included)
    assert q.total >= 0 and q.accommodation == sum(n.price for n in q.nights) * rooms
    # each step is the exact product rounded half-up: within half a minor unit
    expected = base
    for f in factors:
        exact = expected * f / 10000
        assert abs(apply_bp(expected, f) - exact) <= 0.5
        expected = apply_bp(expected, f)
    assert q.nights[0].price == expected


@given(
    base=st.integers(min_value=0, max_value=10**7),
    prices=st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)), min_size=1, max_size=10),
    occupied=st.integers(min_value=0, max_value=10),
    lead=st.integers(min_value=0, max_value=120),
    rooms=st.integers(min_value=1, max_value=4),
    currency=st.sampled_from(["EUR", "JPY"]),
)
def test_search_fast_path_agrees_with_the_detailed_quote(
    base: int, prices: list[int | None], occupied: int, lead: int, rooms: int, currency: str
) -> None:
    """Search prices with ``detail=False``; the totals must be those of the full quote, always."""
    rules = [
        Rule("season", "s", factor_bp=12345, start_date=MONDAY, end_date=MONDAY + timedelta(days=200)),
        Rule(
            "season",
            "o",
            priority=-1,
            override_minor=7777,
            start_date=MONDAY,
            end_date=MONDAY + timedelta(days=3),
        ),
        Rule("weekday", "w", factor_bp=11500, weekdays=0b0110000),
        Rule("occupancy", "busy", factor_bp=11500, min_occupancy_pct=80),
        Rule("lead_time", "early", factor_bp=9000, min_lead_days=60),
        Rule("length_of_stay", "long", factor_bp=9500, min_nights=4),
    ]
    checkin = MONDAY + timedelta(days=lead)
    day_prices = {checkin + timedelta(days=i): p for i, p in enumerate(prices)}
    occupancy = {d: (occupied, 10) for d in day_prices}
    common: dict[str, Any] = dict(
        prop=P(currency=currency, vat_bp=700, city_tax_minor=150, city_tax_max_nights=3),
        rt=T(base_price_minor=base),
        rules=rules,
        prices=day_prices,
        occupancy=occupancy,
        checkin=checkin,
        rooms=rooms,
        loyalty_tier="silver",
    )
    full = quote(len(prices), **common)
    fast = quote(len(prices), detail=False, **common)
    assert (fast.total, fast.accommodation, fast.discounts, fast.taxes, fast.nightly_average) == (
        full.total,
        full.accommodation,
        full.discounts,
        full.taxes,
        full.nightly_average,
    )
    assert [line.amount for line in fast.lines] == [line.amount for line in full.lines]
    # search's own path: the totals without any quote object, VAT included or added
    for vat_included in (False, True):
        prop = P(
            currency=currency,
            vat_bp=700,
            vat_included=vat_included,
            city_tax_minor=150,
            city_tax_max_nights=3,
        )
        detailed = quote(len(prices), **{**common, "prop": prop})
        assert stay_totals(
            prop=prop,
            room_type_id=RT,
            base_price_minor=base,
            day_prices=day_prices,
            occupancy=occupancy,
            rules=RuleSet(rules),
            checkin=checkin,
            nights=len(prices),
            rooms=rooms,
            guests=2,
            lead_days=lead,
            loyalty_bp=LOYALTY_DISCOUNT_BP["silver"],
        ) == (detailed.total, detailed.nightly_average)
