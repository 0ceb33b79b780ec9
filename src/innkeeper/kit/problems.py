"""The error answers in the OpenAPI document: a :class:`Problem` schema and ``responses=`` entries.

Every error is one ``application/problem+json`` body (``kit.http.problem_response``). Routers declare
which ones an operation can answer with :func:`problem_responses`, from statuses or error classes::

    router = APIRouter(responses=problem_responses(401, 404, 422))

    @router.post("/things", responses=problem_responses(ThingExists, ThingNotReady))

An error class contributes its status and its stable ``code`` (listed in the response's description,
so clients see which codes to expect). The entries refer to ``#/components/schemas/Problem``, which
:func:`document_problems` adds to the app's document: FastAPI would file a ``model=`` under the route's
own media type (``application/json``), not ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from innkeeper.kit.errors import PROBLEM_CONTENT_TYPE, AppError
from innkeeper.kit.idempotency import InFlight, KeyReused, MalformedKey

REF_PREFIX = "#/components/schemas/"


class FieldError(BaseModel):
    field: str = Field(examples=["checkin"])
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details; clients match on ``code``, ``title`` and ``detail`` are for people."""

    # an error may add members of its own (``retry_after`` of a 429)
    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(examples=["https://innkeeper.dev/problems/property/not_found"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    code: str = Field(examples=["property.not_found"])
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(None, description="Per-field messages (422)")


#: A status, an error class (its status and code), or a ``(status, code)`` pair for an error raised
#: with a code of its own (``Forbidden(code="auth.role")``).
ProblemSpec = int | type[AppError] | tuple[int, str]

#: What every route that reads a JSON body can answer: malformed JSON, too large, not JSON, invalid.
BODY: tuple[ProblemSpec, ...] = (400, 413, 415, 422)
#: A write with a JSON body: that, and the per-caller write budget (429).
JSON_WRITE: tuple[ProblemSpec, ...] = (*BODY, 429)
#: What a route taking an ``Idempotency-Key`` (``kit.idempotency``) adds.
IDEMPOTENT: tuple[ProblemSpec, ...] = (InFlight, KeyReused, MalformedKey)

#: What each status means in this API, for the description of an answer without specific codes.
_MEANING = {
    400: "Malformed request (for example a body that is not valid JSON)",
    401: "Missing, expired or revoked bearer token, or wrong credentials",
    403: "Authenticated, but the role does not allow this",
    404: "No such resource, or not one the caller may see",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Body not sent as application/json",
    422: "Invalid fields (`errors` lists them)",
    429: "Too many requests (see `Retry-After`)",
    502: "The payment provider refused the request",
    503: "Temporarily unavailable; retry (see `Retry-After`)",
}


def problem_responses(*specs: ProblemSpec) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given statuses, error classes and ``(status, code)`` pairs: one
    per status, naming the codes given for it."""
    codes: dict[int, list[str]] = {}
    for spec in specs:
        if isinstance(spec, int):
            status, code = spec, None
        elif isinstance(spec, tuple):
            status, code = spec
        else:
            status, code = spec.status, spec.code
        listed = codes.setdefault(status, [])
        if code is not None and code not in listed:
            listed.append(code)
    return {status: _response(status, codes[status]) for status in sorted(codes)}


def _response(status: int, codes: list[str]) -> dict[str, Any]:
    description = _MEANING.get(status) or HTTPStatus(status).phrase
    if codes:
        description += "; codes: " + ", ".join(f"`{c}`" for c in codes)
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": f"{REF_PREFIX}Problem"}}},
    }


def problem_schemas() -> dict[str, Any]:
    """The component schemas :func:`problem_responses` refers to (``Problem``, ``FieldError``)."""
    schema = Problem.model_json_schema(ref_template=REF_PREFIX + "{model}", mode="serialization")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "Problem": schema}


def document_problems(app: FastAPI) -> None:
    """Add the problem schemas to ``app``'s OpenAPI document (built once, on first request)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
