"""Audit log: who changed what, when, from where (invariant 9)."""
