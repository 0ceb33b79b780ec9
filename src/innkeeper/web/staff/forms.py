"""Reading the console's query strings and forms: a mistyped value is a message on the page, the
service's own validation stays the judge of what is allowed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def parse_int(value: Any, default: int | None = None, low: int = 0, high: int = 10_000) -> int | None:
    try:
        number = int(str(value)) if value not in (None, "") else default
    except ValueError:
        return default
    return None if number is None else min(max(number, low), high)


def text(form: Any, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return str(value).strip()[:limit] if isinstance(value, str) else ""


def field_messages(errors: list[dict[str, Any]] | None) -> dict[str, str]:
    """An AppError's (or a 422's) field list as {field: message} for the form."""
    out: dict[str, str] = {}
    for error in errors or []:
        name = str(error.get("field", "")).split(".")[-1]
        out.setdefault(name, str(error.get("message", "")))
    return out


def validation_messages(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        out.setdefault(loc[-1] if loc else "form", str(error.get("msg", "invalid")))
    return out
