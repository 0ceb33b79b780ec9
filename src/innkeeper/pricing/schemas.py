from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from innkeeper.inventory.schemas import parse_weekdays
from innkeeper.kit.outputs import Day, DecimalText, Instant, Out
from innkeeper.kit.schemas import MoneyIn, MoneyOut

Factor = Annotated[Decimal, Field(ge=0, le=10, max_digits=6, decimal_places=4)]


class RateRuleIn(BaseModel):
    """A rule: ``factor`` ("1.15" = +15 %) or, for seasons only, ``override`` (a money value)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["season", "weekday", "occupancy", "lead_time", "length_of_stay"]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    room_type_id: uuid.UUID | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    start_date: date | None = None
    end_date: date | None = None
    weekdays: list[str | int] | None = Field(None, max_length=7)
    min_occupancy_pct: int | None = Field(None, ge=0, le=99)
    min_lead_days: int | None = Field(None, ge=0, le=1100)
    max_lead_days: int | None = Field(None, ge=0, le=1100)
    min_nights: int | None = Field(None, ge=1, le=365)
    factor: Factor | None = None
    override: MoneyIn | None = None

    @model_validator(mode="after")
    def _shape(self) -> RateRuleIn:
        if (self.factor is None) == (self.override is None):
            raise ValueError("give exactly one of factor or override")
        if self.override is not None and self.kind != "season":
            raise ValueError("only seasons can override the price; other rules take a factor")
        if (self.start_date is None) != (self.end_date is None):
            raise ValueError("give start_date and end_date together")
        if self.start_date is not None and self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError("end_date (exclusive) must be after start_date")
        if self.kind == "season" and self.start_date is None:
            raise ValueError("a season needs start_date and end_date")
        if self.kind == "weekday" and not self.weekdays:
            raise ValueError("a weekday rule needs weekdays")
        if self.kind == "occupancy" and self.min_occupancy_pct is None:
            raise ValueError("an occupancy rule needs min_occupancy_pct")
        if self.kind == "lead_time" and self.min_lead_days is None and self.max_lead_days is None:
            raise ValueError("a lead time rule needs min_lead_days and/or max_lead_days")
        if (
            self.min_lead_days is not None
            and self.max_lead_days is not None
            and self.max_lead_days < self.min_lead_days
        ):
            raise ValueError("max_lead_days must be at least min_lead_days")
        if self.kind == "length_of_stay" and self.min_nights is None:
            raise ValueError("a length-of-stay rule needs min_nights")
        parse_weekdays(self.weekdays)
        return self


class PromoCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    kind: Literal["percent", "fixed"]
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)] | None = None
    amount: MoneyIn | None = None
    currency: str | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    max_uses: int | None = Field(None, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _shape(self) -> PromoCodeIn:
        if self.kind == "percent" and (self.percent is None or self.amount is not None):
            raise ValueError("a percent code takes percent (and no amount)")
        if self.kind == "fixed" and (self.amount is None or self.percent is not None):
            raise ValueError("a fixed code takes amount (and no percent)")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- answers ------------------------------------------------------------------------------------------------


class RateRuleOut(Out):
    id: uuid.UUID
    kind: str = Field(examples=["season"])
    name: str
    priority: int
    room_type_id: uuid.UUID | None
    start_date: Day | None
    end_date: Day | None = Field(description="Exclusive")
    weekdays: list[str] | None = Field(examples=[["fri", "sat"]])
    min_occupancy_pct: int | None
    min_lead_days: int | None
    max_lead_days: int | None
    min_nights: int | None
    factor: DecimalText | None = Field(examples=["1.15"])
    override: MoneyOut | None
    is_active: bool


class PromoCodeOut(Out):
    id: uuid.UUID
    code: str
    kind: str = Field(examples=["percent"])
    property_id: uuid.UUID | None = Field(description="None: a platform-wide code")
    percent: DecimalText | None
    amount: MoneyOut | None
    valid_from: Instant | None
    valid_until: Instant | None
    max_uses: int | None
    used_count: int
    is_active: bool


class AdjustmentOut(Out):
    """A rule applied to a night; ``factor`` or ``override`` appear when the rule has one."""

    kind: str
    name: str
    rule_id: uuid.UUID | None
    amount: MoneyOut = Field(description="What the rule changed the night's price by")
    factor: DecimalText | None = None
    override: MoneyOut | None = None


class QuoteNightOut(Out):
    date: Day
    base: MoneyOut
    adjustments: list[AdjustmentOut]
    price: MoneyOut = Field(description="One room, after the rules")


class QuoteLineOut(Out):
    kind: str = Field(examples=["accommodation"])
    description: str
    amount: MoneyOut
    included_in_price: bool = Field(description="VAT already inside the price: shown, not added")


class QuoteOut(Out):
    """A priced stay (``pricing.engine.Quote.to_api``). Routes answering one set
    ``response_model_exclude_unset``: an adjustment's optional keys appear only when it has them."""

    currency: str
    checkin: Day
    checkout: Day
    rooms: int
    guests: int
    nights: list[QuoteNightOut]
    lines: list[QuoteLineOut]
    accommodation: MoneyOut
    discounts: MoneyOut
    taxes: MoneyOut
    total: MoneyOut
    nightly_average: MoneyOut
    promo_code: str | None


# -- hourly resources: peak / off-peak rates (pricing.hourly) ---------------------------------------------

#: a local clock time "HH:MM"; "24:00" is the end of the day (an end time only)
RateClock = Annotated[str, Field(pattern=r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["18:00"])]


def clock_minutes(value: str) -> int:
    """Minutes after midnight of a clock time: "18:30" is 1110, "24:00" 1440."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class ResourceRateIn(BaseModel):
    """A rate of an hourly resource: ``hourly_price`` or ``percent`` of the resource's hourly price
    (150 = x1.5), on ``weekdays`` (all when left out) between ``start_time`` and ``end_time`` (local;
    all day when both are left out)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    weekdays: list[str | int] | None = Field(None, max_length=7, examples=[["fri", "sat"]])
    start_time: RateClock | None = None
    end_time: RateClock | None = None
    hourly_price: MoneyIn | None = None
    percent: int | None = Field(None, ge=0, le=1000, examples=[150])

    @model_validator(mode="after")
    def _shape(self) -> ResourceRateIn:
        if (self.hourly_price is None) == (self.percent is None):
            raise ValueError("give exactly one of hourly_price or percent")
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give start_time and end_time together (or neither: all day)")
        if self.start_time is not None and self.end_time is not None:
            if self.start_time == "24:00":
                raise ValueError("start_time is 00:00-23:59")
            if clock_minutes(self.end_time) <= clock_minutes(self.start_time):
                raise ValueError("end_time must be after start_time (a rate never crosses midnight)")
        parse_weekdays(self.weekdays)
        return self


class ResourceRateOut(Out):
    id: uuid.UUID
    resource_id: uuid.UUID
    weekdays: list[str] | None = Field(examples=[["fri", "sat"]], description="None: every day")
    start_time: str | None = Field(examples=["18:00"], description="Local; None: all day")
    end_time: str | None = Field(examples=["24:00"])
    hourly_price: MoneyOut | None
    percent: int | None = Field(description="Of the resource's hourly price: 150 = x1.5")
