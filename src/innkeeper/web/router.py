"""``/about``: what Innkeeper is, for developers and operators (the home page is the guest search)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from innkeeper.web.errors import WebRoute
from innkeeper.web.pages import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/about")
async def about(request: Request) -> Response:
    return render(request, "about.html", {})
