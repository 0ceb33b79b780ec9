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

ONE_DAY = timedelta(days=1)
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
    kind: str  # accommodation | time | addon | travel | loyalty | promo | vat | city_tax
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
    """A priced stay, or (``start`` set) a priced slot of an hourly resource (``pricing.hourly``): then
    ``accommodation`` is the slot's subtotal (time, add-ons, travel), ``guests`` its attendees,
    ``checkin``/``checkout`` the property-local dates of ``start``/``end``, ``nights`` empty and
    ``parts`` the time charge split at rate boundaries."""

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
    #: a slot's instants (aware, in the property's time zone) and its time parts (``pricing.hourly.Part``)
    start: datetime | None = None
    end: datetime | None = None
    parts: list[Any] = field(default_factory=list)

    @property
    def nightly_average(self) -> int:
        """Average price per room and night of the accommodation, rounded half-up."""
        return div_half_up(self.accommodation, (self.checkout - self.checkin).days * self.rooms)

    def money(self, minor: int) -> dict[str, str]:
        return Money(minor, self.currency).to_api()

    def to_api(self) -> dict[str, Any]:
        if self.start is not None and self.end is not None:
            return self._slot_to_api(self.start, self.end)
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

    def _slot_to_api(self, start: datetime, end: datetime) -> dict[str, Any]:
        """A slot's quote: no nights, rooms or nightly average; its instants and time parts instead."""
        return {
            "currency": self.currency,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "attendees": self.guests,
            "parts": [part.to_api(self.currency) for part in self.parts],
            "lines": [line.to_api(self.currency) for line in self.lines],
            "subtotal": self.money(self.accommodation),
            "discounts": self.money(self.discounts),
            "taxes": self.money(self.taxes),
            "total": self.money(self.total),
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
        self._memo: dict[tuple[Any, ...], Any] = {}
        #: (occupancy mapping, checkin, lead days, nights, plan) of the last call: search asks for the
        #: same plan once per room type of a property, with the very same occupancy mapping
        self._last_plan: tuple[Any, ...] | None = None

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

    def plan(
        self,
        checkin: date,
        *,
        room_type_id: Any,
        occupancy: dict[date, tuple[int, int]],
        lead_days: int,
        nights: int,
    ) -> tuple[tuple[tuple[int | None, int], ...], ...]:
        """Per night of the stay, the steps of the chosen rules as ``(override, factor_bp)`` pairs (what
        ``_apply_rules`` does with them), memoised: room types of a property share it."""
        last = self._last_plan
        if (
            last is not None
            and not self.scoped
            and last[0] is occupancy
            and last[1] == checkin
            and last[2] == lead_days
            and last[3] == nights
        ):
            return last[4]  # the previous room type's plan: same nights, occupancy and lead time
        occ = tuple(occupancy.get(checkin + timedelta(days=i), (0, 0)) for i in range(nights))
        key = ("plan", checkin, room_type_id if self.scoped else None, occ, lead_days, nights)
        steps: Any = self._memo.get(key)
        if steps is None:
            steps = tuple(
                tuple(
                    (None if rule.override_minor is None else int(rule.override_minor), rule.factor_bp)
                    for rule in self.select(
                        checkin + timedelta(days=i),
                        room_type_id=room_type_id,
                        occupancy=occ[i],
                        lead_days=lead_days,
                        nights=nights,
                    )
                )
                for i in range(nights)
            )
            self._memo[key] = steps
        self._last_plan = (occupancy, checkin, lead_days, nights, steps)
        return steps


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


def nightly_sum(
    grouped: RuleSet,
    *,
    room_type_id: Any,
    base_price_minor: int,
    day_prices: dict[date, int | None],
    occupancy: dict[date, tuple[int, int]],
    checkin: date,
    nights: int,
    lead_days: int,
) -> int:
    """Σ of the nightly prices of one room (no breakdown objects): the arithmetic of ``price_night``
    (``_apply_rules``) over the steps of :meth:`RuleSet.plan`."""
    plan = grouped.plan(
        checkin, room_type_id=room_type_id, occupancy=occupancy, lead_days=lead_days, nights=nights
    )
    total = 0
    night = checkin
    for steps in plan:
        day_price = day_prices.get(night)
        price = base_price_minor if day_price is None else day_price
        for override, factor_bp in steps:
            if override is not None:
                price = override
            else:
                product = price * factor_bp
                price = (2 * product + BP) // (2 * BP) if product >= 0 else apply_bp(price, factor_bp)
        total += price
        night += ONE_DAY
    return total


@dataclass(slots=True)
class StayAmounts:
    """Steps 7-11 for a stay, as integers (minor units): what a quote's lines are made of."""

    accommodation: int
    loyalty: int  # discount, >= 0
    promo: int  # discount, >= 0
    vat: int
    vat_included: bool
    city_tax: int
    taxed_nights: int

    @property
    def discounts(self) -> int:
        return self.loyalty + self.promo

    @property
    def taxes(self) -> int:
        return (0 if self.vat_included else self.vat) + self.city_tax

    @property
    def total(self) -> int:
        return self.accommodation - self.discounts + self.taxes


def stay_amounts(
    prop: Any, accommodation: int, *, nights: int, guests: int, loyalty_bp: int, promo: Promo | None
) -> StayAmounts:
    """Loyalty, promo, VAT and city tax on an accommodation amount, each rounded as it happens."""
    net = accommodation
    loyalty = 0
    if loyalty_bp and net > 0:
        loyalty = min(net, apply_bp(net, loyalty_bp))
        net -= loyalty
    promo_discount = 0
    if promo is not None and net > 0:
        if promo.kind == "percent":
            promo_discount = min(net, apply_bp(net, promo.percent_bp or 0))
        else:
            promo_discount = min(net, promo.amount_minor or 0)
        net -= promo_discount
    vat = 0
    vat_bp = prop.vat_bp
    included = bool(prop.vat_included)
    if vat_bp:
        if included:
            vat = net - round_half_up(Decimal(net) * BP / (BP + vat_bp))
        else:
            vat = apply_bp(net, vat_bp)
    city_tax = 0
    taxed_nights = 0
    if prop.city_tax_minor:
        taxed_nights = nights if prop.city_tax_max_nights is None else min(nights, prop.city_tax_max_nights)
        city_tax = prop.city_tax_minor * guests * taxed_nights
    return StayAmounts(accommodation, loyalty, promo_discount, vat, included, city_tax, taxed_nights)


def div_half_up(amount: int, divisor: int) -> int:
    """``amount / divisor`` rounded half-up (away from zero), exactly; integers for amount >= 0."""
    if amount >= 0 and divisor > 0:
        return (2 * amount + divisor) // (2 * divisor)
    return round_half_up(Decimal(amount) / divisor)


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

    ``detail=False`` skips the per-night breakdown objects; the arithmetic is the same code
    (:func:`nightly_sum` and :func:`stay_amounts`; search calls them through :func:`stay_totals`)."""
    currency = prop.currency
    grouped = rules if isinstance(rules, RuleSet) else RuleSet(rules)
    n = (checkout - checkin).days
    nights: list[Night] = []
    lead_days = (checkin - today).days
    if detail:
        nightly_total = 0
        for i in range(n):
            priced = price_night(
                checkin + timedelta(days=i),
                room_type=room_type,
                day_price=day_prices.get(checkin + timedelta(days=i)),
                grouped_rules=grouped,
                occupancy=occupancy.get(checkin + timedelta(days=i), (0, 0)),
                today=today,
                checkin=checkin,
                nights=n,
            )
            nights.append(priced)
            nightly_total += priced.price
    else:
        nightly_total = nightly_sum(
            grouped,
            room_type_id=room_type.id,
            base_price_minor=room_type.base_price_minor,
            day_prices=day_prices,
            occupancy=occupancy,
            checkin=checkin,
            nights=n,
            lead_days=lead_days,
        )
    quote = Quote(currency, checkin, checkout, rooms, guests, nights)
    quote.lines.append(Line("accommodation", f"{n} night(s) x {rooms} room(s)", nightly_total * rooms))
    finish_quote(quote, prop, nightly_total * rooms, nights=n, loyalty_tier=loyalty_tier, promo=promo)
    return quote


def finish_quote(
    quote: Quote, prop: Any, base: int, *, nights: int, loyalty_tier: str | None, promo: Promo | None
) -> None:
    """Loyalty, promo, VAT and (for stays) city tax on ``base`` (:func:`stay_amounts`), appended to
    ``quote.lines`` after its base lines, with its totals set: the one tail of every quote, a stay's
    (:func:`compute_quote`) or a slot's (``pricing.hourly.compute_slot_quote``, ``nights=0``: no city
    tax and no city tax line)."""
    guests = quote.guests
    loyalty_bp = LOYALTY_DISCOUNT_BP.get(loyalty_tier or "standard", 0)
    amounts = stay_amounts(prop, base, nights=nights, guests=guests, loyalty_bp=loyalty_bp, promo=promo)
    quote.accommodation = amounts.accommodation
    if loyalty_bp and amounts.accommodation > 0:
        quote.lines.append(Line("loyalty", f"{loyalty_tier} member discount", -amounts.loyalty))
    if promo is not None and amounts.accommodation - amounts.loyalty > 0:
        quote.lines.append(Line("promo", f"promo code {promo.code}", -amounts.promo))
        quote.promo_code = promo.code
    quote.discounts = amounts.discounts
    if prop.vat_bp:
        label = _vat_label(prop.vat_bp, amounts.vat_included)
        quote.lines.append(Line("vat", label, amounts.vat, included=amounts.vat_included))
    if prop.city_tax_minor and nights > 0:
        quote.lines.append(
            Line(
                "city_tax",
                f"city tax: {guests} guest(s) x {amounts.taxed_nights} night(s)",
                amounts.city_tax,
            )
        )
    quote.taxes = amounts.taxes
    quote.total = amounts.total


def stay_totals(
    *,
    prop: Any,
    room_type_id: Any,
    base_price_minor: int,
    day_prices: dict[date, int | None],
    occupancy: dict[date, tuple[int, int]],
    rules: RuleSet,
    checkin: date,
    nights: int,
    rooms: int,
    guests: int,
    lead_days: int,
    loyalty_bp: int,
) -> tuple[int, int]:
    """``(total, nightly_average)`` of :func:`compute_quote` without building the quote (search's hot
    path): the same two functions do the arithmetic, so the totals cannot differ (property-tested)."""
    accommodation = rooms * nightly_sum(
        rules,
        room_type_id=room_type_id,
        base_price_minor=base_price_minor,
        day_prices=day_prices,
        occupancy=occupancy,
        checkin=checkin,
        nights=nights,
        lead_days=lead_days,
    )
    amounts = stay_amounts(
        prop, accommodation, nights=nights, guests=guests, loyalty_bp=loyalty_bp, promo=None
    )
    return amounts.total, div_half_up(accommodation, nights * rooms)


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
