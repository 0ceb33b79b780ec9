"""``/docs``: Swagger UI over ``/openapi.json``, served from this site's own files.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script: it fails
offline, and the pages' Content-Security-Policy (``kit.security_headers``: scripts from this site
only) would block both. This page loads the vendored copy under ``/static`` and starts it from
``/static/swagger-init.js``.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

#: swagger-ui-dist, vendored unchanged in ``web/static`` (its LICENSE and NOTICE beside it)
SWAGGER_UI_VERSION = "5.35.0"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="/static/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    app = request.app
    return HTMLResponse(
        PAGE.format(title=escape(f"{app.title} - API docs"), openapi_url=escape(app.openapi_url or ""))
    )
