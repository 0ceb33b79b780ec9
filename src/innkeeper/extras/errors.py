"""The problems of the service catalog and service orders (stable codes, ``kit.errors``)."""

from __future__ import annotations

from typing import Any

from innkeeper.kit.errors import AppError, Conflict, NotFound, ValidationFailed


class ServiceNotFound(NotFound):
    code = "service.not_found"
    title = "No such service"


class ServiceCodeTaken(Conflict):
    code = "service.code_taken"
    title = "The property has a service with this code"


class ServiceInvalid(ValidationFailed):
    code = "service.invalid"
    title = "The service is not valid"


class ServiceNotAvailableNow(Conflict):
    """The booking's status, the service's pre-stay/in-stay flags, its lead time, opening hours or
    daily cut-off refuse the order as asked."""

    code = "service.not_available_now"
    title = "The service cannot be ordered now"


class OrderNotFound(NotFound):
    code = "service_order.not_found"
    title = "No such service order"


class OrderInvalid(ValidationFailed):
    code = "service_order.invalid"
    title = "The service order is not valid"


class OrderIllegalTransition(Conflict):
    code = "service_order.illegal_transition"
    title = "Not possible in the order's current status"


class OpenServiceOrders(Conflict):
    """Raised from the ``BookingChanged`` reaction: a booking does not check out while an order of it
    is requested, accepted or in progress."""

    code = "checkout.open_service_orders"
    title = "The booking has open service orders"


def field_error(error: type[AppError], field: str, message: str, **extra: Any) -> AppError:
    """``error`` with one ``errors`` entry naming ``field`` (what a 422 carries)."""
    return error(message, errors=[{"field": field, "message": message, "type": error.code}], **extra)
