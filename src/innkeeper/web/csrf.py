"""CSRF protection for every form of the site: a signed double-submit token.

The browser holds a random value in the HttpOnly cookie ``ik_csrf``; each form carries that value
signed with the secret key (hidden field ``csrf_token``; htmx requests send it as ``X-CSRF-Token``,
from ``hx-headers`` on the page's body). A post is refused (403 page) unless the token is the
signature of the cookie's value. Another site can make a browser post to us but can neither read the
cookie nor forge the signature; the cookie is ``SameSite=Lax`` besides. A post whose ``Origin``
header names another site is refused too. Signing in replaces the value (no token from before the
login is accepted after it).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response

from innkeeper.kit.errors import Forbidden
from innkeeper.kit.security import random_token
from innkeeper.web import session as web_session

COOKIE = "ik_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfRefused(Forbidden):
    code = "web.csrf"
    title = "Form expired"


def token(request: Request) -> str:
    """The token for this page's forms; a new cookie value is made (and set by ``attach``) if needed."""
    value = getattr(request.state, "csrf_value", None) or request.cookies.get(COOKIE)
    if not value or len(value) > 100:
        value = random_token(24)
        request.state.csrf_new = True
    request.state.csrf_value = value
    return web_session.sign(request, value, "csrf")


def renew(request: Request) -> None:
    """A fresh value (after signing in or out): tokens rendered before stop working."""
    request.state.csrf_value = random_token(24)
    request.state.csrf_new = True


def attach(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        web_session.set_cookie(request, response, COOKIE, request.state.csrf_value, None)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def verify(request: Request) -> None:
    """Dependency of every form post of the site."""
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(FIELD)
        sent = field if isinstance(field, str) else None
    if not cookie or not sent or not _same_origin(request):
        raise CsrfRefused("This form has expired. Reload the page and try again.")
    if not hmac.compare_digest(web_session.sign(request, cookie, "csrf"), sent):
        raise CsrfRefused("This form has expired. Reload the page and try again.")


CsrfChecked = Annotated[None, Depends(verify)]
