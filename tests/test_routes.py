"""Routes are matched in order: no route may be shadowed by an earlier one of the same method, so the
order routers are included in (busiest first, for speed) never changes which endpoint answers. And
every route documents its answers: a response model for JSON, problem documents for errors."""

from __future__ import annotations

import re
from typing import Any, get_args

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01a204d4-a0fd-75c6-aaae-d50b71943bbf", path)


def test_no_route_is_shadowed_by_an_earlier_one(app: Any) -> None:
    ordered: list[tuple[str, str]] = []
    for path, operations in app.openapi()["paths"].items():
        ordered += [(method, path) for method in operations]
    assert len(ordered) > 50
    shadowed = []
    for i, (method, path) in enumerate(ordered):
        sample = _sample(path)
        for earlier_method, earlier in ordered[:i]:
            if earlier_method == method and earlier != path and _pattern(earlier).match(sample):
                shadowed.append(f"{method.upper()} {path} is answered by {earlier}")
    assert shadowed == []


#: The API routes that answer something else than JSON, each declaring its ``response_class`` (and
#: documenting its media type in ``responses``). Every other route with a body has a response model.
NON_JSON_ROUTES = {
    ("GET", "/metrics"),  # Prometheus text exposition format
    ("GET", "/api/v1/images/{image_id}"),  # the image's bytes (JPEG, PNG, WebP or GIF)
    ("GET", "/api/v1/bookings/{booking_id}/invoice.pdf"),  # the invoice as a PDF
}


def _response_class(route: APIRoute) -> type[Response]:
    declared = route.response_class
    cls = declared.value if isinstance(declared, DefaultPlaceholder) else declared
    assert isinstance(cls, type)
    return cls


def _is_model(annotation: Any) -> bool:
    """A pydantic model, or a container of them (``list[RoomOut]``); not a bare ``dict``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_is_model(arg) for arg in get_args(annotation))


def test_every_json_route_has_a_response_model(app: Any) -> None:
    missing, wrongly_listed = [], []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue  # the server-rendered pages are not API
        for method in route.methods or ():
            key = (method, route.path)
            if key in NON_JSON_ROUTES:
                if issubclass(_response_class(route), JSONResponse):
                    wrongly_listed.append(key)
            elif route.status_code != 204 and not _is_model(route.response_model):
                missing.append(key)
    assert missing == []
    assert wrongly_listed == []


def test_error_answers_are_problem_documents(app: Any) -> None:
    """Every documented error is ``application/problem+json`` (``kit.problems``), none FastAPI's own
    ``HTTPValidationError`` (our 422 is a problem too)."""
    document = app.openapi()
    assert {"Problem", "FieldError"} <= set(document["components"]["schemas"])
    own_shape = {("get", "/readyz", "503")}  # the readiness report itself: which check failed
    wrong = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or (method, path, status) in own_shape:
                    continue
                if list(response.get("content", {})) != ["application/problem+json"]:
                    wrong.append(f"{method.upper()} {path} {status}: {sorted(response.get('content', {}))}")
    assert wrong == []
