"""Checks on a requested stay shared by search, availability, quotes and (later) bookings: clear 422s."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from innkeeper.kit.errors import ValidationFailed


def _error(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}


def validate_stay(
    settings: Any, checkin: date, checkout: date, guests: int, rooms: int, *, today: date | None
) -> None:
    """``today`` is the property-local today (None in cross-property search: checked per property).

    Raises 422 ``stay.invalid`` with one entry per problem."""
    errors = []
    nights = (checkout - checkin).days
    if nights <= 0:
        errors.append(_error("checkout", "checkout must be after checkin", "date_order"))
    elif nights > settings.max_stay_nights:
        errors.append(
            _error("checkout", f"stays are at most {settings.max_stay_nights} nights", "stay_too_long")
        )
    if today is not None:
        if checkin < today:
            errors.append(
                _error(
                    "checkin",
                    f"checkin is in the past (today is {today.isoformat()} at the property)",
                    "date_past",
                )
            )
        last = today + timedelta(days=settings.inventory_horizon_days)
        if checkout > last:
            errors.append(_error("checkout", f"bookable until {last.isoformat()}", "date_beyond_horizon"))
    if rooms < 1 or rooms > settings.max_rooms_per_booking:
        errors.append(_error("rooms", f"rooms must be 1-{settings.max_rooms_per_booking}", "rooms_range"))
    if guests < 1 or guests > settings.max_guests:
        errors.append(_error("guests", f"guests must be 1-{settings.max_guests}", "guests_range"))
    elif rooms >= 1 and guests < rooms:
        errors.append(_error("guests", "at least one guest per room", "guests_per_room"))
    if errors:
        raise ValidationFailed("The stay is not valid", code="stay.invalid", errors=errors)


def guests_per_room(guests: int, rooms: int) -> int:
    return -(-guests // rooms)
