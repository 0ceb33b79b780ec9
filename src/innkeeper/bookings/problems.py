"""The problems booking routes answer, grouped for their ``responses=`` (``kit.problems``)."""

from __future__ import annotations

from innkeeper.bookings.errors import (
    BookingExpired,
    BookingNotFound,
    IllegalTransition,
    InvalidBooking,
    NotAllowed,
    PriceChanged,
    PropertyInactive,
)
from innkeeper.catalog.errors import ResourceNotFound, RoomTypeNotFound
from innkeeper.inventory.errors import (
    InvalidLocalTime,
    OutsideAvailability,
    OutsideHorizon,
    SlotUnavailable,
    Unavailable,
)
from innkeeper.kit.problems import ProblemSpec
from innkeeper.pricing.errors import (
    AddonUnknown,
    AddressRequired,
    CapacityExceeded,
    ModeUnavailable,
    PromoInvalid,
    SlotInvalid,
    TravelTooFar,
)

#: a booking the caller may not see (404), or may see but not act on with their role (403); an id
#: that is no UUID (422)
#: (401: a bearer token that is malformed, expired or revoked; a guest token or none is no 401)
SCOPED: tuple[ProblemSpec, ...] = (401, BookingNotFound, (403, "auth.role"), 422)
#: a staff-only route: a bearer token is required
STAFF: tuple[ProblemSpec, ...] = SCOPED
#: a change the booking's status or lapsed hold refuses
STATE: tuple[ProblemSpec, ...] = (IllegalTransition, BookingExpired)
#: why a stay cannot be sold as asked
UNSELLABLE: tuple[ProblemSpec, ...] = (
    Unavailable,
    (409, "inventory.restricted"),
    PriceChanged,
    NotAllowed,
    RoomTypeNotFound,
    PropertyInactive,
    InvalidBooking,
    PromoInvalid,
    OutsideHorizon,
)
#: why a slot cannot be sold as asked
SLOT_UNSELLABLE: tuple[ProblemSpec, ...] = (
    SlotUnavailable,
    OutsideAvailability,
    InvalidLocalTime,
    ResourceNotFound,
    AddonUnknown,
    AddressRequired,
    CapacityExceeded,
    ModeUnavailable,
    SlotInvalid,
    TravelTooFar,
)
