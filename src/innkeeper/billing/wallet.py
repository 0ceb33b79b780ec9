"""The wallet ledger: post entries, derive balances, reconcile.

Rules:

* Entries are append-only. The only change an entry ever sees is ``pending`` → ``completed`` or
  ``failed`` (a top-up waiting for its card payment).
* The account's ``balance_minor`` moves in the same transaction as a *completed* entry, by a
  conditional UPDATE (``… WHERE balance_minor + :delta >= 0``) after locking the account row (``FOR
  UPDATE`` on PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``). A CHECK constraint
  backs it, so no path can overdraw a wallet.
* :func:`reconcile` re-derives each balance from the ledger and reports any account that disagrees.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing.errors import InsufficientFunds
from innkeeper.billing.models import EntryKind, EntryStatus, WalletAccount, WalletEntry
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import insert_for
from innkeeper.kit.ids import new_id
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import AmountInvalid, MoneyIn


async def account(
    session: AsyncSession, user_id: uuid.UUID, currency: str, *, lock: bool = False
) -> WalletAccount:
    """The user's account in ``currency``, created on first use; ``lock`` takes its row lock."""
    stmt = insert_for(session, WalletAccount).values(
        id=new_id(),
        user_id=user_id,
        currency=currency,
        balance_minor=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "currency"]))
    query = select(WalletAccount).where(WalletAccount.user_id == user_id, WalletAccount.currency == currency)
    if lock:
        query = query.with_for_update()
    found = (await session.scalars(query.execution_options(populate_existing=True))).one()
    return found


async def find_account(session: AsyncSession, user_id: uuid.UUID, currency: str) -> WalletAccount | None:
    return await session.scalar(
        select(WalletAccount).where(WalletAccount.user_id == user_id, WalletAccount.currency == currency)
    )


async def _apply(session: AsyncSession, acct: WalletAccount, delta: int) -> None:
    result = await session.execute(
        update(WalletAccount)
        .where(WalletAccount.id == acct.id, WalletAccount.balance_minor + delta >= 0)
        .values(balance_minor=WalletAccount.balance_minor + delta, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        # no balance in the answer: staff taking a guest's wallet at the desk must not learn it
        raise InsufficientFunds(f"The wallet does not hold {Money(-delta, acct.currency)}")
    await session.refresh(acct)


async def post(
    session: AsyncSession,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    amount: Money,
    kind: EntryKind,
    status: EntryStatus = EntryStatus.completed,
    reference: tuple[str, Any] | None = None,
    memo: str | None = None,
) -> WalletEntry:
    """Append one entry (``amount`` signed: negative takes money out). Completed entries move the
    balance at once; an overdraft is ``wallet.insufficient_funds`` and nothing is written."""
    if amount.minor == 0:
        raise AmountInvalid("A wallet entry needs a non-zero amount")
    acct = await account(session, user_id, amount.currency, lock=True)
    if status == EntryStatus.completed:
        await _apply(session, acct, amount.minor)
    entry = WalletEntry(
        id=new_id(),
        account_id=acct.id,
        kind=kind.value,
        status=status.value,
        amount_minor=amount.minor,
        currency=amount.currency,
        reference_type=reference[0] if reference else None,
        reference_id=str(reference[1]) if reference else None,
        memo=memo,
        actor_user_id=actor.user_id,
        created_at=utcnow(),
        completed_at=utcnow() if status == EntryStatus.completed else None,
    )
    session.add(entry)
    await session.flush()
    record(
        session,
        actor,
        f"wallet.{kind.value}",
        "wallet_entry",
        entry.id,
        after={
            "user_id": str(user_id),
            "amount": amount.to_api(),
            "status": status.value,
            "reference": f"{reference[0]}:{reference[1]}" if reference else None,
            "memo": memo,
        },
    )
    return entry


async def debit(
    session: AsyncSession,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    amount: Money,
    reference: tuple[str, Any] | None = None,
    memo: str | None = None,
) -> WalletEntry:
    if amount.minor <= 0:
        raise AmountInvalid("The amount must be positive")
    return await post(
        session, actor, user_id=user_id, amount=-amount, kind=EntryKind.debit, reference=reference, memo=memo
    )


async def settle(session: AsyncSession, actor: Actor, entry_id: uuid.UUID, *, completed: bool) -> WalletEntry:
    """Complete (moving the balance) or fail a pending entry. Settled entries are left as they are."""
    entry = await session.get(WalletEntry, entry_id, with_for_update=True, populate_existing=True)
    if entry is None:
        raise LookupError(f"no wallet entry {entry_id}")
    if entry.status != EntryStatus.pending:
        return entry
    acct = await session.get(WalletAccount, entry.account_id, with_for_update=True, populate_existing=True)
    assert acct is not None
    if completed:
        await _apply(session, acct, entry.amount_minor)
    entry.status = (EntryStatus.completed if completed else EntryStatus.failed).value
    entry.completed_at = utcnow()
    record(
        session,
        actor,
        f"wallet.entry_{entry.status}",
        "wallet_entry",
        entry.id,
        before={"status": EntryStatus.pending.value},
        after={"status": entry.status},
    )
    return entry


async def adjust(
    session: AsyncSession, actor: Actor, *, user_id: uuid.UUID, amount: Money, reason: str
) -> WalletEntry:
    """A platform admin's correction (either sign); audited with the reason."""
    return await post(
        session,
        actor,
        user_id=user_id,
        amount=amount,
        kind=EntryKind.adjustment,
        reference=("admin", actor.user_id),
        memo=reason,
    )


async def balance(session: AsyncSession, user_id: uuid.UUID, currency: str) -> Money:
    acct = await find_account(session, user_id, currency)
    return Money(acct.balance_minor if acct else 0, currency)


def ledger_sum(account_id: Any) -> Any:
    return select(
        func.coalesce(
            func.sum(
                case((WalletEntry.status == EntryStatus.completed.value, WalletEntry.amount_minor), else_=0)
            ),
            0,
        )
    ).where(WalletEntry.account_id == account_id)


async def derived_balance(session: AsyncSession, account_id: uuid.UUID) -> int:
    return int(await session.scalar(ledger_sum(account_id)) or 0)


@dataclass(frozen=True)
class Mismatch:
    account_id: uuid.UUID
    user_id: uuid.UUID
    currency: str
    stored_minor: int
    ledger_minor: int


async def reconcile(session: AsyncSession) -> list[Mismatch]:
    """Every account whose stored balance differs from the sum of its completed entries."""
    ledger = (
        select(
            WalletEntry.account_id,
            func.sum(WalletEntry.amount_minor).label("total"),
        )
        .where(WalletEntry.status == EntryStatus.completed.value)
        .group_by(WalletEntry.account_id)
        .subquery()
    )
    rows = await session.execute(
        select(WalletAccount, func.coalesce(ledger.c.total, 0)).outerjoin(
            ledger, ledger.c.account_id == WalletAccount.id
        )
    )
    return [
        Mismatch(acct.id, acct.user_id, acct.currency, acct.balance_minor, int(total))
        for acct, total in rows.all()
        if acct.balance_minor != int(total)
    ]


async def statement(
    session: AsyncSession, user_id: uuid.UUID, currency: str, *, limit: int, offset: int
) -> tuple[list[WalletEntry], int]:
    acct = await find_account(session, user_id, currency)
    if acct is None:
        return [], 0
    base = select(WalletEntry).where(WalletEntry.account_id == acct.id)
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = await session.scalars(
        base.order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.all()), total


async def currencies(session: AsyncSession, user_id: uuid.UUID) -> list[WalletAccount]:
    return list(
        (
            await session.scalars(
                select(WalletAccount).where(WalletAccount.user_id == user_id).order_by(WalletAccount.currency)
            )
        ).all()
    )


async def currency_of(session: AsyncSession, user_id: uuid.UUID, money: MoneyIn, default: str) -> str:
    """The wallet a money input is for: the currency it names, else (a bare amount) the user's only
    wallet's currency, else ``default`` (``INNKEEPER_WALLET_DEFAULT_CURRENCY``)."""
    if money.currency is not None:
        return money.currency
    accounts = await currencies(session, user_id)
    return accounts[0].currency if len(accounts) == 1 else default
