"""NUL characters in text input, found in one place for every request (see ``RequestContextMiddleware``).

PostgreSQL cannot store ``\\u0000`` in a text column (SQLite can): a NUL byte in any string that
reaches the database was a 500 on PostgreSQL. No legitimate text carries one, so a NUL in the query
string, the path, a header value, a JSON body or a form body is refused as 422 before any endpoint
runs, naming the field. The checks are byte scans; a body is parsed only when the scan finds
``\\u0000`` (which may still be an escaped backslash followed by ``u0000``, a legitimate string).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from innkeeper.kit.errors import ValidationFailed

NUL_MESSAGE = "must not contain NUL (U+0000) characters"


def nul_refusal(field: str) -> ValidationFailed:
    return ValidationFailed(
        "Text input must not contain NUL characters",
        errors=[{"field": field, "message": NUL_MESSAGE, "type": "string_nul"}],
    )


def nul_field_in_form(data: bytes) -> str | None:
    """The first field of a query string or urlencoded form whose name or value holds a NUL."""
    if b"%00" not in data and b"\x00" not in data:
        return None
    for name, value in parse_qsl(data.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


def nul_field_in_headers(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if b"\x00" in value:
            return name.decode("latin-1")
    return None


def nul_field_in_json(body: bytes) -> str | None:
    """The dotted path (``guests.0.id_document_number``) of the first string holding a NUL, or None.
    Malformed JSON is None: the endpoint answers it (400) as it does any malformed body."""
    if b"\\u0000" not in body:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:  # iterative: the nesting depth is the client's choice
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return ".".join(path) or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return ".".join((*path, key.replace("\x00", ""))) or "body"
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(index)), item) for index, item in enumerate(value))
    return None
