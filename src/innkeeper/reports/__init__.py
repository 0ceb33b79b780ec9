"""Reports: read-only figures across bookings, folios, payments and inventory (above every ledger)."""
