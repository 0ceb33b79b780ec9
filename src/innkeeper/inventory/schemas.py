from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from innkeeper.kit.outputs import Day, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyIn, MoneyOut

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
MAX_RANGE_DAYS = 1100


def parse_weekdays(values: list[Any] | None) -> frozenset[int] | None:
    if values is None:
        return None
    out = set()
    for v in values:
        if isinstance(v, str) and v.strip().lower()[:3] in WEEKDAYS:
            out.add(WEEKDAYS[v.strip().lower()[:3]])
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6:
            out.add(v)
        else:
            raise ValueError("weekdays are 'mon'…'sun' or 0 (Monday)…6 (Sunday)")
    if not out:
        raise ValueError("give at least one weekday, or leave weekdays out")
    return frozenset(out)


class InventoryRange(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    room_type_id: uuid.UUID
    from_: date = Field(alias="from")
    to: date
    weekdays: list[str | int] | None = Field(None, max_length=7)
    price: MoneyIn | None = None
    closed: bool | None = None
    min_stay: int | None = Field(None, ge=1, le=365)
    max_stay: int | None = Field(None, ge=1, le=365)
    closed_to_arrival: bool | None = None
    closed_to_departure: bool | None = None

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[Any] | None) -> list[Any] | None:
        parse_weekdays(value)
        return value

    @model_validator(mode="after")
    def _range(self) -> InventoryRange:
        if self.to <= self.from_:
            raise ValueError("'to' must be after 'from' ('to' is exclusive)")
        if (self.to - self.from_).days > MAX_RANGE_DAYS:
            raise ValueError(f"a range covers at most {MAX_RANGE_DAYS} days")
        if self.min_stay is not None and self.max_stay is not None and self.max_stay < self.min_stay:
            raise ValueError("max_stay must be at least min_stay")
        return self


class InventoryUpdateIn(BaseModel):
    """Either one range (the API.md shape) or ``{"items": [range, …]}``; all ranges apply or none."""

    model_config = ConfigDict(extra="allow")
    items: Annotated[list[InventoryRange], Field(min_length=1, max_length=100)] | None = None

    def ranges(self) -> list[InventoryRange]:
        if self.items is not None:
            if self.model_extra:
                raise ValueError("send either one range or items, not both")
            return self.items
        return [InventoryRange.model_validate(self.model_extra or {})]


# -- answers ------------------------------------------------------------------------------------------------


class InventoryDayOut(Out):
    """One night of a room type (``inventory.service.day_to_api``)."""

    date: Day
    total: int = Field(description="Rooms of the type in service that night")
    sold: int
    held: int = Field(description="Taken by unpaid reservations until they expire")
    available: int
    closed: bool
    price: MoneyOut | None = Field(description="The night's own price; none: the room type's base price")
    min_stay: int
    max_stay: int | None
    closed_to_arrival: bool
    closed_to_departure: bool


class InventoryCalendarOut(ListOf[InventoryDayOut]):
    room_type_id: uuid.UUID


class InventoryUpdatedOut(Out):
    updated: int = Field(description="Nights changed")
