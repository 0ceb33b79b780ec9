"""Exact money: integer minor units plus an ISO 4217 currency. No floats anywhere.

Rounding is explicit and half-up (:func:`round_half_up`), applied per line by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies

from innkeeper.kit.errors import ValidationFailed

#: the largest magnitude an amount may have, in minor units (exclusive): far beyond any real price or
#: balance, and far below BIGINT's 9.2e18, so sums of many amounts cannot overflow either
MAX_MINOR_UNITS = 10**15
#: longer inputs are refused before they are parsed ("0.000…1" with a million zeros)
MAX_AMOUNT_CHARS = 64


def _invalid(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[{"field": field, "message": message, "type": code}])


def max_amount(currency: str) -> str:
    """The bound of :data:`MAX_MINOR_UNITS` in major units: ``10000000000000.00`` for EUR."""
    return f"{Decimal(MAX_MINOR_UNITS).scaleb(-exponent(currency)):.{exponent(currency)}f}"


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes that are legal tender in some territory today (CLDR, through Babel): not the
    funds, metals, testing and "no currency" codes (XXX, XTS, XAU ...) nor withdrawn ones (DEM)."""
    today = date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


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
    def from_decimal(cls, amount: Decimal | str | int, currency: str, *, field: str = "amount") -> Money:
        """Parse a major-unit amount ("150.00"). Refuses more decimals than the currency has, and
        magnitudes of ``MAX_MINOR_UNITS`` minor units or more (``1e30`` overflowed the database's
        BIGINT and was a 500); errors are 422 naming ``field``."""
        currency = check_currency(currency)
        text = str(amount).strip()
        if len(text) > MAX_AMOUNT_CHARS:
            raise _invalid(field, "money.invalid", f"an amount has at most {MAX_AMOUNT_CHARS} characters")
        try:
            value = Decimal(text)
        except (InvalidOperation, ValueError) as exc:
            raise _invalid(field, "money.invalid", f"{text!r} is not an amount") from exc
        if not value.is_finite():
            raise _invalid(field, "money.invalid", "amount must be finite")
        digits = exponent(currency)
        # compared exactly, before any arithmetic: 1e999999999 would overflow the decimal context
        if value.copy_abs() >= Decimal(MAX_MINOR_UNITS).scaleb(-digits):
            limit = max_amount(currency)
            raise _invalid(field, "money.too_large", f"{currency} amounts must be below {limit}")
        quantized = value.quantize(Decimal(1).scaleb(-digits))  # exact: the magnitude is bounded
        if quantized != value:
            raise _invalid(field, "money.precision", f"{currency} amounts have at most {digits} decimals")
        return cls(int(quantized.scaleb(digits)), currency)

    @classmethod
    def parse(cls, value: Any, currency: str, *, field: str = "amount") -> Money:
        """Accept the API forms: ``{"amount": "1.00", "currency": "EUR"}`` or a decimal string."""
        if isinstance(value, Money):
            if value.currency != currency:
                raise ValidationFailed(f"expected {currency}, got {value.currency}", code="money.currency")
            return value
        if isinstance(value, dict):
            given = check_currency(str(value.get("currency", currency)))
            if given != currency:
                raise ValidationFailed(f"expected {currency}, got {given}", code="money.currency")
            return cls.from_decimal(value.get("amount", ""), currency, field=field)
        if isinstance(value, float):
            raise _invalid(field, "money.invalid", "send amounts as decimal strings, not floats")
        return cls.from_decimal(value, currency, field=field)

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
