"""Home (the search form), search results, city suggestions and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.search import service as search_service
from innkeeper.search.finder import catalog_cache
from innkeeper.search.service import SearchParams
from innkeeper.web import i18n
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest.forms import AMENITIES, PAGE_SIZE, SORTS, StayForm, field_messages, parse_int
from innkeeper.web.guest.forms import parse_price as price_of
from innkeeper.web.pages import WebUser, redirect, render, safe_next
from innkeeper.web.session import set_cookie

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request, session: DbSession, web_user: WebUser) -> Response:
    form = StayForm.read(request.query_params).with_defaults()
    form.errors.clear()
    cities = await search_service.locations(session, None, 12)
    return render(request, "guest/home.html", {"form": form, "cities": cities})


@router.get("/search/cities")
async def city_suggestions(
    request: Request, session: DbSession, city: Annotated[str, Query(max_length=120)] = ""
) -> Response:
    """htmx: the ``<option>`` list of the city field's ``<datalist>``."""
    cities = await search_service.locations(session, city.strip() or None, 8)
    return render(request, "guest/_cities.html", {"cities": cities})


@router.get("/search")
async def search(request: Request, session: DbSession, web_user: WebUser) -> Response:
    q = request.query_params
    form = StayForm.read(q, need_city=True).with_defaults()
    stars = [s for s in q.getlist("stars") if s in {"1", "2", "3", "4", "5"}]
    amenities = [a for a in q.getlist("amenities") if a in AMENITIES]
    sort = str(q.get("sort")) if q.get("sort") in SORTS else "price"
    min_price, max_price = q.get("min_price", ""), q.get("max_price", "")
    filters = {
        "min_price": min_price,
        "max_price": max_price,
        "stars": stars,
        "amenities": amenities,
        "sort": sort,
    }
    page = parse_int(q.get("page"), 1, 1, 1000)
    items: list[dict[str, object]] = []
    total = 0
    if not form.errors:
        assert form.checkin is not None and form.checkout is not None
        params = SearchParams(
            checkin=form.checkin,
            checkout=form.checkout,
            guests=form.guests,
            rooms=form.rooms,
            city=form.city,
            min_price=price_of(min_price),
            max_price=price_of(max_price),
            amenities=amenities,
            stars=[int(s) for s in stars],
            sort=sort,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        try:
            items, total = await search_service.search(
                session,
                request.app.state.ctx.settings,
                params,
                web_user.user if web_user else None,
                catalog_cache(request.app.state.ctx),
            )
        except ValidationFailed as exc:
            form.errors.update(field_messages(exc.errors))
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "guest/search.html",
        {
            "form": form,
            "filters": filters,
            "amenity_choices": AMENITIES,
            "items": items,
            "total": total,
            "page": page,
            "pages": pages,
            "page_query": lambda n: form.query(**{k: v for k, v in filters.items() if v}, page=n),
        },
    )


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    """A preference, not an action on data: a plain link (GET) sets it."""
    response = redirect(safe_next(next, "/"))
    if code in i18n.LANGUAGES:
        set_cookie(request, response, i18n.COOKIE, code, 365 * 86400)
    return response
