"""The wallet's answers: its ledger entries, the balance, and the reconciliation of balances."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from innkeeper.billing.models import WalletEntry
from innkeeper.kit.outputs import Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut


class EntryOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    amount: MoneyOut
    reference_type: str | None
    reference_id: str | None
    memo: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, entry: WalletEntry) -> EntryOut:
        return cls(
            id=entry.id,
            kind=entry.kind,
            status=entry.status,
            amount=MoneyOut(**entry.amount.to_api()),
            reference_type=entry.reference_type,
            reference_id=entry.reference_id,
            memo=entry.memo,
            created_at=entry.created_at,
            completed_at=entry.completed_at,
        )


class WalletOut(ListOf[EntryOut]):
    """A page of the ledger of one currency, newest first, with that currency's balance."""

    balance: MoneyOut = Field(description="Derived from the completed ledger entries")
    balances: list[MoneyOut] = Field(description="Every currency the user holds")


class WalletMismatchOut(Out):
    account_id: uuid.UUID
    user_id: uuid.UUID
    stored: MoneyOut
    ledger: MoneyOut


class WalletReconcileOut(Out):
    ok: bool = Field(description="Every stored balance equals its ledger")
    mismatches: list[WalletMismatchOut]
