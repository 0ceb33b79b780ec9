"""Request bodies and answer shapes of the integrations' HTTP routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from innkeeper.kit.outputs import Instant, Out
from innkeeper.kit.schemas import MoneyOut

Url = Annotated[str, Field(min_length=1, max_length=2000, examples=["https://example.com/hooks/innkeeper"])]
EventType = Annotated[str, Field(min_length=1, max_length=60, examples=["booking.confirmed"])]
Description = Annotated[str, Field(max_length=200)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Url
    events: list[EventType] = Field(min_length=1, max_length=20)
    description: Description | None = None


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Url | None = None
    events: list[EventType] | None = Field(None, min_length=1, max_length=20)
    description: Description | None = None
    is_active: bool | None = None


class WebhookOut(Out):
    id: str
    property_id: str
    url: str
    events: list[str]
    description: str | None
    is_active: bool
    created_at: Instant


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret (Standard Webhooks, whsec_…): shown only now")


class WebhookSecretOut(Out):
    secret: str = Field(description="The new signing secret: shown only now")


class AttemptOut(Out):
    number: int
    at: Instant
    status_code: int | None
    duration_ms: int
    error: str | None
    manual: bool


class DeliveryOut(Out):
    id: str
    webhook_id: str
    message_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_duration_ms: int | None
    last_error: str | None
    next_attempt_at: Instant | None
    created_at: Instant
    delivered_at: Instant | None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, object]
    log: list[AttemptOut]


class CalendarTargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room_type_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None


class CalendarImportIn(CalendarTargetIn):
    url: Url


class CalendarFeedOut(Out):
    id: str
    room_type_id: str | None
    resource_id: str | None
    created_at: Instant


class CalendarFeedCreatedOut(CalendarFeedOut):
    url: str = Field(description="The secret feed URL (…/calendars/{token}.ics): shown only now")


class ImportConflict(Out):
    event: str
    start: Instant
    reason: str


class CalendarImportOut(Out):
    id: str
    url: str
    room_type_id: str | None
    resource_id: str | None
    is_active: bool
    last_polled_at: Instant | None
    last_status: Literal["ok", "error"] | None
    last_error: str | None
    events_count: int
    conflicts: list[ImportConflict]
    created_at: Instant


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class GrpcOut(Out):
    service: str
    port: int


class ParticipantOut(Out):
    id: str
    display_name: str
    role: Literal["host", "guest"]
    joined_at: Instant
    left_at: Instant | None


class MeetingOut(Out):
    id: str
    booking_id: str
    title: str
    status: Literal["scheduled", "live", "ended"]
    starts_at: Instant | None
    ends_at: Instant | None
    started_at: Instant | None
    ended_at: Instant | None
    duration_seconds: int | None
    join_url: str
    grpc: GrpcOut
    participants: list[ParticipantOut]


class ConnectOut(Out):
    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    updated_at: Instant


class ConnectOnboardingOut(ConnectOut):
    onboarding_url: str = Field(description="Stripe's one-time onboarding page for the owner")
    expires_at: Instant


class ConnectPayoutOut(Out):
    id: str = Field(examples=["po_1PqR2s"])
    amount: MoneyOut
    status: str = Field(examples=["paid"], description="paid, pending, in_transit, canceled or failed")
    arrival_date: Instant | None
    created_at: Instant | None
    method: str | None = Field(examples=["standard"])
    description: str | None
    failure_message: str | None


class ConnectPayoutsOut(Out):
    items: list[ConnectPayoutOut]
    has_more: bool
    next: str | None = Field(description="pass as ``starting_after`` for the next (older) page")
