"""Booking metrics (kit.metrics) counted from BookingChanged events."""
