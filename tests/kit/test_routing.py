"""``kit.routing.PrefixRouter``: a path outside the prefix never reaches the routes below it; a path
under it is matched and dispatched as by a plain ``APIRouter`` (root path included)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Scope

from innkeeper.kit.routing import PrefixRouter

tried: list[str] = []


class CountingRoute(APIRoute):
    def matches(self, scope: Scope) -> Any:
        tried.append(scope["path"])
        return super().matches(scope)


def _app() -> FastAPI:
    api = PrefixRouter(prefix="/api/v1", route_class=CountingRoute)

    @api.get("/things/{n}")
    async def thing(n: int) -> dict[str, int]:
        return {"n": n}

    app = FastAPI()
    app.include_router(api)

    @app.get("/page")
    async def page() -> dict[str, str]:
        return {"page": "yes"}

    return app


async def test_outside_the_prefix_no_route_below_is_tried() -> None:
    tried.clear()
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/page")).json() == {"page": "yes"}
        assert (await client.get("/api/v1x/things/1")).status_code == 404
        assert (await client.get("/nothing")).status_code == 404
        assert tried == []  # none of these walked the API's routes
        assert (await client.get("/api/v1/things/7")).json() == {"n": 7}
        assert tried  # under the prefix: matched as before
        assert (await client.get("/api/v1/things/x")).status_code == 422


async def test_under_a_root_path() -> None:
    transport = httpx.ASGITransport(app=_app(), root_path="/innkeeper")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/innkeeper/api/v1/things/3")).json() == {"n": 3}
        assert (await client.get("/innkeeper/page")).json() == {"page": "yes"}
