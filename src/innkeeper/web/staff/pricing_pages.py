"""Rate rules and promo codes of a property (``rates.manage``): the use cases behind
``/properties/{id}/rate-rules`` and ``/properties/{id}/promo-codes`` (``pricing.service``), the forms read
into the API's own bodies (``RateRuleIn``, ``PromoCodeIn``) so every rule of shape is checked once."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import select

from innkeeper.catalog.models import RoomType
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.pricing import service as pricing
from innkeeper.pricing.schemas import PromoCodeIn, RateRuleIn
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import field_messages, parse_date, text, validation_messages

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

RULE_KINDS = ("season", "weekday", "occupancy", "lead_time", "length_of_stay")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_NUMBERS = ("priority", "min_occupancy_pct", "min_lead_days", "max_lead_days", "min_nights", "factor")


async def _page(
    request: Request,
    session: DbSession,
    staff: Staff,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    types = list(
        (
            await session.scalars(
                select(RoomType)
                .where(RoomType.property_id == staff.prop.id, RoomType.deleted_at.is_(None))
                .order_by(RoomType.name)
            )
        ).all()
    )
    context = {
        "rules": [pricing.rule_to_api(r) for r in await pricing.list_rules(session, staff.prop.id)],
        "promos": [pricing.promo_to_api(p) for p in await pricing.list_promos(session, staff.prop.id)],
        "types": {str(t.id): t.name for t in types},
        "kinds": RULE_KINDS,
        "weekdays": WEEKDAYS,
        "error": error,
        "errors": errors or {},
        "form": form,
        "v": values or {},
        "done": done,
    }
    return page(request, staff, "staff/pricing.html", context, status)


def _checked(model: Any, body: dict[str, Any]) -> Any:
    """The API's body from the form; its validation errors as the form's messages."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        messages = validation_messages(exc)
        general = messages.pop("form", None)
        raise ValidationFailed(
            (general or "Please check the highlighted fields").removeprefix("Value error, "),
            errors=[{"field": k, "message": v, "type": "invalid"} for k, v in messages.items()],
        ) from exc


def _rule(form: Any) -> RateRuleIn:
    body: dict[str, Any] = {"kind": text(form, "kind", 20), "name": text(form, "name", 200)}
    for name in ("room_type_id", "override", *RULE_NUMBERS):
        if value := text(form, name, 40):
            body[name] = value
    first, last = parse_date(form.get("start_date")), parse_date(form.get("last_date"))
    if first is not None:
        body["start_date"] = first
    if last is not None:
        body["end_date"] = last + timedelta(days=1)  # the form's last day is inclusive, the API's exclusive
    days = [d for d in WEEKDAYS if form.get(f"wd_{d}")]
    if days:
        body["weekdays"] = days
    return _checked(RateRuleIn, body)


def _local_start(day: date | None, tz: str) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), ZoneInfo(tz))


def _promo(form: Any, staff: Staff) -> PromoCodeIn:
    kind = text(form, "kind", 20)
    value = text(form, "value", 20)
    body: dict[str, Any] = {"code": text(form, "code", 60), "kind": kind}
    if value:
        body["percent" if kind == "percent" else "amount"] = value
    tz = staff.prop.timezone
    until = parse_date(form.get("valid_until"))
    body["valid_from"] = _local_start(parse_date(form.get("valid_from")), tz)
    # valid through the last day typed: until the next local midnight
    body["valid_until"] = _local_start(until + timedelta(days=1), tz) if until else None
    if max_uses := text(form, "max_uses", 12):
        body["max_uses"] = max_uses
    return _checked(PromoCodeIn, body)


@router.get("/staff/p/{property_id}/pricing")
async def pricing_page(
    request: Request, property_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rates_manage)
    return await _page(request, session, staff, done=done[:20])


def _form_values(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/staff/p/{property_id}/rate-rules")
async def create_rule(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rates_manage)
    form = await request.form()
    try:
        data = _rule(form)
        async with session.begin_nested():
            await pricing.create_rule(session, staff.prop, data, actor(request, staff))
    except AppError as exc:
        return await _page(
            request,
            session,
            staff,
            error=exc.detail,
            errors=field_messages(exc.errors),
            form="rule",
            values=_form_values(form),
            status=exc.status,
        )
    return redirect(f"{staff.base}/pricing?done=rule")


@router.post("/staff/p/{property_id}/rate-rules/{rule_id}/delete")
async def delete_rule(
    request: Request, property_id: uuid.UUID, rule_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rates_manage)
    try:
        async with session.begin_nested():
            await pricing.delete_rule(session, staff.prop, rule_id, actor(request, staff))
    except AppError as exc:
        return await _page(request, session, staff, error=exc.detail, status=exc.status)
    return redirect(f"{staff.base}/pricing?done=deleted")


@router.post("/staff/p/{property_id}/promo-codes")
async def create_promo(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rates_manage)
    form = await request.form()
    try:
        data = _promo(form, staff)
        async with session.begin_nested():
            await pricing.create_promo(session, staff.prop, data, actor(request, staff))
    except AppError as exc:
        return await _page(
            request,
            session,
            staff,
            error=exc.detail,
            errors=field_messages(exc.errors),
            form="promo",
            values=_form_values(form),
            status=exc.status,
        )
    return redirect(f"{staff.base}/pricing?done=promo")


@router.post("/staff/p/{property_id}/promo-codes/{promo_id}/deactivate")
async def deactivate_promo(
    request: Request, property_id: uuid.UUID, promo_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rates_manage)
    try:
        async with session.begin_nested():
            await pricing.deactivate_promo(session, staff.prop.id, promo_id, actor(request, staff))
    except AppError as exc:
        return await _page(request, session, staff, error=exc.detail, status=exc.status)
    return redirect(f"{staff.base}/pricing?done=deactivated")
