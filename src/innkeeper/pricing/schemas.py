from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from innkeeper.inventory.schemas import parse_weekdays

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
    override: dict[str, Any] | str | int | None = None

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
    amount: dict[str, Any] | str | int | None = None
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
