from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update

from innkeeper.context import AppContext
from innkeeper.identity.models import User
from tests.helpers import API, PASSWORD, signup


async def make_admin(client: httpx.AsyncClient, ctx: AppContext) -> dict[str, Any]:
    tokens = await signup(client)
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(User).where(User.id == uuid.UUID(tokens["user"]["id"])).values(is_platform_admin=True)
        )
    return tokens


async def test_create_admin_cli(ctx: AppContext, settings: Any, client: httpx.AsyncClient) -> None:
    env = {
        **os.environ,
        "INNKEEPER_ENV": "test",
        "INNKEEPER_SECRET_KEY": settings.secret_key,
        "INNKEEPER_DATABASE_URL": settings.database_url,
    }
    cmd = [
        sys.executable,
        "-m",
        "innkeeper.cli",
        "create-admin",
        "--email",
        "Root@Example.com",
        "--password",
        PASSWORD,
    ]
    done = await asyncio.to_thread(subprocess.run, cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    async with ctx.db.unit_of_work(write=False) as session:
        user = await session.scalar(select(User).where(User.email == "root@example.com"))
    assert user is not None and user.is_platform_admin
    login = await client.post(f"{API}/auth/login", json={"email": "root@example.com", "password": PASSWORD})
    assert login.status_code == 200
    assert "platform_admin" in login.json()["user"]["roles"]
    weak = await asyncio.to_thread(
        subprocess.run, [*cmd[:-1], "short"], env=env, capture_output=True, text=True, timeout=120
    )
    assert weak.returncode == 2
