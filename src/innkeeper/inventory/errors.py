from __future__ import annotations

from innkeeper.kit.errors import Conflict, NotFound, ValidationFailed


class BelowSold(Conflict):
    code = "inventory.below_sold"
    title = "Rooms already sold or held on these dates"


class Unavailable(Conflict):
    code = "inventory.unavailable"
    title = "Not available for these dates"


class OutsideHorizon(ValidationFailed):
    code = "inventory.outside_horizon"
    title = "Dates outside the bookable horizon"


# -- hourly resources ------------------------------------------------------------------------------------


class SlotUnavailable(Unavailable):
    """The buffered range overlaps another active booking of the resource (the database said so), or
    is no longer open. A kind of :class:`Unavailable`: whatever catches "not free" catches both."""

    code = "slot.unavailable"
    title = "This time is already booked"


class OutsideAvailability(ValidationFailed):
    """Outside the windows and exceptions, too soon (notice), too far (horizon), or a duration the
    resource does not sell (below the minimum, above the maximum, off the step)."""

    code = "slot.outside_availability"
    title = "Not bookable at this time"


class InvalidLocalTime(ValidationFailed):
    code = "time.nonexistent"
    title = "This local time does not exist (the clocks skip it)"


class ExceptionNotFound(NotFound):
    code = "resource_exception.not_found"
    title = "No such exception"


class ClosesBookedTime(Conflict):
    code = "resource_exception.booked"
    title = "The time to close holds an active booking"
