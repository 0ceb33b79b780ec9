"""Routes are matched in order: no route may be shadowed by an earlier one of the same method, so the
order routers are included in (busiest first, for speed) never changes which endpoint answers."""

from __future__ import annotations

import re
from typing import Any


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
