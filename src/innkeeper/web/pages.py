"""What every page shares: rendering with the common context, the signed-in user, redirects.

``render`` gives every template: ``_`` (translate), ``fmt`` (Babel money and dates), ``lang`` and the
language list, ``user`` (or None), ``csrf_token``, ``dev`` (development outbox link), ``version`` and
``path``; it sets the CSRF and language cookies when they are new. Pages use :class:`WebRoute`
(``web.errors``), so an error becomes a page, never JSON.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from innkeeper import __version__
from innkeeper.kit.http import DbSession
from innkeeper.web import csrf, i18n
from innkeeper.web import session as web_session
from innkeeper.web.session import WebAuth


async def _web_auth(request: Request, session: DbSession) -> WebAuth | None:
    return await web_session.current(request, session)


#: the signed-in user of a page (None when signed out)
WebUser = Annotated[WebAuth | None, Depends(_web_auth)]


def lang_of(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang is None:
        lang = i18n.negotiate(request)
        request.state.lang = lang
    return str(lang)


def translator(request: Request) -> Any:
    return i18n.gettext(lang_of(request))


def common(request: Request) -> dict[str, Any]:
    lang = lang_of(request)
    settings = request.app.state.ctx.settings
    auth: WebAuth | None = getattr(request.state, "web_auth", None)
    return {
        "_": i18n.gettext(lang),
        "fmt": i18n.Formats(lang),
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "user": auth.user if auth else None,
        "csrf_token": csrf.token(request),
        "dev": not settings.is_production,
        "version": __version__,
        "path": request.url.path,
        "here": quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""),
    }


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, {**common(request), **context}, status_code=status
    )
    csrf.attach(request, response)
    return response


def safe_next(target: str | None, default: str = "/account") -> str:
    """Only a path of this site (no scheme, no host, no ``//``): never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
