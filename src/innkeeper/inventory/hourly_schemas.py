"""Request bodies and answer shapes for a resource's windows, exceptions, slots and the day schedule."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from innkeeper.kit.outputs import Day, Instant, Out
from innkeeper.kit.schemas import MoneyOut

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def minute_of_day(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("a time of day HH:MM, 00:00 to 24:00")
    return value


def to_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


ClockIn = Annotated[str, AfterValidator(minute_of_day), Field(examples=["09:00"])]


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6, description="Monday 0 ... Sunday 6")
    start: ClockIn
    end: ClockIn = Field(examples=["17:00"], description="24:00 for the end of the day")

    @model_validator(mode="after")
    def _order(self) -> WindowIn:
        if to_minutes(self.end) <= to_minutes(self.start):
            raise ValueError("end must be after start (a window never crosses midnight: use two)")
        return self

    def minutes(self) -> tuple[int, int, int]:
        return self.weekday, to_minutes(self.start), to_minutes(self.end)


class AvailabilityIn(BaseModel):
    """The weekly windows in the property's time zone; several per day, none overlapping."""

    model_config = ConfigDict(extra="forbid")
    windows: list[WindowIn] = Field(max_length=100)

    @model_validator(mode="after")
    def _no_overlap(self) -> AvailabilityIn:
        spans = sorted(w.minutes() for w in self.windows)
        for (day, _, end), (next_day, next_start, _) in itertools.pairwise(spans):
            if day == next_day and next_start < end:
                raise ValueError(f"windows of weekday {day} overlap")
        return self


class ExceptionIn(BaseModel):
    """Instants with an offset, or naive local times in the property's time zone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    start: datetime = Field(examples=["2030-03-10T09:00:00+00:00"])
    end: datetime
    kind: Literal["closed", "open"]
    reason: str | None = Field(None, max_length=200)


# -- answers ---------------------------------------------------------------------------------------------


class WindowOut(Out):
    weekday: int
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["17:00"])


class AvailabilityOut(Out):
    resource_id: uuid.UUID
    timezone: str
    windows: list[WindowOut]


class ExceptionOut(Out):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: Instant
    end: Instant
    kind: str = Field(examples=["closed"])
    reason: str | None
    created_at: Instant


class SlotOut(Out):
    start: Instant
    end: Instant
    price: MoneyOut | None = Field(description="The slot's total for the attendees and mode asked")


class SlotsOut(Out):
    resource_id: uuid.UUID
    date: Day
    duration_minutes: int
    timezone: str
    items: list[SlotOut]
    total: int


class SpanOut(Out):
    start: Instant
    end: Instant


class HeldOut(Out):
    booking_id: uuid.UUID
    start: Instant = Field(description="Held from (the booking's start less the buffer before)")
    end: Instant = Field(description="Held until (the booking's end plus the buffer after)")


class ScheduleResourceOut(Out):
    id: uuid.UUID
    kind: str
    name: str


class ResourceDayOut(Out):
    resource: ScheduleResourceOut
    bookings: list[HeldOut]
    open: list[SpanOut]
    free: list[SpanOut]


class ScheduleOut(Out):
    date: Day
    timezone: str
    items: list[ResourceDayOut]
    total: int
