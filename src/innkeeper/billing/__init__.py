"""Billing: the money ledgers below bookings and payments: a booking's folio (charges, payments, refunds),
its invoices and credit notes (with their PDF), and the wallet ledger."""
