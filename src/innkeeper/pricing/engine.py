"""The pricing computation: one pure function that every caller goes through.

``compute_quote`` takes everything it needs already loaded (the property's tax terms, the room type,
its inventory days, the property's occupancy per night, the rate rules, the promo code, the guest's
loyalty tier and the property-local "today") and returns a :class:`Quote`. ``pricing.service.quote``
loads those inputs for one room type; search, availability and calendar load them in batches for many
room types and call the same function, so their prices cannot drift apart.

Order (documented in docs/catalog.md):

per night, for one room: the day's rate (inventory price, else the room type's base price)
  → season (the highest-priority matching season: override or multiplier)
  → day of week → occupancy tier → lead time → length of stay (each: the best matching rule of that
    kind, one per kind, multiplier)
for the stay: accommodation = Σ nights x rooms
  → loyalty discount (percent of the accommodation)
  → promo code (percent of what is left, or a fixed amount capped at what is left)
  → VAT (percent of the net, added unless the property quotes VAT-inclusive)
  → city tax (per person per night, capped at N nights)

Every step rounds half-up to the currency's minor unit: rounding is per line, never at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from innkeeper.kit.money import Money, round_half_up

BP = 10_000  # basis points: 10000 = x1.0 = 100 %

#: loyalty tier → discount in basis points (User.loyalty_tier)
LOYALTY_DISCOUNT_BP = {"standard": 0, "silver": 500, "gold": 1000, "platinum": 1500}

RULE_ORDER = ("season", "weekday", "occupancy", "lead_time", "length_of_stay")


def apply_bp(amount: int, bp: int) -> int:
    """``amount x bp / 10000`` rounded half-up (away from zero) to the minor unit, exactly.

    Integer arithmetic for the usual non-negative case (same result as ``round_half_up``, much faster)."""
    product = amount * bp
    if product >= 0:
        return (2 * product + BP) // (2 * BP)
    return round_half_up(Decimal(product) / BP)


@dataclass(slots=True)
class Adjustment:
    kind: str
    name: str
    rule_id: Any
    amount: int  # signed change in minor units
    factor_bp: int | None = None
    override: int | None = None

    def to_api(self, currency: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "rule_id": None if self.rule_id is None else str(self.rule_id),
            "amount": Money(self.amount, currency).to_api(),
        }
        if self.factor_bp is not None:
            out["factor"] = str(Decimal(self.factor_bp) / BP)
        if self.override is not None:
            out["override"] = Money(self.override, currency).to_api()
        return out


@dataclass(slots=True)
class Night:
    date: date
    base: int
    adjustments: list[Adjustment]
    price: int  # one room, after the rules

    def to_api(self, currency: str) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "base": Money(self.base, currency).to_api(),
            "adjustments": [a.to_api(currency) for a in self.adjustments],
            "price": Money(self.price, currency).to_api(),
        }


@dataclass
class Line:
    kind: str  # accommodation | loyalty | promo | vat | city_tax
    description: str
    amount: int
    included: bool = False  # VAT already inside the price: shown, not added

    def to_api(self, currency: str) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "amount": Money(self.amount, currency).to_api(),
            "included_in_price": self.included,
        }


@dataclass
class Quote:
    currency: str
    checkin: date
    checkout: date
    rooms: int
    guests: int
    nights: list[Night]
    lines: list[Line] = field(default_factory=list)
    accommodation: int = 0
    discounts: int = 0
    taxes: int = 0
    total: int = 0
    promo_code: str | None = None

    @property
    def nightly_average(self) -> int:
        """Average price per room and night of the accommodation, rounded half-up."""
        return round_half_up(Decimal(self.accommodation) / ((self.checkout - self.checkin).days * self.rooms))

    def money(self, minor: int) -> dict[str, str]:
        return Money(minor, self.currency).to_api()

    def to_api(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "checkin": self.checkin.isoformat(),
            "checkout": self.checkout.isoformat(),
            "rooms": self.rooms,
            "guests": self.guests,
            "nights": [n.to_api(self.currency) for n in self.nights],
            "lines": [line.to_api(self.currency) for line in self.lines],
            "accommodation": self.money(self.accommodation),
            "discounts": self.money(self.discounts),
            "taxes": self.money(self.taxes),
            "total": self.money(self.total),
            "nightly_average": self.money(self.nightly_average),
            "promo_code": self.promo_code,
        }


def _rule_matches(
    rule: Any, night: date, *, room_type_id: Any, occupancy: tuple[int, int], lead_days: int, nights: int
) -> bool:
    if rule.room_type_id is not None and rule.room_type_id != room_type_id:
        return False
    if rule.start_date is not None and night < rule.start_date:
        return False
    if rule.end_date is not None and night >= rule.end_date:
        return False
    if rule.weekdays is not None and not (rule.weekdays >> night.weekday()) & 1:
        return False
    if rule.kind == "occupancy":
        occupied, total = occupancy
        # strictly above the threshold: "above 80 %"
        if total <= 0 or occupied * 100 <= (rule.min_occupancy_pct or 0) * total:
            return False
    if rule.kind == "lead_time":
        if rule.min_lead_days is not None and lead_days < rule.min_lead_days:
            return False
        if rule.max_lead_days is not None and lead_days > rule.max_lead_days:
            return False
    return not (rule.kind == "length_of_stay" and nights < (rule.min_nights or 1))


def _specificity(rule: Any) -> tuple[int, int]:
    """Among matching rules of one kind: highest priority first, then the most specific tier."""
    tier = rule.min_occupancy_pct or rule.min_nights or 0
    return (rule.priority, tier)


class RuleSet:
    """A property's active rules grouped by kind in the order they are tried, plus a memo of which rules
    a night selects: selection does not depend on the price, so room types share it (unless a rule is
    scoped to one room type)."""

    def __init__(self, rules: list[Any]) -> None:
        self.by_kind: dict[str, list[Any]] = {kind: [] for kind in RULE_ORDER}
        self.scoped = False
        for rule in rules:
            if rule.is_active and rule.kind in self.by_kind:
                self.by_kind[rule.kind].append(rule)
                self.scoped = self.scoped or rule.room_type_id is not None
        for kinds in self.by_kind.values():
            if len(kinds) > 1:
                kinds.sort(key=_specificity, reverse=True)
        self._memo: dict[tuple[Any, ...], list[Any]] = {}

    def select(
        self, night: date, *, room_type_id: Any, occupancy: tuple[int, int], lead_days: int, nights: int
    ) -> list[Any]:
        """The rule of each kind that applies to this night (at most one per kind), in order."""
        key = (night, room_type_id if self.scoped else None, occupancy, lead_days, nights)
        chosen = self._memo.get(key)
        if chosen is None:
            chosen = []
            for kind in RULE_ORDER:
                for rule in self.by_kind[kind]:
                    if _rule_matches(
                        rule,
                        night,
                        room_type_id=room_type_id,
                        occupancy=occupancy,
                        lead_days=lead_days,
                        nights=nights,
                    ):
                        chosen.append(rule)
                        break  # one rule per kind
            self._memo[key] = chosen
        return chosen


def rules_by_kind(rules: list[Any]) -> RuleSet:
    return RuleSet(rules)


def _apply_rules(base: int, chosen: list[Any], adjustments: list[Adjustment] | None) -> int:
    """Run the chosen rules over the night's rate, rounding each step; record them when asked."""
    price = base
    for rule in chosen:
        new = int(rule.override_minor) if rule.override_minor is not None else apply_bp(price, rule.factor_bp)
        if adjustments is not None:
            adjustments.append(
                Adjustment(rule.kind, rule.name, rule.id, new - price, rule.factor_bp, rule.override_minor)
            )
        price = new
    return price


def price_night(
    night: date,
    *,
    room_type: Any,
    day_price: int | None,
    grouped_rules: RuleSet,
    occupancy: tuple[int, int],
    today: date,
    checkin: date,
    nights: int,
) -> Night:
    """The price of one room for one night, with the rules that made it."""
    base = day_price if day_price is not None else room_type.base_price_minor
    chosen = grouped_rules.select(
        night, room_type_id=room_type.id, occupancy=occupancy, lead_days=(checkin - today).days, nights=nights
    )
    applied: list[Adjustment] = []
    price = _apply_rules(base, chosen, applied)
    return Night(night, base, applied, price)


@dataclass
class Promo:
    """A promo code already checked for validity (window, usage, scope)."""

    code: str
    kind: str  # percent | fixed
    percent_bp: int | None
    amount_minor: int | None


@lru_cache(maxsize=256)
def _vat_label(vat_bp: int, included: bool) -> str:
    return f"VAT {Decimal(vat_bp) / 100}%" + (" (included)" if included else "")


def compute_quote(
    *,
    prop: Any,
    room_type: Any,
    day_prices: dict[date, int | None],
    occupancy: dict[date, tuple[int, int]],
    rules: list[Any] | RuleSet,
    checkin: date,
    checkout: date,
    rooms: int,
    guests: int,
    today: date,
    loyalty_tier: str | None = None,
    promo: Promo | None = None,
    detail: bool = True,
) -> Quote:
    """Price a stay. Pure: same inputs, same quote. The caller has checked availability.

    ``detail=False`` (search) skips the per-night breakdown objects; the arithmetic is the same code."""
    currency = prop.currency
    grouped = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    n = (checkout - checkin).days
    nights: list[Night] = []
    nightly_sum = 0
    lead_days = (checkin - today).days
    for i in range(n):
        night = checkin + timedelta(days=i)
        if detail:
            priced = price_night(
                night,
                room_type=room_type,
                day_price=day_prices.get(night),
                grouped_rules=grouped,
                occupancy=occupancy.get(night, (0, 0)),
                today=today,
                checkin=checkin,
                nights=n,
            )
            nights.append(priced)
            nightly_sum += priced.price
        else:
            day_price = day_prices.get(night)
            base = day_price if day_price is not None else room_type.base_price_minor
            chosen = grouped.select(
                night,
                room_type_id=room_type.id,
                occupancy=occupancy.get(night, (0, 0)),
                lead_days=lead_days,
                nights=n,
            )
            nightly_sum += _apply_rules(base, chosen, None)
    quote = Quote(currency, checkin, checkout, rooms, guests, nights)
    accommodation = nightly_sum * rooms
    quote.accommodation = accommodation
    quote.lines.append(Line("accommodation", f"{n} night(s) x {rooms} room(s)", accommodation))
    net = accommodation

    loyalty_bp = LOYALTY_DISCOUNT_BP.get(loyalty_tier or "standard", 0)
    if loyalty_bp and net > 0:
        discount = min(net, apply_bp(net, loyalty_bp))
        quote.lines.append(Line("loyalty", f"{loyalty_tier} member discount", -discount))
        net -= discount
    if promo is not None and net > 0:
        if promo.kind == "percent":
            discount = min(net, apply_bp(net, promo.percent_bp or 0))
        else:
            discount = min(net, promo.amount_minor or 0)
        quote.lines.append(Line("promo", f"promo code {promo.code}", -discount))
        quote.promo_code = promo.code
        net -= discount
    quote.discounts = accommodation - net

    taxes = 0
    if prop.vat_bp:
        if prop.vat_included:
            vat = net - round_half_up(Decimal(net) * BP / (BP + prop.vat_bp))
            quote.lines.append(Line("vat", _vat_label(prop.vat_bp, True), vat, included=True))
        else:
            vat = apply_bp(net, prop.vat_bp)
            quote.lines.append(Line("vat", _vat_label(prop.vat_bp, False), vat))
            taxes += vat
    if prop.city_tax_minor:
        taxed_nights = n if prop.city_tax_max_nights is None else min(n, prop.city_tax_max_nights)
        city_tax = prop.city_tax_minor * guests * taxed_nights
        quote.lines.append(
            Line("city_tax", f"city tax: {guests} guest(s) x {taxed_nights} night(s)", city_tax)
        )
        taxes += city_tax
    quote.taxes = taxes
    quote.total = net + taxes
    return quote


def promo_usable(promo: Any, *, property_id: Any, currency: str, now: datetime) -> str | None:
    """Why ``promo`` cannot be used here and now, or None when it can."""
    if promo is None or not promo.is_active:
        return "unknown or inactive code"
    if promo.property_id is not None and promo.property_id != property_id:
        return "unknown or inactive code"
    if promo.valid_from is not None and now < promo.valid_from:
        return "the code is not valid yet"
    if promo.valid_until is not None and now >= promo.valid_until:
        return "the code has expired"
    if promo.max_uses is not None and promo.used_count >= promo.max_uses:
        return "the code has been used up"
    if promo.kind == "fixed" and promo.currency != currency:
        return f"the code is not valid for prices in {currency}"
    return None
