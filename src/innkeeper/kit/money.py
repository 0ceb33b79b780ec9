"""Exact money: integer minor units plus an ISO 4217 currency. No floats anywhere.

Rounding is explicit and half-up (:func:`round_half_up`), applied per line by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency, get_currency_precision, list_currencies

from innkeeper.kit.errors import ValidationFailed


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    code = (code or "").upper()
    if code not in known_currencies():
        raise ValidationFailed(f"unknown currency {code!r}", code="money.unknown_currency")
    return code


@lru_cache(maxsize=512)
def exponent(currency: str) -> int:
    """Number of minor-unit digits: EUR 2, JPY 0, BHD 3."""
    return int(get_currency_precision(currency))


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of minor units to an integer, half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True, order=False)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")

    # construction -------------------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Parse a major-unit amount ("150.00"). Refuses more decimals than the currency has."""
        currency = check_currency(currency)
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationFailed(f"{amount!r} is not an amount", code="money.invalid") from exc
        if not value.is_finite():
            raise ValidationFailed("amount must be finite", code="money.invalid")
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValidationFailed(
                f"{currency} amounts have at most {exponent(currency)} decimals", code="money.precision"
            )
        return cls(int(scaled), currency)

    @classmethod
    def parse(cls, value: Any, currency: str) -> Money:
        """Accept the API forms: ``{"amount": "1.00", "currency": "EUR"}`` or a decimal string."""
        if isinstance(value, Money):
            if value.currency != currency:
                raise ValidationFailed(f"expected {currency}, got {value.currency}", code="money.currency")
            return value
        if isinstance(value, dict):
            given = check_currency(str(value.get("currency", currency)))
            if given != currency:
                raise ValidationFailed(f"expected {currency}, got {given}", code="money.currency")
            return cls.from_decimal(value.get("amount", ""), currency)
        if isinstance(value, float):
            raise ValidationFailed("send amounts as decimal strings, not floats", code="money.invalid")
        return cls.from_decimal(value, currency)

    # arithmetic ---------------------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def times(self, factor: Decimal | int | str) -> Money:
        """Multiply and round half-up to the minor unit."""
        return Money(round_half_up(Decimal(self.minor) * Decimal(str(factor))), self.currency)

    def percent(self, pct: Decimal | int | str) -> Money:
        return self.times(Decimal(str(pct)) / 100)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to ``weights`` that always add up to the whole."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative with a positive sum")
        total = sum(weights)
        parts = [self.minor * w // total for w in weights]
        remainder = self.minor - sum(parts)
        for i in range(remainder):
            parts[i % len(parts)] += 1
        return [Money(p, self.currency) for p in parts]

    # presentation -------------------------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def amount_str(self) -> str:
        exp = exponent(self.currency)
        return f"{self.amount:.{exp}f}"

    def to_api(self) -> dict[str, str]:
        return {"amount": self.amount_str(), "currency": self.currency}

    def format(self, locale: str = "en_US") -> str:
        return str(format_currency(self.amount, self.currency, locale=locale))

    def __str__(self) -> str:
        return f"{self.amount_str()} {self.currency}"
