"""API types shared by every domain: money in and out.

Every money input of the API is a :class:`MoneyIn`: a money object ``{"amount": "45.00", "currency":
"EUR"}`` or a bare decimal string ``"45.00"`` meaning the context's currency (the property's, the
booking's, the payment's, the wallet's). The request model only checks the shape; the endpoint, which
knows the context, turns it into :class:`Money` with :meth:`MoneyIn.resolve` — the one place where a
wrong currency, a malformed amount, excess decimals or an absurd size become a 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import MAX_AMOUNT_CHARS, Money, check_currency


class AmountInvalid(ValidationFailed):
    code = "payment.amount_invalid"
    title = "Invalid amount"


class WrongCurrency(ValidationFailed):
    code = "money.currency"
    title = "Wrong currency"


class CurrencyMismatch(WrongCurrency):
    """The same refusal where money moves (payments, refunds, wallets): its own stable code."""

    code = "payment.currency_mismatch"


@dataclass(frozen=True, slots=True)
class MoneyIn:
    """A money input as sent. ``currency`` is None for a bare decimal string; ``field`` is the name
    of the model field it was read from (named in the 422 when it does not resolve)."""

    amount: str
    currency: str | None = None
    field: str | None = None

    def resolve(
        self,
        currency: str,
        *,
        field: str | None = None,
        positive: bool = False,
        mismatch: type[WrongCurrency] = WrongCurrency,
    ) -> Money:
        """This amount in the context's ``currency``. 422 with ``errors[0].field`` set to ``field`` (or
        the model field's name): another currency (``money.currency``, or ``mismatch``'s code), an
        unknown one, not an amount, more decimals than the currency has, too large (``money.*``,
        :meth:`Money.from_decimal`), or with ``positive`` zero or less (``payment.amount_invalid``)."""
        name = field or self.field or "amount"
        try:
            context = check_currency(currency)
            if self.currency is not None and (given := check_currency(self.currency)) != context:
                raise mismatch(f"{name} must be in {context}, not {given}")
            money = Money.from_decimal(self.amount, context)
            if positive and money.minor <= 0:
                raise AmountInvalid(f"{name} must be greater than zero")
        except ValidationFailed as exc:
            exc.errors = [{"field": name, "message": exc.detail, "type": exc.code}]
            raise
        return money

    def to_json(self) -> dict[str, str] | str:
        """The form it was sent in (for logs, audit and idempotency fingerprints)."""
        if self.currency is None:
            return self.amount
        return {"amount": self.amount, "currency": self.currency}

    # pydantic ------------------------------------------------------------------------------------
    @classmethod
    def _from_input(cls, value: Any, info: ValidationInfo) -> MoneyIn:
        if isinstance(value, str):
            return cls(value, None, info.field_name)
        return cls(value["amount"], value["currency"], info.field_name)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        text = core_schema.str_schema(strict=True)  # length and syntax: resolve(), with money.* codes
        obj = core_schema.typed_dict_schema(
            {
                "amount": core_schema.typed_dict_field(text),
                "currency": core_schema.typed_dict_field(
                    core_schema.str_schema(strict=True, min_length=3, max_length=3)
                ),
            },
            extra_behavior="forbid",
        )
        sent = core_schema.union_schema(
            [text, obj],
            custom_error_type="money_input",
            custom_error_message='a money object {"amount": "45.00", "currency": "EUR"} or a decimal string',
        )
        return core_schema.json_or_python_schema(
            json_schema=core_schema.with_info_after_validator_function(cls._from_input, sent),
            python_schema=core_schema.union_schema(
                [
                    core_schema.is_instance_schema(cls),
                    core_schema.with_info_after_validator_function(cls._from_input, sent),
                ]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.to_json()),
            ref="MoneyIn",  # one OpenAPI component, referenced by every money input
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        amount = {"type": "string", "maxLength": MAX_AMOUNT_CHARS, "examples": ["45.00"]}
        return {
            "title": "MoneyIn",
            "description": "A money object, or a bare decimal string in the context's currency (the "
            "property's, the booking's, the payment's, the wallet's). Another currency is 422.",
            "oneOf": [
                {
                    "type": "object",
                    "title": "Money",
                    "properties": {
                        "amount": amount,
                        "currency": {"type": "string", "minLength": 3, "maxLength": 3, "examples": ["EUR"]},
                    },
                    "required": ["amount", "currency"],
                    "additionalProperties": False,
                },
                {**amount, "title": "Decimal string"},
            ],
        }


class MoneyOut(BaseModel):
    amount: str
    currency: str
