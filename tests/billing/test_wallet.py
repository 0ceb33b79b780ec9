"""The wallet ledger: derived balance, pay from the wallet (fully or with a card), admin adjustments,
over-balance and bad amounts refused with nothing moved, reconciliation (function and CLI)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.models import AuditEntry
from innkeeper.audit.service import Actor
from innkeeper.billing import wallet
from innkeeper.billing.errors import InsufficientFunds
from innkeeper.billing.models import EntryKind, EntryStatus, WalletAccount, WalletEntry
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import AmountInvalid, CurrencyMismatch
from innkeeper.payments import hooks, service
from innkeeper.payments.models import Payment
from tests.cli_support import run_cli
from tests.helpers import API, assert_problem, bearer, signup
from tests.identity.test_admin import make_admin
from tests.payments.support import count, deliver, live_server, load, payment_event

ACTOR = Actor.system("test")


async def user_with_balance(
    client: httpx.AsyncClient, ctx: AppContext, amount: Money
) -> tuple[dict[str, Any], uuid.UUID]:
    tokens = await signup(client)
    user_id = uuid.UUID(tokens["user"]["id"])
    async with ctx.db.unit_of_work() as session:
        await wallet.post(session, ACTOR, user_id=user_id, amount=amount, kind=EntryKind.credit, memo="seed")
    return tokens, user_id


async def assert_reconciled(ctx: AppContext) -> None:
    async with ctx.db.unit_of_work(write=False) as session:
        assert await wallet.reconcile(session) == []
        for acct in (await session.scalars(select(WalletAccount))).all():
            assert acct.balance_minor == await wallet.derived_balance(session, acct.id)


async def test_admin_adjustments_are_audited_and_balance_is_derived(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    tokens = await signup(client)
    user_id = tokens["user"]["id"]
    admin = bearer(await make_admin(client, ctx))
    url = f"{API}/admin/wallets/{user_id}/adjustments"
    r = await client.post(
        url, json={"amount": {"amount": "50.00", "currency": "EUR"}, "reason": "goodwill"}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "adjustment" and r.json()["status"] == "completed"
    r = await client.post(
        url, json={"amount": {"amount": "-20.25", "currency": "EUR"}, "reason": "correction"}, headers=admin
    )
    assert r.status_code == 201
    me = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert me["balance"] == {"amount": "29.75", "currency": "EUR"} and me["total"] == 2
    assert [i["amount"]["amount"] for i in me["items"]] == ["-20.25", "50.00"]  # newest first
    audits = await count(ctx, AuditEntry, AuditEntry.action == "wallet.adjustment")
    assert audits == 2
    async with ctx.db.unit_of_work(write=False) as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "wallet.adjustment"))
        assert (
            entry is not None
            and entry.actor_user_id is not None
            and entry.after["memo"] in ("goodwill", "correction")
        )
    # taking out more than the balance: 409, nothing moved
    r = await client.post(
        url, json={"amount": {"amount": "-29.76", "currency": "EUR"}, "reason": "too much"}, headers=admin
    )
    refused = assert_problem(r, 409, "wallet.insufficient_funds")
    # whoever keys in a wallet amount (staff at the desk, say) learns nothing of what the wallet holds
    assert "29.75" not in r.text and "balance" not in refused
    for bad, code in [("0", "payment.amount_invalid"), ("0.001", "money.precision"), ("x", "money.invalid")]:
        r = await client.post(
            url, json={"amount": {"amount": bad, "currency": "EUR"}, "reason": "bad"}, headers=admin
        )
        assert_problem(r, 422, code)
    assert await count(ctx, WalletEntry) == 2
    assert_problem(
        await client.post(
            url, json={"amount": {"amount": "1", "currency": "EUR"}, "reason": "x"}, headers=bearer(tokens)
        ),
        403,
    )
    r = await client.post(
        f"{API}/admin/wallets/{uuid.uuid4()}/adjustments",
        json={"amount": {"amount": "1", "currency": "EUR"}, "reason": "nobody"},
        headers=admin,
    )
    assert_problem(r, 404)
    reconcile = (await client.get(f"{API}/admin/wallets/reconcile", headers=admin)).json()
    assert reconcile == {"ok": True, "mismatches": []}
    await assert_reconciled(ctx)


async def test_pay_fully_from_wallet(client: httpx.AsyncClient, ctx: AppContext) -> None:
    seen: list[tuple[str, str]] = []

    async def booking_hook(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
        seen.append((outcome.kind, outcome.payment.purpose_id))

    hooks.on("booking")(booking_hook)
    try:
        tokens, user_id = await user_with_balance(client, ctx, Money(10000, "EUR"))
        async with ctx.db.unit_of_work() as session:
            payment = await service.create_payment(
                ctx,
                session,
                ACTOR,
                purpose_type="booking",
                purpose_id="B1",
                amount=Money(7550, "EUR"),
                method="wallet",
                user_id=user_id,
            )
        assert payment.status == "succeeded" and payment.provider == "wallet"
        assert seen == [("succeeded", "B1")]
        me = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
        assert me["balance"]["amount"] == "24.50"
        assert me["items"][0]["kind"] == "debit" and me["items"][0]["amount"]["amount"] == "-75.50"
        # refund of a wallet payment goes back to the wallet
        async with ctx.db.unit_of_work() as session:
            await service.refund(ctx, session, ACTOR, payment.id, amount=Money(550, "EUR"))
        assert seen[-1] == ("refunded", "B1")
        me = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
        assert me["balance"]["amount"] == "30.00"
        await assert_reconciled(ctx)
    finally:
        hooks.remove("booking", booking_hook)


async def test_pay_partly_from_wallet_and_rest_by_card(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens, user_id = await user_with_balance(client, ctx, Money(3000, "EUR"))
    async with ctx.db.unit_of_work() as session:
        parts = await service.pay_split(
            ctx,
            session,
            ACTOR,
            purpose_type="booking",
            purpose_id="B2",
            total=Money(10000, "EUR"),
            from_wallet=Money(3000, "EUR"),
            user_id=user_id,
        )
    wallet_part, card_part = parts
    assert (wallet_part.method, wallet_part.status, wallet_part.amount_minor) == ("wallet", "succeeded", 3000)
    assert (card_part.method, card_part.status, card_part.amount_minor) == ("card", "requires_payment", 7000)
    await deliver(client, ctx, payment_event(ctx, card_part, "succeeded"))
    await runner.drain()
    async with ctx.db.unit_of_work(write=False) as session:
        assert await service.paid_for_purpose(session, "booking", "B2", "EUR") == Money(10000, "EUR")
    me = (await client.get(f"{API}/users/me/wallet", headers=bearer(tokens))).json()
    assert me["balance"]["amount"] == "0.00"
    with pytest.raises(AmountInvalid):
        async with ctx.db.unit_of_work() as session:
            await service.pay_split(
                ctx,
                session,
                ACTOR,
                purpose_type="booking",
                purpose_id="B3",
                total=Money(100, "EUR"),
                from_wallet=Money(101, "EUR"),
                user_id=user_id,
            )
    with pytest.raises(CurrencyMismatch):
        async with ctx.db.unit_of_work() as session:
            await service.pay_split(
                ctx,
                session,
                ACTOR,
                purpose_type="booking",
                purpose_id="B3",
                total=Money(100, "EUR"),
                from_wallet=Money(50, "USD"),
                user_id=user_id,
            )


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (Money(5001, "EUR"), InsufficientFunds),  # above the balance
        (Money(100, "USD"), InsufficientFunds),  # the wallet holds no dollars
        (Money(0, "EUR"), AmountInvalid),
        (Money(-100, "EUR"), AmountInvalid),
    ],
)
async def test_wallet_payment_refused_moves_nothing(
    client: httpx.AsyncClient, ctx: AppContext, amount: Money, error: type[Exception]
) -> None:
    _, user_id = await user_with_balance(client, ctx, Money(5000, "EUR"))
    entries = await count(ctx, WalletEntry)
    with pytest.raises(error):
        async with ctx.db.unit_of_work() as session:
            await service.create_payment(
                ctx,
                session,
                ACTOR,
                purpose_type="booking",
                purpose_id="B9",
                amount=amount,
                method="wallet",
                user_id=user_id,
            )
    assert await count(ctx, WalletEntry) == entries
    assert await count(ctx, Payment) == 0
    async with ctx.db.unit_of_work(write=False) as session:
        assert await wallet.balance(session, user_id, "EUR") == Money(5000, "EUR")
    await assert_reconciled(ctx)


async def test_concurrent_wallet_debits_never_overdraw(client: httpx.AsyncClient, ctx: AppContext) -> None:
    _, user_id = await user_with_balance(client, ctx, Money(10000, "EUR"))

    async def pay(i: int) -> bool:
        try:
            async with ctx.db.unit_of_work() as session:
                await service.create_payment(
                    ctx,
                    session,
                    ACTOR,
                    purpose_type="booking",
                    purpose_id=f"C{i}",
                    amount=Money(3000, "EUR"),
                    method="wallet",
                    user_id=user_id,
                )
            return True
        except InsufficientFunds:
            return False

    results = await asyncio.gather(*(pay(i) for i in range(6)))
    assert results.count(True) == 3
    async with ctx.db.unit_of_work(write=False) as session:
        assert await wallet.balance(session, user_id, "EUR") == Money(1000, "EUR")
    await assert_reconciled(ctx)


async def test_jpy_top_up_and_precision(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    url = f"{API}/users/me/wallet/top-ups"
    bad = await client.post(
        url, json={"amount": {"amount": "1500.5", "currency": "JPY"}}, headers=bearer(tokens)
    )
    assert_problem(bad, 422, "money.precision")
    for amount in ("0", "-1"):
        r = await client.post(
            url, json={"amount": {"amount": amount, "currency": "JPY"}}, headers=bearer(tokens)
        )
        assert_problem(r, 422, "payment.amount_invalid")
    ok = await client.post(
        url, json={"amount": {"amount": "1500", "currency": "JPY"}}, headers=bearer(tokens)
    )
    assert ok.status_code == 201 and ok.json()["amount"] == {"amount": "1500", "currency": "JPY"}
    payment = await load(ctx, Payment, uuid.UUID(ok.json()["id"]))
    assert payment.amount_minor == 1500  # zero-decimal: minor unit == yen
    await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    await runner.drain()
    me = (await client.get(f"{API}/users/me/wallet?currency=JPY", headers=bearer(tokens))).json()
    assert me["balance"] == {"amount": "1500", "currency": "JPY"}
    assert me["balances"] == [{"amount": "1500", "currency": "JPY"}]
    # half-up rounding of a 10% partial refund of an odd amount, done per line
    assert Money(1505, "JPY").percent(10) == Money(151, "JPY")
    assert Money(1005, "EUR").percent(50) == Money(503, "EUR")
    assert await count(ctx, Payment) == 1


async def test_concurrent_duplicate_top_ups_make_one_payment(
    app: Any, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    tokens = await signup(client)
    headers = {**bearer(tokens), "Idempotency-Key": "topup-1"}
    body = {"amount": {"amount": "10.00", "currency": "EUR"}}
    async with live_server(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        results = await asyncio.gather(
            *(http.post(f"{API}/users/me/wallet/top-ups", json=body, headers=headers) for _ in range(8))
        )
        codes = [r.status_code for r in results]
        assert set(codes) <= {201, 409}, [r.text for r in results]
        created = [r.json() for r in results if r.status_code == 201]
        assert created and len({c["id"] for c in created}) == 1
        for r in results:
            if r.status_code == 409:
                assert r.json()["code"] == "idempotency.in_flight"
        replay = await http.post(f"{API}/users/me/wallet/top-ups", json=body, headers=headers)
        assert replay.status_code == 201 and replay.json()["id"] == created[0]["id"]
    assert await count(ctx, Payment) == 1
    assert await count(ctx, WalletEntry) == 1


async def test_reconcile_finds_a_tampered_balance(
    client: httpx.AsyncClient, ctx: AppContext, settings: Any
) -> None:
    _, user_id = await user_with_balance(client, ctx, Money(1000, "EUR"))
    done = await run_cli(settings, "reconcile")
    assert done.exit_code == 0, done.output
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(WalletAccount).where(WalletAccount.user_id == user_id).values(balance_minor=999)
        )
    async with ctx.db.unit_of_work(write=False) as session:
        [mismatch] = await wallet.reconcile(session)
    assert (mismatch.stored_minor, mismatch.ledger_minor) == (999, 1000)
    done = await run_cli(settings, "reconcile")
    assert done.exit_code == 1 and "disagree" in done.stderr, (done.stdout, done.stderr)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_ledger_sequences_keep_balance_derived(
    client: httpx.AsyncClient, ctx: AppContext, seed: int
) -> None:
    """Random credits, debits, adjustments and pending entries settled either way: the balance always
    equals the sum of completed entries, never goes negative, and matches a simple model."""
    import random

    rng = random.Random(seed)
    _, user_id = await user_with_balance(client, ctx, Money(1, "EUR"))
    expected = 1
    pending: list[tuple[uuid.UUID, int]] = []
    for _ in range(40):
        op = rng.choice(["credit", "debit", "adjust", "pending", "settle"])
        amount = rng.randint(1, 5000)
        try:
            async with ctx.db.unit_of_work() as session:
                if op == "credit":
                    await wallet.post(
                        session, ACTOR, user_id=user_id, amount=Money(amount, "EUR"), kind=EntryKind.credit
                    )
                    expected += amount
                elif op == "debit":
                    await wallet.debit(session, ACTOR, user_id=user_id, amount=Money(amount, "EUR"))
                    expected -= amount
                elif op == "adjust":
                    signed_amount = amount if rng.random() < 0.5 else -amount
                    await wallet.adjust(
                        session, ACTOR, user_id=user_id, amount=Money(signed_amount, "EUR"), reason="r"
                    )
                    expected += signed_amount
                elif op == "pending":
                    entry = await wallet.post(
                        session,
                        ACTOR,
                        user_id=user_id,
                        amount=Money(amount, "EUR"),
                        kind=EntryKind.credit,
                        status=EntryStatus.pending,
                    )
                    pending.append((entry.id, amount))
                elif pending:
                    entry_id, value = pending.pop(rng.randrange(len(pending)))
                    completed = rng.random() < 0.5
                    await wallet.settle(session, ACTOR, entry_id, completed=completed)
                    expected += value if completed else 0
        except InsufficientFunds:
            pass  # refused: nothing moved
        async with ctx.db.unit_of_work(write=False) as session:
            assert await wallet.balance(session, user_id, "EUR") == Money(expected, "EUR")
            assert expected >= 0
    await assert_reconciled(ctx)


async def test_refunding_a_spent_top_up_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    tokens = await signup(client)
    user_id = uuid.UUID(tokens["user"]["id"])
    created = await client.post(
        f"{API}/users/me/wallet/top-ups",
        json={"amount": {"amount": "30.00", "currency": "EUR"}},
        headers=bearer(tokens),
    )
    payment = await load(ctx, Payment, uuid.UUID(created.json()["id"]))
    await deliver(client, ctx, payment_event(ctx, payment, "succeeded"))
    await runner.drain()
    async with ctx.db.unit_of_work() as session:
        await wallet.debit(session, ACTOR, user_id=user_id, amount=Money(2500, "EUR"))
    admin = bearer(await make_admin(client, ctx))
    url = f"{API}/payments/{payment.id}/refunds"
    r = await client.post(url, json={}, headers=admin)  # 30.00 back to the card, but 25.00 is spent
    assert_problem(r, 409, "wallet.insufficient_funds")
    assert (await load(ctx, Payment, payment.id)).amount_refunded_minor == 0
    r = await client.post(url, json={"amount": {"amount": "5.00", "currency": "EUR"}}, headers=admin)
    assert r.status_code == 201, r.text
    async with ctx.db.unit_of_work(write=False) as session:
        assert await wallet.balance(session, user_id, "EUR") == Money(0, "EUR")
    await assert_reconciled(ctx)
