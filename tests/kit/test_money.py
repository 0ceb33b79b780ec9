from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import Money, check_currency, round_half_up


def test_parse_and_render_two_decimal_and_zero_decimal() -> None:
    assert Money.parse("150.00", "EUR") == Money(15000, "EUR")
    assert Money.parse({"amount": "150.5", "currency": "EUR"}, "EUR").to_api() == {
        "amount": "150.50",
        "currency": "EUR",
    }
    assert Money.parse("15000", "JPY").to_api() == {"amount": "15000", "currency": "JPY"}
    assert Money.parse("1.234", "BHD").minor == 1234
    assert Money(15000, "EUR").format("en_US") == "€150.00"


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        ("1.001", "EUR"),
        ("1.5", "JPY"),
        ("abc", "EUR"),
        ("NaN", "EUR"),
        ("Infinity", "EUR"),
        (1.5, "EUR"),
        ({"amount": "1.00", "currency": "USD"}, "EUR"),
        ("1.00", "XXQ"),
    ],
)
def test_parse_rejects(value: object, currency: str) -> None:
    with pytest.raises(ValidationFailed):
        Money.parse(value, currency)


def test_arithmetic_refuses_mixed_currencies() -> None:
    with pytest.raises(ValueError):
        _ = Money(1, "EUR") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]


def test_half_up_rounding() -> None:
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("-2.5")) == -3
    assert round_half_up(Decimal("2.4999")) == 2
    assert Money(1005, "EUR").percent(10) == Money(101, "EUR")  # 100.5 → 101
    assert Money(333, "JPY").percent(15) == Money(50, "JPY")  # 49.95 → 50


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_allocate_parts_add_up_to_the_whole(minor: int, weights: list[int]) -> None:
    parts = Money(minor, "EUR").allocate(weights)
    assert sum(p.minor for p in parts) == minor
    assert all(p.minor >= 0 for p in parts)


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "DEM", "ZZZ", ""])
def test_only_currencies_in_use_are_accepted(code: str) -> None:
    """XXX ("no currency"), testing and metal codes are ISO 4217 but no property prices in them."""
    with pytest.raises(ValidationFailed) as refused:
        check_currency(code)
    assert refused.value.code == "money.unknown_currency"


@pytest.mark.parametrize("code", ["EUR", "gbp", "JPY", "USD", "XOF", "BHD"])
def test_currencies_in_use_are_accepted(code: str) -> None:
    assert check_currency(code) == code.upper()
