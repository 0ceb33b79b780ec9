"""API types shared by every domain: money in and out."""

from __future__ import annotations

from pydantic import BaseModel, Field

from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import Money, check_currency


class AmountInvalid(ValidationFailed):
    code = "payment.amount_invalid"
    title = "Invalid amount"


class CurrencyMismatch(ValidationFailed):
    code = "payment.currency_mismatch"
    title = "Wrong currency"


class MoneyIn(BaseModel):
    amount: str = Field(max_length=40, examples=["150.00"])
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])

    def money(self) -> Money:
        currency = check_currency(self.currency)
        return Money.parse({"amount": self.amount, "currency": currency}, currency)

    def positive(self) -> Money:
        value = self.money()
        if value.minor <= 0:
            raise AmountInvalid("The amount must be greater than zero")
        return value


class MoneyOut(BaseModel):
    amount: str
    currency: str
