"""``kit.routing.PrefixRouter``: a path outside the prefix never reaches the routes below it; a path
under it is matched and dispatched as by a plain ``APIRouter`` (root path included)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
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


async def test_a_frozen_router_counts_its_routes_once_and_thaws_when_one_is_added() -> None:

    inner = APIRouter()

    @inner.get("/a")
    async def a() -> dict[str, str]:
        return {"a": "yes"}

    api = PrefixRouter(prefix="/api/v1")
    api.include_router(inner)
    counted: list[int] = []
    original = APIRouter._get_routes_version

    def counting(self: APIRouter, seen: set[int] | None = None) -> int:
        counted.append(id(self))
        return original(self, seen)

    api.freeze()
    app = FastAPI()
    app.include_router(api)
    transport = httpx.ASGITransport(app=app)
    APIRouter._get_routes_version = counting  # type: ignore[method-assign]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/v1/a")).json() == {"a": "yes"}
            assert id(api) not in counted  # the frozen version: no walk over the routes below

            @api.get("/b")  # a route added later thaws it: it is found, and counted again
            async def b() -> dict[str, str]:
                return {"b": "yes"}

            assert (await client.get("/api/v1/b")).json() == {"b": "yes"}
            assert id(api) in counted
    finally:
        APIRouter._get_routes_version = original  # type: ignore[method-assign]
