from __future__ import annotations

from innkeeper.kit.errors import Conflict, NotFound, ValidationFailed


class BookingNotFound(NotFound):
    code = "booking.not_found"
    title = "No such booking"


class IllegalTransition(Conflict):
    code = "booking.illegal_transition"
    title = "Not possible in the booking's current status"


class PriceChanged(Conflict):
    code = "booking.price_changed"
    title = "The price changed"


class BookingExpired(Conflict):
    code = "booking.expired"
    title = "The reservation has expired"
    keep_changes = True  # the lapsed hold found on the way is expired for good


class PropertyInactive(NotFound):
    code = "property.not_found"
    title = "No such property"


class InvalidBooking(ValidationFailed):
    code = "booking.invalid"
    title = "The booking request is not valid"


class RoomUnavailable(Conflict):
    code = "room.unavailable"
    title = "The room is not free for these dates"


class RoomNotReady(Conflict):
    code = "room.not_ready"
    title = "The room is not ready"


class NotAllowed(Conflict):
    code = "booking.not_allowed"
    title = "Not allowed by the property's policy"
