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
