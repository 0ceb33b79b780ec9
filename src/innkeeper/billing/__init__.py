"""Billing: the wallet ledger (folios and invoices join later)."""
