"""Optional error reporting to Sentry (``INNKEEPER_SENTRY_DSN``), scrubbed like the logs.

What is reported: every log line at error level or above, ours (structlog: ``request.unhandled_error``,
a job's traceback, a runner's bug) and the standard library's (Sentry's logging integration), with its
exception when it has one. Nothing else is patched: no framework integration is auto-enabled, so what
reaches Sentry is what the logs already say is an error (a 503 during a database outage is a warning, not
an event).

Scrubbing (``before_send``, ``before_breadcrumb``) is the logs' own (``kit.logging``): values under
sensitive keys (password, token, e-mail, phone, authorization, cookie, …) are masked at any depth and
free text is scrubbed of addresses, phone and card numbers, tokens and SQL parameters. On top,
Sentry's own default keeps personal data out (its scrubber on), and local variables and request
bodies are never sent. Each event is tagged
with the request id bound to the logs, so an event, its log lines, its trace and the problem response
the client saw share one id.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog
from structlog.typing import EventDict

from innkeeper.kit.logging import MASK, is_sensitive_key, scrub

#: below this depth an event's values are scrubbed; deeper ones (never seen in practice) are dropped
MAX_DEPTH = 12
_ERROR_METHODS = frozenset({"error", "critical", "exception", "fatal"})


def install(*, dsn: str, environment: str, release: str, transport: Any = None) -> None:
    """Start the Sentry client and forward error log lines to it. ``transport``: tests capture events."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        transport=transport,
        # personal data: Sentry's own default (no user, cookies or bodies, its scrubber on); setting
        # ``send_default_pii`` at all is deprecated in favour of ``data_collection``
        include_local_variables=False,
        max_request_body_size="never",
        auto_enabling_integrations=False,
        traces_sample_rate=None,  # traces are OpenTelemetry's (kit.telemetry)
        before_send=scrub_event,  # type: ignore[arg-type]  # Sentry's Event is a TypedDict of this dict
        before_breadcrumb=scrub_breadcrumb,
    )
    _forward_error_logs()


def scrubbed(value: Any, depth: int = 0) -> Any:
    """``value`` with sensitive keys masked and strings scrubbed, other types as they are (Sentry's
    event carries datetimes and numbers that must stay what they are)."""
    if isinstance(value, str):
        return scrub(value)
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {
            key: MASK if isinstance(key, str) and is_sensitive_key(key) else scrubbed(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrubbed(item, depth + 1) for item in value]
    return value


def scrub_event(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = scrubbed(event)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        clean.setdefault("tags", {})["request_id"] = request_id
    return clean


def scrub_breadcrumb(crumb: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = scrubbed(crumb)
    return clean


def _exception_of(exc_info: Any) -> Any:
    """What ``capture_exception`` takes, from a log call's ``exc_info`` (True, an exception, a tuple)."""
    if exc_info is True:
        return sys.exc_info()
    return exc_info or None


def report_error_logs(_logger: Any, method: str, event: EventDict) -> EventDict:
    """A structlog processor (first in the chain, before the exception is rendered into text): an
    error-level line becomes a Sentry event, its fields as the ``log`` context (scrubbed on the way)."""
    if method not in _ERROR_METHODS:
        return event
    import sentry_sdk

    if not sentry_sdk.get_client().is_active():
        return event
    fields = {k: v for k, v in event.items() if k != "exc_info" and not k.startswith("_")}
    with sentry_sdk.new_scope() as scope:
        scope.set_context(
            "log", {k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in fields.items()}
        )
        exception = _exception_of(event.get("exc_info"))
        if exception is not None and exception != (None, None, None):
            sentry_sdk.capture_exception(exception)
        else:
            sentry_sdk.capture_message(str(event.get("event", "error")), level="error")
    return event


def _forward_error_logs() -> None:
    chain = [p for p in structlog.get_config()["processors"] if p is not report_error_logs]
    structlog.configure(processors=[report_error_logs, *chain])
