"""Security headers on every answer: JSON, pages, files, and every error, refusals included.

* ``X-Content-Type-Options: nosniff``: a browser never reads a JSON or an image answer as a page.
* ``Content-Security-Policy`` with ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old
  browsers): no other site frames a page of ours (clickjacking). JSON answers also get
  ``default-src 'none'`` (they load nothing); pages get ``default-src 'self'``: scripts, styles and
  images only from this site, no inline script, forms posting only here. ``/docs`` complies: Swagger UI
  is served from ``/static`` (``innkeeper.web.api_docs``), not a CDN.
* ``Referrer-Policy: same-origin``: links to other sites do not carry our paths (booking ids, tokens in
  a query string).
* ``Strict-Transport-Security`` only when ``hsts`` (production, which is served over HTTPS): a browser
  that saw it refuses plain HTTP to the host for a year. Not ``includeSubDomains``: other hosts of the
  domain are not ours to decide.

An answer that already carries one of these headers keeps its own value: the card page with Stripe sets
``STRIPE_PAGE_POLICY`` that way (the only page allowed to load a script from another site).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: pages (the site, /docs): this site's own scripts, styles and images (and data: images, which Swagger
#: UI's stylesheet uses), no plugins, no <base>, forms posting here only, never framed
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: the guest site's card page with Stripe (``web/guest/stripe_pay.py``), and no other page: the one
#: documented exception to "nothing from another site". Stripe.js must be loaded from js.stripe.com (Stripe
#: requires it for PCI compliance; it cannot be vendored). It talks to api.stripe.com and shows the card
#: form and 3-D Secure in frames from js.stripe.com (and its subdomains) and hooks.stripe.com, per Stripe's
#: integration security guide. The route sets this header itself, only when the provider is Stripe;
#: everything else of PAGE_POLICY (no inline script, forms posting here, never framed) still holds
STRIPE_PAGE_POLICY = (
    f"{PAGE_POLICY}; script-src 'self' https://js.stripe.com https://*.js.stripe.com; "
    "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; "
    "connect-src 'self' https://api.stripe.com"
)
#: ``/redoc`` (``web/api_docs.py``) and no other page: ReDoc (vendored, served from here) styles itself with
#: ``<style>`` elements it injects and runs its search in a ``blob:`` worker. It shows the public API
#: description only (no user data, no form), so inline styles there risk nothing; scripts stay this site's
REDOC_PAGE_POLICY = f"{PAGE_POLICY}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
#: JSON and problem answers load nothing
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: anything else (images, PDFs, metrics): only never framed (a PDF viewer must keep working)
OTHER_POLICY = "frame-ancestors 'none'"
HSTS = "max-age=31536000"


class SecurityHeaders:
    """The headers every answer gets; the content security policy follows the answer's type."""

    def __init__(self, *, hsts: bool) -> None:
        common = {
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "same-origin",
        }
        if hsts:
            common["strict-transport-security"] = HSTS
        self.common = common
        self._raw = [(name.encode(), value.encode()) for name, value in common.items()]

    @staticmethod
    def policy_for(content_type: str) -> str:
        media = content_type.split(";")[0].strip().lower()
        if media == "text/html":
            return PAGE_POLICY
        if media == "application/json" or media.endswith("+json"):
            return JSON_POLICY
        return OTHER_POLICY

    def for_json(self) -> dict[str, str]:
        """For an answer built outside the middleware (the 500 handler runs outside every middleware)."""
        return {**self.common, "content-security-policy": JSON_POLICY}

    def add_to(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        added = [(name, value) for name, value in self._raw if name not in present]
        if b"content-security-policy" not in present:
            content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
            policy = self.policy_for(content_type.decode("latin-1"))
            added.append((b"content-security-policy", policy.encode()))
        return [*headers, *added]


class SecurityHeadersMiddleware:
    """Adds :class:`SecurityHeaders` to every HTTP answer passing through (plain ASGI)."""

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.headers.add_to(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)
