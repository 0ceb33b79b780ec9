"""Every money input takes a money object or a bare decimal string in its context's currency (the
property's, the booking's, the payment's, the wallet's) and answers another currency with a 422 that
names the field (API.md, "Money and time inputs"; ``kit.schemas.MoneyIn``)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from innkeeper.context import AppContext
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import MoneyIn
from tests.billing.support import customer
from tests.bookings.support import book, hotel, stay
from tests.catalog_support import d, freeze, make_admin
from tests.helpers import API, assert_problem, bearer, signup
from tests.payments.test_refunds import paid

AMOUNT = "10.00"
EUR = {"amount": AMOUNT, "currency": "EUR"}
#: what each input is sent as: the object, the bare string, then the same amount in another currency
FORMS = (EUR, AMOUNT)
USD = {"amount": AMOUNT, "currency": "USD"}
_codes = itertools.count()

#: sends one money value to the input; answers the response and the money it shows for it
Send = Callable[[Any], Awaitable[tuple[httpx.Response, Any]]]


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@dataclass(frozen=True)
class Input:
    name: str
    setup: Callable[[httpx.AsyncClient, AppContext, JobRunner], Awaitable[Send]]
    field: str
    created: int = 201
    mismatch: str = "money.currency"


async def _room_type(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        body = {"code": f"T{next(_codes)}", "name": "Twin", "capacity": 2, "base_price": value}
        r = await client.post(f"{API}/properties/{h['pid']}/room-types", json=body, headers=h["owner"])
        return r, r.json().get("base_price")

    return send


async def _city_tax(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        r = await client.patch(f"{API}/properties/{h['pid']}", json={"city_tax": value}, headers=h["owner"])
        return r, r.json().get("city_tax")

    return send


async def _inventory_price(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client)
    url = f"{API}/properties/{h['pid']}/inventory"

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        body = {"room_type_id": h["rt_id"], "from": d(5), "to": d(6), "price": value}
        r = await client.put(url, json=body, headers=h["owner"])
        days = await client.get(
            url, params={"room_type_id": h["rt_id"], "from": d(5), "to": d(6)}, headers=h["owner"]
        )
        return r, days.json()["items"][0]["price"]

    return send


async def _rate_override(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        body = {"kind": "season", "name": "Peak", "start_date": d(5), "end_date": d(9), "override": value}
        r = await client.post(f"{API}/properties/{h['pid']}/rate-rules", json=body, headers=h["owner"])
        return r, r.json().get("override")

    return send


async def _promo_amount(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        body = {"code": f"OFF{next(_codes)}", "kind": "fixed", "amount": value}
        r = await client.post(f"{API}/properties/{h['pid']}/promo-codes", json=body, headers=h["owner"])
        return r, r.json().get("amount")

    return send


async def _expected_total(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client, rooms=5, price="5.00")  # two nights: a total of 10.00

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        body = stay(h, expected_total=value, contact={"name": "Gina Guest", "email": "gina@example.com"})
        r = await client.post(f"{API}/bookings", json=body)
        return r, r.json().get("total")

    return send


async def _booking_payment(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client, rooms=5)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        b = await book(client, h)
        r = await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "card", "amount": value},
            headers={"X-Guest-Token": b["guest_token"], "Idempotency-Key": uuid.uuid4().hex},
        )
        return r, r.json().get("amount")

    return send


async def _from_wallet(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    h = await hotel(client, rooms=5)
    me, _ = await customer(client, ctx, Money(100_00, "EUR"))

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        b = await book(client, h, me)
        r = await client.post(
            f"{API}/bookings/{b['id']}/payments",
            json={"method": "card", "from_wallet": value},
            headers={**me, "Idempotency-Key": uuid.uuid4().hex},
        )
        wallet = [p["amount"] for p in r.json().get("payments", []) if p["method"] == "wallet"]
        return r, wallet[0] if wallet else None

    return send


async def _refund(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    payment = await paid(client, ctx, runner, Money(100_00, "EUR"))
    admin = await make_admin(ctx, client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        r = await client.post(
            f"{API}/payments/{payment.id}/refunds",
            json={"amount": value},
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
        )
        return r, r.json().get("amount")

    return send


async def _top_up(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    me, _ = await customer(client, ctx, Money(1, "EUR"))  # a EUR wallet, and no other

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        r = await client.post(
            f"{API}/users/me/wallet/top-ups",
            json={"amount": value},
            headers={**me, "Idempotency-Key": uuid.uuid4().hex},
        )
        return r, r.json().get("amount")

    return send


async def _adjustment(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> Send:
    _, user_id = await customer(client, ctx, Money(1, "EUR"))
    admin = await make_admin(ctx, client)

    async def send(value: Any) -> tuple[httpx.Response, Any]:
        r = await client.post(
            f"{API}/admin/wallets/{user_id}/adjustments",
            json={"amount": value, "reason": "goodwill"},
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
        )
        return r, r.json().get("amount")

    return send


PAID = "payment.currency_mismatch"  # where money moves, the refusal keeps its payments code
INPUTS = [
    Input("room type base_price", _room_type, "base_price"),
    Input("property city_tax", _city_tax, "city_tax", created=200),
    Input("inventory price", _inventory_price, "items.0.price", created=200),
    Input("rate rule override", _rate_override, "override"),
    Input("promo code amount", _promo_amount, "amount"),
    Input("booking expected_total", _expected_total, "expected_total"),
    Input("booking payment amount", _booking_payment, "amount", mismatch=PAID),
    Input("booking payment from_wallet", _from_wallet, "from_wallet", mismatch=PAID),
    Input("refund amount", _refund, "amount", mismatch=PAID),
]
#: a wallet's context is the wallet the input names: another currency is another wallet (below), so
#: here the refused currency is one that does not exist
WALLET_INPUTS = [
    Input("wallet top-up", _top_up, "amount", mismatch="money.unknown_currency"),
    Input("wallet adjustment", _adjustment, "amount", mismatch="money.unknown_currency"),
]


@pytest.mark.parametrize("target", INPUTS + WALLET_INPUTS, ids=lambda t: t.name)
async def test_each_money_input_takes_both_forms_and_refuses_another_currency(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner, target: Input
) -> None:
    send = await target.setup(client, ctx, runner)
    for value in FORMS:
        r, shown = await send(value)
        assert r.status_code == target.created, r.text
        assert shown == EUR, (value, r.text)
    other = USD if target in INPUTS else {"amount": AMOUNT, "currency": "XXZ"}
    r, _ = await send(other)
    problem = assert_problem(r, 422, target.mismatch)
    assert [e["field"] for e in problem["errors"]] == [target.field]
    r, _ = await send(1000)  # a JSON number is neither form
    assert_problem(r, 422, "request.validation")


async def test_a_bare_amount_is_in_the_wallet_the_user_has(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    url = f"{API}/users/me/wallet/top-ups"
    jpy_only, _ = await customer(client, ctx, Money(1, "JPY"))
    r = await client.post(url, json={"amount": "1500"}, headers=jpy_only)
    assert r.status_code == 201 and r.json()["amount"] == {"amount": "1500", "currency": "JPY"}, r.text
    assert_problem(
        await client.post(url, json={"amount": "1500.5"}, headers=jpy_only), 422, "money.precision"
    )
    # another currency is that currency's wallet; a user without one gets the default currency's
    r = await client.post(url, json={"amount": EUR}, headers=jpy_only)
    assert r.status_code == 201 and r.json()["amount"] == EUR, r.text
    newcomer = bearer(await signup(client))
    r = await client.post(url, json={"amount": AMOUNT}, headers=newcomer)
    assert r.status_code == 201 and r.json()["amount"] == EUR, r.text


class _Body(BaseModel):
    price: MoneyIn
    fee: MoneyIn | None = None


def test_money_in_resolves_against_the_context_naming_the_field() -> None:
    body = _Body.model_validate_json('{"price": "1500", "fee": {"amount": "2.50", "currency": "eur"}}')
    assert body.price.resolve("JPY") == Money(1500, "JPY")
    assert body.price.resolve("EUR") == Money(150000, "EUR")  # the same text in another context
    assert body.fee is not None and body.fee.resolve("EUR") == Money(250, "EUR")
    assert body.model_dump(mode="json") == {"price": "1500", "fee": {"amount": "2.50", "currency": "eur"}}
    for value, currency, code in [
        (body.price, "USD", None),
        (MoneyIn("1.5", field="price"), "JPY", "money.precision"),
        (MoneyIn("abc", field="price"), "EUR", "money.invalid"),
        (body.fee, "USD", "money.currency"),
        (MoneyIn("1e30", field="price"), "EUR", "money.too_large"),
        (MoneyIn("0", field="price"), "EUR", "payment.amount_invalid"),
    ]:
        assert value is not None
        if code is None:
            assert value.resolve(currency, positive=True) == Money(150000, "USD")
            continue
        with pytest.raises(ValidationFailed) as caught:
            value.resolve(currency, positive=True)
        assert (caught.value.code, caught.value.status) == (code, 422)
        assert caught.value.errors == [{"field": value.field, "message": caught.value.detail, "type": code}]
    with pytest.raises(ValidationFailed) as caught:
        MoneyIn("1", "EUR").resolve("USD", field="items.3.price")
    assert [e["field"] for e in caught.value.errors or []] == ["items.3.price"]


def test_openapi_documents_one_money_input_type(app: Any) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert [s["type"] for s in schemas["MoneyIn"]["oneOf"]] == ["object", "string"]
    using = {name for name, s in schemas.items() if "#/components/schemas/MoneyIn" in str(s)}
    assert {"RoomTypeIn", "PropertyPatch", "RateRuleIn", "PromoCodeIn", "BookingIn", "PayIn"} <= using
    assert {"RefundIn", "TopUpIn", "AdjustmentIn"} <= using
