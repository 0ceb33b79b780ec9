"""Property settings and policies: payment policy, cancellation policy (a preset, the free-cancellation
window, a hall's refund tiers), refund destination, check-in/out times and the contact details.

The form is read into the API's own body (``catalog.schemas.PropertyPatch``) and saved by the use case
``PATCH /properties/{id}`` calls (``catalog.service.update_property``): the same validation, the same
``property.updated`` audit row, with the staff member as actor. ``property.manage`` only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.catalog import service as catalog
from innkeeper.catalog.schemas import PropertyPatch
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import field_messages, text, validation_messages

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

PAYMENT_MODES = ("prepay", "deposit", "at_property")
PRESETS = ("flexible", "moderate", "strict", "non_refundable", "hall_tiers")
DESTINATIONS = ("card", "wallet")
#: the API body's field names (pydantic's error locations) -> the form's inputs
FORM_FIELD = {
    "mode": "payment_mode",
    "payment_policy": "deposit_percent",
    "preset": "cancel_preset",
    "cancellation_policy": "cancel_preset",
    "hours_before": "tiers",
    "refund_percent": "tiers",
}


def _values(prop: Any) -> dict[str, str]:
    """The form's values from the stored property (what the page shows first)."""
    pay = prop.payment_policy or {}
    cancel = prop.cancellation_policy or {}
    tiers = cancel.get("tiers") or []
    return {
        "payment_mode": str(pay.get("mode", "prepay")),
        "deposit_percent": str(pay.get("deposit_percent") or ""),
        "cancel_preset": str(cancel.get("preset", "moderate")),
        "free_until_hours": "" if cancel.get("free_until_hours") is None else str(cancel["free_until_hours"]),
        "tiers": "\n".join(f"{t['hours_before']}:{t['refund_percent']}" for t in tiers),
        "refund_destination": prop.refund_destination or "card",
        "check_in_time": prop.check_in_time.strftime("%H:%M"),
        "check_out_time": prop.check_out_time.strftime("%H:%M"),
        "contact_email": prop.contact_email or "",
        "contact_phone": prop.contact_phone or "",
    }


def _tiers(raw: str) -> list[dict[str, str]]:
    """Refund tiers typed one a line as ``hours:percent`` ("72:100"); the schema checks the numbers."""
    tiers = []
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        hours, sep, percent = line.partition(":")
        if not sep:
            raise ValidationFailed(
                "Write each refund tier as hours:percent",
                errors=[{"field": "tiers", "message": "write each line as hours:percent", "type": "format"}],
            )
        tiers.append({"hours_before": hours.strip(), "refund_percent": percent.strip().rstrip("%")})
    return tiers


def _body(values: dict[str, str]) -> PropertyPatch:
    """The form as the API's PATCH body (the schema is the judge of every value)."""
    payment: dict[str, Any] = {"mode": values["payment_mode"]}
    if values["deposit_percent"]:
        payment["deposit_percent"] = values["deposit_percent"]
    cancel: dict[str, Any] = {"preset": values["cancel_preset"]}
    if values["free_until_hours"]:
        cancel["free_until_hours"] = values["free_until_hours"]
    tiers = _tiers(values["tiers"])
    if tiers:
        cancel["tiers"] = tiers
    body: dict[str, Any] = {
        "payment_policy": payment,
        "cancellation_policy": cancel,
        "refund_destination": values["refund_destination"],
        "check_in_time": values["check_in_time"] or None,
        "check_out_time": values["check_out_time"] or None,
        "contact_email": values["contact_email"] or None,
        "contact_phone": values["contact_phone"] or None,
    }
    try:
        return PropertyPatch.model_validate(body)
    except ValidationError as exc:
        messages = {FORM_FIELD.get(k, k): v for k, v in validation_messages(exc).items()}
        raise ValidationFailed(
            "Please check the highlighted fields",
            errors=[{"field": k, "message": v, "type": "invalid"} for k, v in messages.items()],
        ) from exc


def _page(
    request: Request,
    staff: Staff,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    context = {
        "v": values,
        "errors": errors or {},
        "error": error,
        "done": done,
        "modes": PAYMENT_MODES,
        "presets": PRESETS,
        "destinations": DESTINATIONS,
    }
    return page(request, staff, "staff/settings.html", context, status)


@router.get("/staff/p/{property_id}/settings")
async def settings_page(
    request: Request, property_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff = await staff_at(request, session, property_id, Action.property_manage)
    return _page(request, staff, _values(staff.prop), done=done[:20])


@router.post("/staff/p/{property_id}/settings")
async def save_settings(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.property_manage)
    form = await request.form()
    values = {name: text(form, name, 2000 if name == "tiers" else 320) for name in _values(staff.prop)}
    try:
        data = _body(values)
        async with session.begin_nested():
            await catalog.update_property(session, staff.prop, data, actor(request, staff))
    except AppError as exc:
        # the savepoint rolled the property back; the page shows what was typed with the messages
        await session.refresh(staff.prop)
        errors = {FORM_FIELD.get(k, k): v for k, v in field_messages(exc.errors).items()}
        return _page(request, staff, values, errors=errors, error=exc.detail, status=exc.status)
    return redirect(f"{staff.base}/settings?done=saved")
