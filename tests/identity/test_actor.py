"""Audit attribution does not depend on the order in which FastAPI resolves dependencies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import APIRouter

from innkeeper.audit.service import Actor
from innkeeper.identity.deps import ActorDep, CurrentUser
from innkeeper.kit.http import UnitOfWorkRoute
from tests.helpers import bearer, signup


async def test_actor_knows_the_user_even_before_authentication_runs(
    app: Any, client: httpx.AsyncClient
) -> None:
    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.post("/__whoami")
    async def whoami(actor: ActorDep, user: CurrentUser) -> dict[str, str | None]:  # actor resolved first
        return {"actor": str(actor.user_id) if actor.user_id else None, "user": str(user.id), "ip": actor.ip}

    app.include_router(router)
    tokens = await signup(client)
    r = await client.post("/__whoami", headers=bearer(tokens))
    assert r.status_code == 200, r.text
    assert r.json() == {"actor": tokens["user"]["id"], "user": tokens["user"]["id"], "ip": "203.0.113.7"}


def test_system_actor_has_no_address() -> None:
    actor = Actor.system("expiry")
    assert actor.user_id is None and actor.ip is None and actor.request_id == "job:expiry"
    assert uuid.UUID(int=0) != actor.user_id
