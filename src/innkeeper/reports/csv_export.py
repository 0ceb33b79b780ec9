"""Every report as CSV too: asked for with ``?format=csv`` or ``Accept: text/csv``.

A report's rows (its ``items``, or the report itself as one row) are flattened: a money object
``{"amount", "currency"}`` under ``adr`` becomes the columns ``adr`` and ``adr_currency``, another
nested object ``rooms: {clean: 3}`` becomes ``rooms.clean``, a list is joined with ``"; "``. A text cell
that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first, and
not a number) is prefixed with ``'`` (OWASP's advice against CSV injection: guest names are typed by
guests).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response

CSV_MEDIA_TYPE = "text/csv"
#: documents the CSV alternative of a report's 200 answer in OpenAPI
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}
}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    json = "json"
    csv = "csv"


def wants_csv(request: Request, fmt: Format | None) -> bool:
    """``?format=`` decides when given; else an ``Accept`` that names text/csv before JSON."""
    if fmt is not None:
        return fmt is Format.csv
    accept = request.headers.get("accept", "").lower()
    if CSV_MEDIA_TYPE not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find(CSV_MEDIA_TYPE) < json_at


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            out[name] = str(value["amount"])
            out[f"{name}_currency"] = str(value["currency"])
        elif isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            out[name] = "; ".join(_text(v) for v in value)
        else:
            out[name] = _text(value)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _safe(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def render(rows: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    flat = [flatten(r) for r in rows]
    if columns is None:
        seen: dict[str, None] = {}
        for r in flat:
            seen.update(dict.fromkeys(r))
        columns = list(seen)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for r in flat:
        writer.writerow([_safe(r.get(c, "")) for c in columns])
    return buffer.getvalue()


def csv_response(
    rows: Iterable[dict[str, Any]], filename: str, columns: Sequence[str] | None = None
) -> Response:
    return Response(
        render(rows, columns),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
