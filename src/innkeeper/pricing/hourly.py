"""The unit pricer of hourly resources (halls, meeting rooms, professionals): a slot's quote.

:func:`compute_slot_quote` is pure, like ``engine.compute_quote``: the booking prices with it (through
:func:`quote_slot`); the public slots list and the resource search show :class:`ListedPrices`, the same
arithmetic without building quotes (property-tested equal), so a price shown is the price booked.
Order (docs/hourly.md, "Pricing"):

1. time: the booked range ``[start, end)`` split at the rate boundaries, one ``time`` line per part;
2. add-ons, one ``addon`` line each: ``per_booking`` x quantity, ``per_hour`` x hours x quantity,
   ``per_person`` x attendees x quantity;
3. travel (mode ``travel``): base fee + per km, the distance rounded *up* to 0.1 km; refused past
   ``max_km``;
4. the shared tail ``engine.finish_quote`` on the sum: loyalty, promo code, VAT (no city tax: a slot has
   no nights), each rounded half-up as it happens.

**Rates.** A rate applies to a minute whose property-local weekday is in its ``weekdays`` (bit i =
weekday i, Monday 0; NULL = every day) and whose local minute-of-day is in ``[start_minute,
end_minute)`` (NULL = from midnight / to midnight). Of the rates that apply, the most specific wins: the
fewest weekdays, then the shortest daily range, then the newest (ids are time-ordered). Its price is
``hourly_price_minor``, or ``percent`` of the resource's hourly price (150 = x1.5); with no rate, the
resource's hourly price.

**Time is real time.** Every real elapsed minute of the range is charged at the rate of the wall-clock
time it has in the property's time zone: 01:00-04:00 on the night the clocks go back is four real hours
(01:00-02:00 twice), on the night they go forward two. A part's amount is ``hourly price x minutes / 60``
rounded half-up once per line (a percent rate: ``resource price x percent x minutes / 6000``, one
rounding, no rounded intermediate price).
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from math import gcd
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property, Resource
from innkeeper.catalog.resources import addons_of
from innkeeper.identity.models import User
from innkeeper.inventory.hourly import ONE_MINUTE, SlotGrid, slot_pricer
from innkeeper.inventory.hourly_models import MINUTES_PER_DAY
from innkeeper.kit.clock import utcnow
from innkeeper.kit.geo import haversine_km
from innkeeper.kit.money import Money
from innkeeper.pricing.engine import (
    LOYALTY_DISCOUNT_BP,
    Line,
    Promo,
    Quote,
    div_half_up,
    finish_quote,
    stay_amounts,
)
from innkeeper.pricing.errors import (
    AddonUnknown,
    AddressRequired,
    CapacityExceeded,
    ModeUnavailable,
    SlotInvalid,
    TravelTooFar,
)
from innkeeper.pricing.models import ResourceRate
from innkeeper.pricing.service import find_promo

MODES = ("on_site", "travel", "online")
#: travel distances are charged per started 0.1 km
DISTANCE_STEP_KM = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class AddonChoice:
    """An add-on the customer asked for: its code and how many."""

    code: str
    quantity: int = 1


@dataclass(slots=True)
class Part:
    """A run of the booked range charged at one hourly price."""

    start: datetime  # aware, in the property's time zone
    end: datetime
    minutes: int  # real elapsed minutes
    hourly_price: int  # minor units, rounded half-up (shown; the amount is computed unrounded)
    amount: int
    rate_id: Any  # None: the resource's own hourly price

    def to_api(self, currency: str) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "minutes": self.minutes,
            "hourly_price": Money(self.hourly_price, currency).to_api(),
            "amount": Money(self.amount, currency).to_api(),
            "rate_id": None if self.rate_id is None else str(self.rate_id),
        }


# -- rates --------------------------------------------------------------------------------------------------


def rate_span(rate: Any) -> tuple[int, int]:
    """The local minutes of the day ``[from, to)`` a rate covers."""
    low = 0 if rate.start_minute is None else int(rate.start_minute)
    high = MINUTES_PER_DAY if rate.end_minute is None else int(rate.end_minute)
    return low, high


def _specificity(rate: Any) -> tuple[int, int]:
    low, high = rate_span(rate)
    days = 7 if rate.weekdays is None else bin(rate.weekdays).count("1")
    return days, high - low


def rank_rates(rates: Sequence[Any]) -> list[Any]:
    """The rates, most specific first (fewest weekdays, shortest range, newest): the first that
    applies to a minute wins."""
    newest_first = sorted(rates, key=lambda r: str(r.id), reverse=True)
    return sorted(newest_first, key=_specificity)  # stable: ties stay newest first


def rate_at(ranked: Sequence[Any], weekday: int, minute: int) -> Any:
    """The winning rate for a local weekday (Monday 0) and minute of the day, or None."""
    for rate in ranked:
        low, high = rate_span(rate)
        if low <= minute < high and (rate.weekdays is None or (rate.weekdays >> weekday) & 1):
            return rate
    return None


def rate_edges(ranked: Sequence[Any]) -> list[int]:
    """Every local minute of the day where the winning rate may change (midnight included)."""
    edges = {0, MINUTES_PER_DAY}
    for rate in ranked:
        edges.update(rate_span(rate))
    return sorted(edges)


def _first_offset_change(start: datetime, minutes: int, tz: tzinfo) -> int | None:
    """The first whole minute ``k`` in ``1..minutes-1`` after ``start`` (in UTC) whose UTC offset in
    ``tz`` differs from ``start``'s (a DST change), or None. Assumes at most one change: callers pass
    less than a day."""
    offset = start.astimezone(tz).utcoffset()
    if minutes <= 1 or (start + (minutes - 1) * ONE_MINUTE).astimezone(tz).utcoffset() == offset:
        return None
    low, high = 1, minutes - 1  # the answer is in [low, high]
    while low < high:
        mid = (low + high) // 2
        if (start + mid * ONE_MINUTE).astimezone(tz).utcoffset() == offset:
            low = mid + 1
        else:
            high = mid
    return low


def split_by_rates(
    start: datetime, end: datetime, tz: tzinfo, ranked: Sequence[Any]
) -> list[tuple[datetime, datetime, Any]]:
    """``[start, end)`` as runs of real time with one winning rate each: ``(from, to, rate)``, the
    instants in UTC. A run ends at a rate boundary, at local midnight or at a DST change, and
    adjacent runs with the same rate are merged."""
    edges = rate_edges(ranked)
    runs: list[tuple[datetime, datetime, Any]] = []
    # in UTC: arithmetic between datetimes of one ZoneInfo is wall-clock arithmetic, wrong across DST
    t, end = start.astimezone(UTC), end.astimezone(UTC)
    while t < end:
        local = t.astimezone(tz)
        minute = local.hour * 60 + local.minute
        step = edges[bisect_right(edges, minute)] - minute  # wall minutes to the next boundary
        step = min(step, int((end - t) / ONE_MINUTE))
        change = _first_offset_change(t, step, tz)
        if change is not None:
            step = change
        rate = rate_at(ranked, local.weekday(), minute)
        stop = t + step * ONE_MINUTE
        if runs and runs[-1][2] is rate:
            runs[-1] = (runs[-1][0], stop, rate)
        else:
            runs.append((t, stop, rate))
        t = stop
    return runs


def _hourly_fraction(base_minor: int, rate: Any) -> tuple[int, int]:
    """The hourly price of a run at ``rate`` (None: the resource's ``base_minor``) as ``numerator /
    denominator`` minor units (exact, unrounded)."""
    if rate is None:
        return base_minor, 1
    if rate.hourly_price_minor is not None:
        return int(rate.hourly_price_minor), 1
    return base_minor * int(rate.percent), 100


class RateTerms(NamedTuple):
    """What a rate says about prices (no id): two resources whose ranked rates have the same terms have
    the same prices at every minute (:func:`week_prices`)."""

    weekdays: int | None
    start_minute: int | None
    end_minute: int | None
    hourly_price_minor: int | None
    percent: int | None


class RateCard(NamedTuple):
    """What pricing works out of a resource's rates before pricing a slot: the rates ranked
    (:func:`rank_rates`), their :func:`rate_edges` and their terms (the key of :func:`week_prices`).
    Resource search keeps one per resource with its cached rates."""

    ranked: list[Any]
    edges: list[int]
    terms: tuple[RateTerms, ...]


def rate_card(rates: Sequence[Any]) -> RateCard:
    ranked = rank_rates(rates)
    terms = tuple(
        RateTerms(r.weekdays, r.start_minute, r.end_minute, r.hourly_price_minor, r.percent) for r in ranked
    )
    return RateCard(ranked, rate_edges(ranked), terms)


@lru_cache(maxsize=4096)
def week_prices(base_minor: int, ranked: tuple[RateTerms, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each weekday (Monday 0), the hourly price (:func:`_hourly_fraction`) of each interval between
    :func:`rate_edges` of ``ranked``. Cached by terms: search prices hundreds of resources a request,
    and their rates are alike (working out a weekday's winners was a tenth of a search's time)."""
    edges = rate_edges(ranked)
    return tuple(
        tuple(_hourly_fraction(base_minor, rate) for rate in _rates_by_edge(ranked, edges, weekday))
        for weekday in range(7)
    )


def time_parts(
    resource: Any, ranked: Sequence[Any], start: datetime, end: datetime, tz: tzinfo
) -> list[Part]:
    """The time charge of ``[start, end)``, one priced :class:`Part` per run of one rate."""
    parts = []
    for run_start, run_end, rate in split_by_rates(start, end, tz, ranked):
        minutes = int((run_end - run_start) / ONE_MINUTE)
        numerator, denominator = _hourly_fraction(int(resource.hourly_price_minor), rate)
        amount = div_half_up(numerator * minutes, denominator * 60)
        hourly = div_half_up(numerator, denominator)
        local_start, local_end = run_start.astimezone(tz), run_end.astimezone(tz)
        parts.append(Part(local_start, local_end, minutes, hourly, amount, None if rate is None else rate.id))
    return parts


# -- add-ons and travel -------------------------------------------------------------------------------------


def addon_lines(
    addon_catalog: Sequence[Any],
    chosen: Sequence[AddonChoice],
    *,
    minutes: int,
    attendees: int,
    currency: str,
) -> list[Line]:
    """One ``addon`` line per chosen add-on; a code the resource does not offer is 422 ``addon.unknown``."""
    by_code = {addon.code: addon for addon in addon_catalog}
    lines = []
    for i, choice in enumerate(chosen):
        addon = by_code.get(choice.code)
        if addon is None:
            message = f"the resource has no add-on {choice.code!r}"
            raise AddonUnknown(
                message, errors=[{"field": f"addons.{i}.code", "message": message, "type": "addon.unknown"}]
            )
        if choice.quantity < 1:
            raise SlotInvalid(f"add-on {choice.code}: quantity must be at least 1")
        price = Money(int(addon.price_minor), currency)
        if addon.unit == "per_hour":
            amount = div_half_up(price.minor * choice.quantity * minutes, 60)
            what = f"{choice.quantity} x {price}/h x {minutes} min"
        elif addon.unit == "per_person":
            amount = price.minor * choice.quantity * attendees
            what = f"{choice.quantity} x {price} x {attendees} attendee(s)"
        else:  # per_booking
            amount = price.minor * choice.quantity
            what = f"{choice.quantity} x {price}"
        lines.append(Line("addon", f"{addon.name}: {what}", amount))
    return lines


def charged_km(distance_km: float) -> Decimal:
    """The distance charged: rounded up to the next 0.1 km (a started tenth counts)."""
    return Decimal(repr(distance_km)).quantize(DISTANCE_STEP_KM, rounding=ROUND_CEILING)


def travel_line(travel: Mapping[str, Any], distance_km: float, currency: str) -> Line:
    """Base fee + per km x the charged distance (half-up); past ``max_km`` 422 ``slot.travel_too_far``."""
    max_km = travel.get("max_km")
    if max_km is not None and Decimal(repr(distance_km)) > Decimal(str(max_km)):
        message = f"the address is {distance_km:.1f} km away; the resource travels at most {max_km} km"
        raise TravelTooFar(
            message, errors=[{"field": "address", "message": message, "type": "slot.travel_too_far"}]
        )
    km = charged_km(distance_km)
    base = int(travel.get("base_fee_minor") or 0)
    per_km = int(travel.get("per_km_minor") or 0)
    amount = base + div_half_up(per_km * int(km / DISTANCE_STEP_KM), 10)
    description = f"travel {km} km: {Money(base, currency)} + {Money(per_km, currency)}/km"
    return Line("travel", description, amount)


def check_mode(resource: Any, mode: str, distance_km: float | None) -> None:
    """Whether the resource is offered in ``mode`` (and, to travel, whether there is a distance)."""
    if mode not in MODES:
        raise ModeUnavailable(f"mode is one of {', '.join(MODES)}")
    if mode == "online" and not resource.online:
        raise ModeUnavailable("this resource is not offered online")
    if mode == "travel":
        if not resource.travel:
            raise ModeUnavailable("this resource does not travel")
        if distance_km is None:
            message = "travel needs an address with latitude and longitude"
            raise AddressRequired(
                message, errors=[{"field": "address", "message": message, "type": "address"}]
            )


def check_attendees(resource: Any, attendees: int) -> None:
    """At least one attendee, and no more than the resource's capacity (422 ``slot.capacity``)."""
    if attendees < 1:
        raise SlotInvalid("attendees must be at least 1")
    if resource.capacity is not None and attendees > resource.capacity:
        message = f"{resource.name} takes at most {resource.capacity} attendee(s)"
        raise CapacityExceeded(
            message, errors=[{"field": "attendees", "message": message, "type": "slot.capacity"}]
        )


def _check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise SlotInvalid("start and end must be instants with an offset")
    if end.astimezone(UTC) <= start.astimezone(UTC):  # (one ZoneInfo: a naive comparison)
        raise SlotInvalid("end must be after start")
    if start.second or start.microsecond or end.second or end.microsecond:
        raise SlotInvalid("start and end are whole minutes")


# -- the quote ----------------------------------------------------------------------------------------------


def compute_slot_quote(
    *,
    prop: Any,
    resource: Any,
    rates: Sequence[Any],
    addon_catalog: Sequence[Any],
    start: datetime,
    end: datetime,
    attendees: int,
    mode: str | None,
    distance_km: float | None,
    loyalty_tier: str | None,
    promo: Promo | None,
    addons: Sequence[AddonChoice] = (),
) -> Quote:
    """Price a slot. Pure: same inputs, same quote. The caller has checked the slot is bookable.

    ``rates`` and ``addon_catalog`` are the resource's; ``addons`` what the customer chose;
    ``distance_km`` the distance from where the resource starts to the customer's address (mode
    ``travel``, :func:`travel_distance_km`)."""
    _check_range(start, end)
    check_attendees(resource, attendees)
    check_mode(resource, mode or "on_site", distance_km)
    tz = ZoneInfo(prop.timezone)
    currency = prop.currency
    parts = time_parts(resource, rank_rates(rates), start, end, tz)
    minutes = sum(part.minutes for part in parts)
    lines = [
        Line(
            "time",
            f"{p.start:%H:%M}-{p.end:%H:%M}: {p.minutes} min x {Money(p.hourly_price, currency)}/h",
            p.amount,
        )
        for p in parts
    ]
    lines += addon_lines(addon_catalog, addons, minutes=minutes, attendees=attendees, currency=currency)
    if mode == "travel" and distance_km is not None:
        lines.append(travel_line(resource.travel, distance_km, currency))
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    quote = Quote(
        currency,
        local_start.date(),
        local_end.date(),
        1,
        attendees,
        [],
        lines=lines,
        start=local_start,
        end=local_end,
        parts=parts,
    )
    finish_quote(
        quote, prop, sum(line.amount for line in lines), nights=0, loyalty_tier=loyalty_tier, promo=promo
    )
    return quote


def _rates_by_edge(ranked: Sequence[Any], edges: Sequence[int], weekday: int) -> list[Any]:
    """The winning rate of each interval ``[edges[k], edges[k+1])`` of a weekday (constant inside one:
    every rate's bounds are edges)."""
    return [rate_at(ranked, weekday, edges[k]) for k in range(len(edges) - 1)]


def _charge_in_day(
    resource: Any, by_edge: Sequence[Any], edges: Sequence[int], minute: int, minutes: int
) -> int:
    """:func:`time_parts`' summed amounts for a slot that stays inside one local day with one UTC offset
    (no midnight, no DST change): the same runs (split at rate boundaries, adjacent equal rates
    merged) and the same rounding per run, on plain minutes instead of datetimes. ``by_edge``:
    :func:`_rates_by_edge` of the slot's weekday."""
    t, end = minute, minute + minutes
    k = bisect_right(edges, t) - 1
    runs: list[list[Any]] = []  # [rate, minutes]
    while t < end:
        stop = min(edges[k + 1], end)
        rate = by_edge[k]
        if runs and runs[-1][0] is rate:
            runs[-1][1] += stop - t
        else:
            runs.append([rate, stop - t])
        t, k = stop, k + 1
    charge = 0
    for rate, run_minutes in runs:
        numerator, denominator = _hourly_fraction(int(resource.hourly_price_minor), rate)
        charge += div_half_up(numerator * run_minutes, denominator * 60)
    return charge


@lru_cache(maxsize=32768)
def local_clock(instant: datetime, tz: tzinfo) -> tuple[int, int, timedelta | None]:
    """``(weekday, minute of the day, UTC offset)`` of an instant in ``tz``. Cached: slot lists and
    search charge thousands of slots a request whose starts and ends fall on a few grid instants."""
    local = instant.astimezone(tz)
    return local.weekday(), local.hour * 60 + local.minute, local.utcoffset()


def slot_charge(
    resource: Any,
    ranked: Sequence[Any],
    edges: Sequence[int],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    by_weekday: dict[int, list[Any]] | None = None,
) -> int:
    """The time charge of ``[start, end)``: the sum of :func:`time_parts`' amounts (``edges``:
    :func:`rate_edges` of ``ranked``; ``by_weekday``: a cache of :func:`_rates_by_edge` for a caller
    that charges many slots of one resource)."""
    weekday, minute, offset = local_clock(start, tz)
    minutes = int((end - start) / ONE_MINUTE)
    if minute + minutes <= MINUTES_PER_DAY and local_clock(end, tz)[2] == offset:
        cache = {} if by_weekday is None else by_weekday
        by_edge = cache.get(weekday)
        if by_edge is None:
            by_edge = cache[weekday] = _rates_by_edge(ranked, edges, weekday)
        return _charge_in_day(resource, by_edge, edges, minute, minutes)
    return sum(part.amount for part in time_parts(resource, ranked, start, end, tz))


class ListedPrices:
    """Totals of slots as lists and search show them: the booking's quote without add-ons or promo
    code. Such a total depends on the slot only through its time charge (the travel fee, loyalty, VAT
    and rounding are the same for every slot), so each slot's charge is summed from its rate parts
    (:func:`slot_charge`) and a charge becomes a total through the quote's own tail
    (``engine.stay_amounts``, what ``finish_quote`` runs) after the quote's checks, once per distinct
    charge: no quote object is built (property-tested equal to :func:`compute_slot_quote`'s total)."""

    def __init__(
        self,
        prop: Any,
        resource: Any,
        rates: Sequence[Any] | RateCard,
        *,
        attendees: int,
        mode: str | None,
        distance_km: float | None,
        loyalty_tier: str | None,
    ) -> None:
        """``rates``: the resource's rates, or their :func:`rate_card` when the caller keeps one."""
        self.prop, self.resource = prop, resource
        self.attendees, self.mode, self.distance_km = attendees, mode, distance_km
        self.loyalty_bp = LOYALTY_DISCOUNT_BP.get(loyalty_tier or "standard", 0)
        self.tz = ZoneInfo(prop.timezone)
        self.ranked, self.edges, terms = rates if isinstance(rates, RateCard) else rate_card(rates)
        self.week = week_prices(int(resource.hourly_price_minor), terms)
        self.by_weekday: dict[int, list[Any]] = {}
        self.by_charge: dict[int, int] = {}
        self.fee: int | None = None

    def charges(self, slots: Iterable[tuple[datetime, datetime]]) -> list[int]:
        """Each slot's time charge (:meth:`charge`)."""
        return [self.charge(start, end) for start, end in slots]

    def charge(self, start: datetime, end: datetime) -> int:
        """A slot's time charge: :func:`slot_charge`, with its commonest case inlined (one local day, one
        offset, one rate: a single run, rounded once). Search charges thousands of slots a request; the
        calls were most of their cost."""
        tz, edges = self.tz, self.edges
        weekday, minute, offset = local_clock(start, tz)
        minutes = (end - start) // ONE_MINUTE
        k = bisect_right(edges, minute) - 1
        if minute + minutes <= edges[k + 1] and local_clock(end, tz)[2] == offset:
            numerator, denominator = self.week[weekday][k]
            return div_half_up(numerator * minutes, denominator * 60)
        return slot_charge(self.resource, self.ranked, edges, start, end, tz, self.by_weekday)

    def _fee(self) -> int:
        """What every slot's base adds to its time charge (travel), after the checks the quote makes
        (capacity, mode): at the first total, so that a day without slots refuses nothing, as before."""
        if self.fee is None:
            check_attendees(self.resource, self.attendees)
            check_mode(self.resource, self.mode or "on_site", self.distance_km)
            self.fee = 0
            if self.mode == "travel" and self.distance_km is not None:
                self.fee = travel_line(self.resource.travel, self.distance_km, self.prop.currency).amount
        return self.fee

    def total(self, charge: int) -> int:
        """The quote's total of a slot whose time charge is ``charge``."""
        total = self.by_charge.get(charge)
        if total is None:
            base = charge + self._fee()
            amounts = stay_amounts(
                self.prop, base, nights=0, guests=self.attendees, loyalty_bp=self.loyalty_bp, promo=None
            )
            total = self.by_charge[charge] = amounts.total
        return total

    def totals(self, slots: Sequence[tuple[datetime, datetime]]) -> list[int]:
        """The total of each slot (the public slot list)."""
        return [self.total(charge) for charge in self.charges(slots)]

    def cheapest(
        self, slots: Iterable[tuple[datetime, datetime]], grid: SlotGrid | None = None
    ) -> tuple[int, tuple[datetime, datetime]] | None:
        """``(total, slot)`` of the slot with the lowest total, the earliest of equals; None without
        slots. ``slots``: of one length, in start order. A total never falls as the time charge rises
        (loyalty and VAT are shares of it, rounding keeps order).

        ``grid`` (slots of one local day: ``inventory.hourly.slot_grid``) lets the walk stop at the first
        slot whose total is a floor no slot can go below (:meth:`_floor_total`), so search prices a few
        slots of a resource's day instead of all of them."""
        best: tuple[int, tuple[datetime, datetime]] | None = None
        floor: int | None = None
        for start, end in slots:
            total = self.total(self.charge(start, end))
            if best is None:
                floor = None if grid is None else self._floor_total(start, end, grid)
                best = (total, (start, end))
            elif total < best[0]:
                best = (total, (start, end))
            if total == floor:
                break
        return best

    def _floor_total(self, start: datetime, end: datetime, grid: SlotGrid) -> int:
        """A total no slot of this length on ``start``'s local day can go below. Each of a slot's rate
        parts begins and ends on the grid or on a rate edge, so it lasts ``j`` times ``unit`` minutes,
        and its amount (``p`` an hour, rounded half-up) is at least ``j`` times ``p`` per ``unit``
        rounded down; so a charge is at least the lowest such per-``unit`` price of the days the slot
        touches (its weekday, and the next when the day's slots may run past midnight) times its
        ``unit``s. Reached by a one-rate slot at that price when the price per ``unit`` is whole (the
        usual case: 40.00 an hour on a 30-minute grid); else below every slot, and the walk goes on."""
        minutes = (end - start) // ONE_MINUTE
        unit = gcd(grid.minutes, minutes, *self.edges)
        weekday = local_clock(start, self.tz)[0]
        prices = self.week[weekday]
        if grid.past_midnight:
            prices += self.week[(weekday + 1) % 7]
        per_unit = min(numerator * unit // (denominator * 60) for numerator, denominator in prices)
        return self.total(per_unit * (minutes // unit))


# -- loading what the pricer needs -------------------------------------------------------------------------


_RATES_OF = select(ResourceRate).where(ResourceRate.resource_id.in_(bindparam("ids", expanding=True)))


async def rates_for(session: AsyncSession, resource_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """The rates of many resources in one statement (search), by resource."""
    out: dict[uuid.UUID, list[Any]] = defaultdict(list)
    ids = list(resource_ids)
    if ids:
        for rate in await session.scalars(_RATES_OF, {"ids": ids}):
            out[rate.resource_id].append(rate)
    return out


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def addon_choices(addons: Iterable[Any] | None) -> list[AddonChoice]:
    """``[{code, quantity}]`` as sent (dicts or models) as :class:`AddonChoice` (quantity 1 when unset)."""
    out = []
    for item in addons or ():
        if isinstance(item, AddonChoice):
            out.append(item)
        else:
            quantity = _field(item, "quantity")
            out.append(AddonChoice(str(_field(item, "code")), 1 if quantity is None else int(quantity)))
    return out


def travel_origin(resource: Any, prop: Any) -> tuple[float, float] | None:
    """Where a professional travels from: the resource's coordinates, else the property's."""
    if resource.latitude is not None and resource.longitude is not None:
        return resource.latitude, resource.longitude
    if prop.latitude is not None and prop.longitude is not None:
        return prop.latitude, prop.longitude
    return None


def travel_distance_km(resource: Any, prop: Any, address: Any) -> float | None:
    """The great-circle distance from the travel origin to the address, or None when the address has
    no coordinates (``check_mode`` refuses travel then). A resource with nowhere to start from does not
    travel (422 ``slot.mode_unavailable``)."""
    if address is None or not resource.travel:
        return None  # (check_mode refuses travel to a resource that does not travel)
    lat, lng = _field(address, "latitude"), _field(address, "longitude")
    if lat is None or lng is None:
        return None
    origin = travel_origin(resource, prop)
    if origin is None:
        raise ModeUnavailable("this resource has no location to travel from")
    return haversine_km(origin[0], origin[1], float(lat), float(lng))


@dataclass
class SlotQuoteResult:
    prop: Property
    resource: Resource
    quote: Quote
    #: what the quote charged for: the add-ons asked for, the travel distance, the promo code applied
    addons: list[AddonChoice]
    distance_km: float | None
    promo: Promo | None


async def quote_slot(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    attendees: int | None = None,
    mode: str | None = None,
    address: Any = None,
    addons: Iterable[Any] | None = None,
    promo_code: str | None = None,
    user: User | None = None,
    rates: Sequence[Any] | None = None,
) -> SlotQuoteResult:
    """Price a slot of ``resource``: what the booking, its reschedule and the slot list call. Loads the
    rates and add-ons, checks the promo code (``pricing.service.find_promo``: 422
    ``pricing.promo_invalid``) and prices with :func:`compute_slot_quote` (422 ``addon.unknown``,
    ``slot.capacity``, ``slot.travel_too_far``, ``slot.mode_unavailable``, ``slot.address_required``).
    Whether the slot is free and open is not checked here (``inventory.hourly.check_bookable``).
    ``rates``: the resource's, when the caller has them (``pricing.resource_cards``)."""
    mode = mode or "on_site"
    choices = addon_choices(addons)
    distance = travel_distance_km(resource, prop, address) if mode == "travel" else None
    if rates is None:
        rates = (await rates_for(session, [resource.id])).get(resource.id, [])
    catalog = (await addons_of(session, [resource.id])).get(resource.id, []) if choices else []
    promo = await find_promo(session, promo_code, prop, utcnow()) if promo_code else None
    quote = compute_slot_quote(
        prop=prop,
        resource=resource,
        rates=rates,
        addon_catalog=catalog,
        start=start,
        end=end,
        attendees=1 if attendees is None else attendees,
        mode=mode,
        distance_km=distance,
        loyalty_tier=user.loyalty_tier if user else None,
        promo=promo,
        addons=choices,
    )
    return SlotQuoteResult(prop, resource, quote, choices, distance, promo)


@slot_pricer
async def price_listed_slots(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    slots: Sequence[tuple[datetime, datetime]],
    *,
    attendees: int | None,
    mode: str | None,
) -> list[Money | None]:
    """The totals of the public slot list (``inventory.hourly.price_slots``): :func:`compute_slot_quote`
    for each slot (:class:`ListedPrices`), without add-ons, promo code or loyalty. A travel fee depends on
    the customer's address, so with ``mode=travel`` the price is None (the booking's quote has it)."""
    if not slots:
        return []
    if mode == "travel":
        check_mode(resource, mode, 0.0)
        return [None] * len(slots)
    rates = (await rates_for(session, [resource.id])).get(resource.id, [])
    prices = ListedPrices(
        prop,
        resource,
        rates,
        attendees=1 if attendees is None else attendees,
        mode=mode,
        distance_km=None,
        loyalty_tier=None,
    )
    totals = prices.totals(slots)
    return [Money(total, prop.currency) for total in totals]
