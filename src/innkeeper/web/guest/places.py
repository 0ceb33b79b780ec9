"""A property's page (photos, room types with prices for the chosen dates, a price calendar, house
rules) and an hourly resource's page (a day picker and its free slots with prices)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from innkeeper.catalog import resources
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.models import Favorite
from innkeeper.catalog.schemas import check_slug
from innkeeper.engagement import favorites, reviews
from innkeeper.inventory import hourly, schedule
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.search import service as search_service
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest import cms_pages
from innkeeper.web.guest.forms import StayForm, field_messages, parse_date, parse_int
from innkeeper.web.pages import WebUser, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: days shown by the price calendar at once
CALENDAR_DAYS = 28


def _slug(slug: str) -> str:
    try:
        return check_slug(slug)
    except ValueError as exc:
        raise PropertyNotFound() from exc


async def _calendar(
    request: Request, session: DbSession, slug: str, room_type_id: str, start: date, form: StayForm
) -> dict[str, Any]:
    """The price calendar's days; each bookable day links to the property page arriving that day for
    as many nights as chosen."""
    settings = request.app.state.ctx.settings
    data = await search_service.calendar(
        session, settings, slug, uuid.UUID(room_type_id), start, start + timedelta(days=CALENDAR_DAYS)
    )
    nights = max(1, form.nights)
    days = []
    for day in data["items"]:
        arrive = date.fromisoformat(day["date"])
        stay = StayForm(
            checkin=arrive, checkout=arrive + timedelta(days=nights), guests=form.guests, rooms=form.rooms
        )
        bookable = day["price"] is not None and not day["closed"] and day["available"] > 0
        days.append({**day, "href": f"/p/{slug}?{stay.query()}#rooms-heading" if bookable else None})
    later = start + timedelta(days=CALENDAR_DAYS)
    return {"days": days, "room_type_id": room_type_id, "start": start, "later": later.isoformat()}


@router.get("/p/{slug}")
async def property_page(request: Request, slug: str, session: DbSession, web_user: WebUser) -> Response:
    slug = _slug(slug)
    prop = await search_service.property_page(session, slug)
    form = StayForm.read(request.query_params).with_defaults()
    offers: list[dict[str, Any]] = []
    if not form.errors:
        assert form.checkin is not None and form.checkout is not None
        try:
            found = await search_service.availability(
                session,
                request.app.state.ctx.settings,
                slug,
                form.checkin,
                form.checkout,
                form.guests,
                form.rooms,
                web_user.user if web_user else None,
            )
            offers = found["items"]
        except ValidationFailed as exc:
            form.errors.update(field_messages(exc.errors))
    calendar = None
    if prop["room_types"]:
        today = local_today(prop["timezone"])
        start = max(today, form.checkin or today)
        calendar = await _calendar(request, session, slug, prop["room_types"][0]["id"], start, form)
    shown, review_count = await reviews.published_page(session, uuid.UUID(prop["id"]), limit=5, offset=0)
    favorite = (
        web_user is not None
        and (await session.get(Favorite, (web_user.user.id, uuid.UUID(prop["id"])))) is not None
    )
    return render(
        request,
        "guest/property.html",
        {
            "prop": prop,
            "form": form,
            "offers": offers,
            "calendar": calendar,
            "room_types": prop["room_types"],
            "reviews": [reviews.public_to_api(r) for r in shown],
            "review_count": review_count,
            "favorite": favorite,
            "pages": await cms_pages.listed(session, uuid.UUID(prop["id"])),
        },
    )


@router.post("/p/{slug}/favorite")
async def toggle_favorite(
    request: Request, slug: str, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    """Mark or unmark the property as a favorite (signed in; otherwise sign in first)."""
    slug = _slug(slug)
    if web_user is None:
        return redirect(f"/login?next=/p/{slug}")
    prop = await search_service.public_property(session, slug)
    actor = web_session.actor(request, web_user)
    if await session.get(Favorite, (web_user.user.id, prop.id)) is None:
        await favorites.add(session, web_user.user, prop.id, actor)
    else:
        await favorites.remove(session, web_user.user, prop.id, actor)
    return redirect(f"/p/{slug}")


@router.get("/p/{slug}/calendar")
async def calendar_part(
    request: Request,
    slug: str,
    session: DbSession,
    room_type_id: uuid.UUID,
    start: Annotated[str | None, Query(alias="from")] = None,
) -> Response:
    """htmx: the price calendar of another room type or month."""
    slug = _slug(slug)
    prop = await search_service.public_property(session, slug)
    today = local_today(prop.timezone)
    first = max(today, parse_date(start) or today)
    form = StayForm.read(request.query_params).with_defaults()
    calendar = await _calendar(request, session, slug, str(room_type_id), first, form)
    page = {"slug": slug, "timezone": prop.timezone}
    return render(request, "guest/_calendar.html", {"calendar": calendar, "prop": page, "form": form})


@router.get("/r/{resource_id}")
async def resource_page(
    request: Request, resource_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    resource, prop = await resources.public_resource(session, resource_id)
    addons = (await resources.addons_of(session, [resource.id]))[resource.id]
    view = resources.public_resource_to_api(resource, prop, addons)
    q = request.query_params
    today = local_today(prop.timezone)
    day = parse_date(q.get("date")) or today
    modes = resources.modes_of(resource)
    mode = q.get("mode") if q.get("mode") in modes else modes[0]
    length = parse_int(q.get("duration"), resource.min_duration_minutes, 1, 24 * 60)
    attendees = parse_int(q.get("attendees"), 1, 1, 100_000)
    errors: dict[str, str] = {}
    if resource.capacity is not None and attendees > resource.capacity:
        errors["attendees"] = f"At most {resource.capacity}"
    slots: list[dict[str, Any]] = []
    if not errors:
        try:
            hourly.check_duration(resource, length, field="duration")
            found = await hourly.free_slots(session, resource, prop, day, length, now=utcnow())
            prices = await hourly.price_slots(session, prop, resource, found, attendees=attendees, mode=mode)
        except ValidationFailed as exc:
            errors.update(field_messages(exc.errors) or {"duration": exc.detail})
            found, prices = [], []
        tz = ZoneInfo(prop.timezone)
        slots = [
            {"start": schedule.at(s, tz), "end": schedule.at(e, tz), "price": p.to_api() if p else None}
            for (s, e), p in zip(found, prices, strict=True)
        ]
    durations = sorted(
        {resource.min_duration_minutes, *range(60, (resource.max_duration_minutes or 480) + 1, 60)}
        - {m for m in range(0, resource.min_duration_minutes)}
    )
    return render(
        request,
        "guest/resource.html",
        {
            "res": view,
            "day": day,
            "days": [today + timedelta(days=i) for i in range(14)],
            "mode": mode,
            "length": length,
            "durations": durations,
            "attendees": attendees,
            "slots": slots,
            "errors": errors,
        },
    )
