"""Guest web pages: the site's routers in one (``app.py`` includes this one)."""

from __future__ import annotations

from fastapi import APIRouter

from innkeeper.web.guest import (
    account,
    book,
    cms_pages,
    guest_link,
    manage,
    places,
    search,
    signup,
    stay_pages,
    stripe_pay,
    tickets_pages,
)

router = APIRouter(include_in_schema=False)
for part in (
    search.router,
    places.router,
    book.router,
    manage.router,
    guest_link.router,
    stay_pages.router,
    account.router,
    signup.router,
    stripe_pay.router,
    tickets_pages.router,
    cms_pages.router,
):
    router.include_router(part)
