from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from innkeeper import __version__

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> HTMLResponse:
    settings = request.app.state.ctx.settings
    return request.app.state.templates.TemplateResponse(
        request, "landing.html", {"version": __version__, "dev": not settings.is_production}
    )
