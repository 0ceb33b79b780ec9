"""Reviews, favorites and the loyalty ledger."""
