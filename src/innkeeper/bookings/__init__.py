"""The booking aggregate: holds, lifecycle, guests, idempotency, modify, cancel, room assignment."""
