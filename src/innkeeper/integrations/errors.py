"""The integrations' errors (stable codes, see docs/integrations.md)."""

from __future__ import annotations

from innkeeper.kit.errors import AppError, Conflict, NotFound, ValidationFailed


class UrlRefused(ValidationFailed):
    code = "integrations.url_refused"
    title = "This URL cannot be called"


class WebhookNotFound(NotFound):
    code = "webhook.not_found"
    title = "No such webhook subscription"


class DeliveryNotFound(NotFound):
    code = "webhook.delivery_not_found"
    title = "No such webhook delivery"


class UnknownEventType(ValidationFailed):
    code = "webhook.unknown_event"
    title = "Unknown event type"


class CalendarTargetInvalid(ValidationFailed):
    code = "calendar.invalid_target"
    title = "Name exactly one room type or resource of this property"


class CalendarFeedNotFound(NotFound):
    code = "calendar.not_found"
    title = "No such calendar"


class CalendarImportNotFound(NotFound):
    code = "calendar_import.not_found"
    title = "No such calendar import"


class FeedInvalid(ValidationFailed):
    code = "calendar_import.invalid_feed"
    title = "The URL does not serve an iCalendar file"


class FeedTooLarge(AppError):
    status = 413
    code = "calendar_import.too_large"
    title = "The calendar file is too large"


class MeetingNotFound(NotFound):
    code = "meeting.not_found"
    title = "No meeting for this booking"


class MeetingNotPossible(Conflict):
    code = "meeting.not_possible"
    title = "This booking cannot have a meeting"


class MeetingEnded(Conflict):
    code = "meeting.ended"
    title = "The meeting has ended"


class ParticipantNotFound(NotFound):
    code = "meeting.participant_not_found"
    title = "No such participant"


class ConnectUnavailable(Conflict):
    code = "connect.unavailable"
    title = "Stripe Connect needs INNKEEPER_PAYMENT_PROVIDER=stripe"


class ConnectNotOnboarded(NotFound):
    code = "connect.not_onboarded"
    title = "This property has no connected Stripe account yet"


class ConnectGatewayError(AppError):
    status = 502
    code = "connect.gateway_error"
    title = "Stripe refused the request"
