"""Errors on pages are pages: a friendly 404, 403 (an expired form), 409/422 with the domain's own
sentence, and a 500 that shows only the request id (no exception text, no traceback).

* :class:`WebRoute` is the route class of every page: the API's unit of work (one transaction,
  committed before the answer) plus this translation of errors.
* :func:`install` makes the application's handlers answer HTML to a browser asking for a page that
  does not exist (or failing outside a page route); API clients keep getting problem+json.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from innkeeper.kit.errors import AppError
from innkeeper.kit.http import UnitOfWorkRoute, route_template
from innkeeper.kit.security_headers import PAGE_POLICY
from innkeeper.web.pages import render, translator

log = structlog.get_logger(__name__)

#: paths that are never pages: their errors stay problem+json
NOT_PAGES = ("/api/", "/openapi.json", "/healthz", "/readyz", "/metrics", "/static/", "/dev/outbox.json")


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    _ = translator(request)
    titles = {
        404: _("Page not found"),
        403: _("Not allowed"),
        409: _("That did not work"),
        422: _("Please check what you entered"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable"),
    }
    title = titles.get(status, _("That did not work"))
    if status == 404:
        detail = _("We could not find this page. It may have moved, or the link may be mistyped.")
    elif status >= 500:
        detail = _("Sorry, this is our fault. Please try again in a moment.")
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": title,
            "detail": detail,
            "request_id": getattr(request.state, "request_id", None),
        },
        status=status,
    )


class WebRoute(UnitOfWorkRoute):
    """A page: one transaction like the API's routes, and errors rendered as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def run(request: Request) -> Response:
            if not wants_page(request):  # an API client or a script: problem+json as everywhere
                return await inner(request)
            try:
                return await inner(request)
            except AppError as exc:
                response = error_page(request, exc.status, exc.detail)
                for name in ("Retry-After",):
                    if name in exc.headers:
                        response.headers[name] = exc.headers[name]
                return response
            except RequestValidationError:
                _ = translator(request)
                return error_page(request, 422, _("Some of the values sent are not valid."))
            except StarletteHTTPException as exc:
                return error_page(request, exc.status_code)
            except Exception as exc:
                log.error("web.page_error", route=route_template(request.scope), exc_info=exc)
                return error_page(request, 500)

        return run


def wants_page(request: Request) -> bool:
    path = request.url.path
    if any(path.startswith(prefix) for prefix in NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


async def _delegate(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    return cast(Response, result)


def install(app: FastAPI) -> None:
    """Answer pages, not JSON, to browsers on unknown paths and on failures outside page routes."""
    http_handler = app.exception_handlers[StarletteHTTPException]
    crash_handler = app.exception_handlers[Exception]

    async def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and wants_page(request) and exc.status_code in (404, 405):
            return error_page(request, 404)
        return await _delegate(http_handler, request, exc)

    async def crash(request: Request, exc: Exception) -> Response:
        if not wants_page(request):
            return await _delegate(crash_handler, request, exc)
        log.error("request.unhandled_error", route=route_template(request.scope), exc_info=exc)
        response = error_page(request, 500)
        # this handler runs outside every middleware: add the page's security headers here
        security = getattr(request.app.state, "security_headers", None)
        if security is not None:
            response.headers.update({**security.common, "content-security-policy": PAGE_POLICY})
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crash)
