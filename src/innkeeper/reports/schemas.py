"""The reports' answers (built as dicts by ``reports.payments``)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from innkeeper.kit.outputs import Day, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut


class PaymentsDayOut(Out):
    """Money in and out on one UTC day through one provider, in one currency."""

    date: Day
    provider: str = Field(examples=["stripe"])
    currency: str
    payments: MoneyOut
    payments_count: int
    refunds: MoneyOut
    refunds_count: int
    net: MoneyOut


class PaymentsReportOut(ListOf[PaymentsDayOut]):
    model_config = ConfigDict(populate_by_name=True)

    from_: Day = Field(alias="from")
    to: Day = Field(description="Exclusive")


class FindingOut(Out):
    kind: str = Field(examples=["folio_payments"])
    subject: str = Field(description="The booking's or the wallet account's id")
    expected: str
    found: str


class ReconcileOut(Out):
    ok: bool = Field(description="Every ledger agrees")
    bookings_checked: int
    findings: list[FindingOut]
