"""Booking use cases, one module each: create, guests, confirm/cancel, modify, stay (rooms, check-in/out)."""
