"""Ledger errors with stable codes."""

from __future__ import annotations

from innkeeper.kit.errors import Conflict


class InsufficientFunds(Conflict):
    code = "wallet.insufficient_funds"
    title = "Not enough money in the wallet"
