from __future__ import annotations

from innkeeper.kit.errors import Conflict, NotFound, ValidationFailed


class PromoInvalid(ValidationFailed):
    code = "pricing.promo_invalid"
    title = "Promo code not valid"


class RuleNotFound(NotFound):
    code = "pricing.rule_not_found"
    title = "No such rate rule"


class PromoNotFound(NotFound):
    code = "pricing.promo_not_found"
    title = "No such promo code"


class PromoExists(Conflict):
    code = "pricing.promo_exists"
    title = "A promo code with this name exists"


# -- hourly resources (pricing.hourly) -----------------------------------------------------------------------


class RateNotFound(NotFound):
    code = "pricing.rate_not_found"
    title = "No such resource rate"


class AddonUnknown(ValidationFailed):
    code = "addon.unknown"
    title = "Unknown add-on"


class CapacityExceeded(ValidationFailed):
    code = "slot.capacity"
    title = "More attendees than the resource takes"


class TravelTooFar(ValidationFailed):
    code = "slot.travel_too_far"
    title = "The address is beyond the travel distance"


class ModeUnavailable(ValidationFailed):
    code = "slot.mode_unavailable"
    title = "The resource is not offered in this mode"


class AddressRequired(ValidationFailed):
    code = "slot.address_required"
    title = "Travel needs an address with coordinates"


class SlotInvalid(ValidationFailed):
    code = "slot.invalid"
    title = "The time range is not valid"
