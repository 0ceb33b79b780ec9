from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select, update

from innkeeper.context import AppContext
from innkeeper.identity.models import User
from tests.cli_support import run_cli
from tests.helpers import API, PASSWORD, signup


async def make_admin(client: httpx.AsyncClient, ctx: AppContext) -> dict[str, Any]:
    tokens = await signup(client)
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(User).where(User.id == uuid.UUID(tokens["user"]["id"])).values(is_platform_admin=True)
        )
    return tokens


async def test_create_admin_cli(ctx: AppContext, settings: Any, client: httpx.AsyncClient) -> None:
    args = ("create-admin", "--email", "Root@Example.com", "--password")
    done = await run_cli(settings, *args, PASSWORD)
    assert done.exit_code == 0, done.output
    async with ctx.db.unit_of_work(write=False) as session:
        user = await session.scalar(select(User).where(User.email == "root@example.com"))
    assert user is not None and user.is_platform_admin
    login = await client.post(f"{API}/auth/login", json={"email": "root@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert "platform_admin" in login.json()["user"]["roles"]
    weak = await run_cli(settings, *args, "short")
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output, weak.output
