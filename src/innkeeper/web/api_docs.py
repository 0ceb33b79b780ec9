"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) over ``/openapi.json``, served from this site's own files.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script: it fails
offline, and the pages' Content-Security-Policy (``kit.security_headers``: scripts from this site
only) would block both. This page loads the vendored copy under ``/static`` and starts it from
``/static/swagger-init.js``. ``/redoc`` loads the vendored ReDoc bundle, which starts itself from its
``<redoc spec-url>`` element (no inline script); ReDoc styles itself with injected ``<style>`` elements
and searches in a ``blob:`` worker, so that page alone answers with ``REDOC_PAGE_POLICY``.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from innkeeper.kit.security_headers import REDOC_PAGE_POLICY

router = APIRouter(include_in_schema=False)

#: swagger-ui-dist, vendored unchanged in ``web/static`` (its LICENSE and NOTICE beside it)
SWAGGER_UI_VERSION = "5.35.0"
#: redoc's standalone bundle, vendored unchanged in ``web/static/vendor`` (see its README)
REDOC = "/static/vendor/redoc-2.5.4.standalone.js"

HEAD = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
"""
SWAGGER_BODY = """  <link rel="stylesheet" href="/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="/static/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
"""
REDOC_BODY = """</head>
<body>
  <redoc spec-url="{openapi_url}"></redoc>
  <script src="{redoc}"></script>
</body>
</html>
"""


def _page(request: Request, name: str, body: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    app = request.app
    values = {"title": escape(f"{app.title} - {name}"), "openapi_url": escape(app.openapi_url or "")}
    return HTMLResponse((HEAD + body).format(**values, redoc=REDOC), headers=headers)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    return _page(request, "API docs", SWAGGER_BODY)


@router.get("/redoc", response_class=HTMLResponse)
async def api_reference(request: Request) -> HTMLResponse:
    return _page(request, "API reference", REDOC_BODY, {"Content-Security-Policy": REDOC_PAGE_POLICY})
