"""Creating an account on the site: the API's own sign-up (``identity.service.signup``, the use case
behind ``POST /auth/signup``: the same password policy, the same 409 for a taken address, the same
verification e-mail), spending the same per-address authentication budget, then signed in exactly as
after ``/login``. Mistakes are messages on the form, with what was typed kept (never the password)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.identity import errors as identity_errors
from innkeeper.identity import service as identity
from innkeeper.identity.schemas import SignupIn
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest.account import auth_budget, device_label, signed_in
from innkeeper.web.guest.forms import field_messages
from innkeeper.web.pages import WebUser, lang_of, redirect, render, safe_next

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: the form's fields, in SignupIn's names; the password is never sent back to the page
KEPT = ("full_name", "email", "phone")
#: what a field refused by SignupIn's validation says on the form (English keys: the template translates)
FIELD_MESSAGES = {
    "full_name": "Enter your full name",
    "email": "Enter an e-mail address like name@example.com",
    "password": "Enter a password",
    "phone": "Enter a phone number like +351912345678.",
}
CHECK_FIELDS = "Please check the fields marked below."


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {
        "values": dict.fromkeys(KEPT, ""),
        "errors": {},
        "error": None,
        "taken": False,
        "next": "/account",
        "min_password": identity.MIN_PASSWORD,
    }
    return render(request, "guest/signup.html", {**defaults, **context}, status=status)


def _validation_messages(exc: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else ""
        if name in FIELD_MESSAGES:
            found.setdefault(name, FIELD_MESSAGES[name])
    return found


def _refusal(exc: AppError) -> tuple[dict[str, str], str]:
    """The domain's refusal as (field messages, the form's message), in the domain's own sentences."""
    if isinstance(exc, identity_errors.EmailTaken):
        return {"email": exc.detail}, exc.detail
    if isinstance(exc, identity_errors.PhoneTaken):
        return {"phone": exc.detail}, exc.detail
    if isinstance(exc, identity_errors.WeakPassword):
        return {"password": exc.detail}, CHECK_FIELDS
    return field_messages(exc.errors), exc.detail


@router.get("/signup")
async def signup_page(request: Request, web_user: WebUser, next: str = "/account") -> Response:
    if web_user is not None:
        return redirect(safe_next(next))
    return _page(request, next=safe_next(next))


@router.post("/signup")
async def signup(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:320] for name in KEPT}
    target = safe_next(str(form.get("next") or ""))
    try:
        await auth_budget(request)
        data = SignupIn(
            email=values["email"],
            password=str(form.get("password") or ""),
            full_name=values["full_name"],
            phone=values["phone"] or None,
            device_info=device_label(request),
            locale=lang_of(request),  # the verification e-mail in the language of the page
        )
        issued = await identity.signup(request.app.state.ctx, session, data, web_session.actor(request))
    except ValidationError as exc:
        errors = _validation_messages(exc)
        return _page(request, 422, values=values, errors=errors, error=CHECK_FIELDS, next=target)
    except AppError as exc:
        errors, sentence = _refusal(exc)
        taken = isinstance(exc, identity_errors.EmailTaken)
        return _page(
            request, exc.status, values=values, errors=errors, error=sentence, taken=taken, next=target
        )
    return signed_in(request, issued, target)
