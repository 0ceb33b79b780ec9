from __future__ import annotations

from innkeeper.kit.errors import Conflict, ValidationFailed


class BelowSold(Conflict):
    code = "inventory.below_sold"
    title = "Rooms already sold or held on these dates"


class Unavailable(Conflict):
    code = "inventory.unavailable"
    title = "Not available for these dates"


class OutsideHorizon(ValidationFailed):
    code = "inventory.outside_horizon"
    title = "Dates outside the bookable horizon"
