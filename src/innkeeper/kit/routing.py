"""A router of routers that answers "not mine" at once for a path outside its prefix.

FastAPI (0.165) matches an included router by walking every route below it, and walks them again to
dispatch into the one that matched; nothing looks at the prefix first. The API's ~300 routes all sit
under ``/api/v1``, so every page of the site (matched after them) and every 404 paid for testing each of
them: about 4 ms of CPU a request, most of a page's routing. :class:`PrefixRouter` checks the prefix
before the walk; a path under it is matched exactly as before.

The same walk first asks each router for its "routes version" (to know whether its cached list of
candidates is stale), and that version is a sum over every route below, recomputed at each level on
every request: ~4 % of a booking's CPU. Once the app is built (:meth:`PrefixRouter.freeze`) the
version is computed once; adding a route to the router itself thaws it.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class PrefixRouter(APIRouter):
    """An ``APIRouter`` whose every route lives under its (non-empty) ``prefix``."""

    def __init__(self, *, prefix: str, **kwargs: object) -> None:
        assert prefix.startswith("/") and not prefix.endswith("/"), "a prefix like /api/v1"
        super().__init__(prefix=prefix, **kwargs)  # type: ignore[arg-type]
        self._under = prefix + "/"
        self._frozen_version: int | None = None

    def freeze(self) -> None:
        """No route is added below this router from now on (the app is built): its version is final."""
        self._frozen_version = super()._get_routes_version()

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        if self._frozen_version is not None:
            return self._frozen_version
        return super()._get_routes_version(seen)

    def _mark_routes_changed(self) -> None:
        self._frozen_version = None
        super()._mark_routes_changed()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(self._under):
            return Match.NONE, {}
        return super().matches(scope)
