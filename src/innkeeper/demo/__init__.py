"""Demo data for ``make run``: idempotent, safe to load again and again.

Accounts (also listed in the README):

| role            | e-mail                   | password          |
|-----------------|--------------------------|-------------------|
| platform admin  | admin@example.com        | innkeeper-admin   |
| hotel owner     | owner@example.com        | innkeeper-owner   |
| front desk      | frontdesk@example.com    | innkeeper-desk    |
| guest           | guest@example.com        | innkeeper-guest   |
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.demo import content, engagement, extras, integrations, stays
from innkeeper.demo.catalog import load_catalog
from innkeeper.demo.world import DemoWorld
from innkeeper.identity.models import User
from innkeeper.kit.security import hash_password


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    full_name: str
    admin: bool = False
    phone: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin@example.com", "innkeeper-admin", "Ada Admin", admin=True),
    DemoAccount("owner@example.com", "innkeeper-owner", "Olga Owner"),
    DemoAccount("frontdesk@example.com", "innkeeper-desk", "Frank Desk"),
    DemoAccount("guest@example.com", "innkeeper-guest", "Grace Guest", phone="+14155550100"),
)


async def ensure_user(session: AsyncSession, account: DemoAccount) -> User:
    user = await session.scalar(select(User).where(User.email == account.email))
    if user is None:
        user = User(
            email=account.email,
            full_name=account.full_name,
            phone=account.phone,
            password_hash=hash_password(account.password),
            is_platform_admin=account.admin,
        )
        session.add(user)
        await session.flush()
        record(session, Actor.system("demo"), "user.created", "user", user.id, after={"demo": True})
    return user


async def load_demo(ctx: AppContext) -> dict[str, int]:
    created = 0
    users: list[User] = []
    async with ctx.db.unit_of_work() as session:
        for account in DEMO_ACCOUNTS:
            before = await session.scalar(select(User.id).where(User.email == account.email))
            users.append(await ensure_user(session, account))
            created += before is None
        # the hotel owner owns the catalog; the front desk account works at its first hotel
        catalog = await load_catalog(session, users[1], users[2], ctx.settings.inventory_horizon_days)
        await session.flush()
        world = await DemoWorld.read(session, users, ctx.settings)
        # each loader is idempotent and sees what the ones before it made (the guest's stays of today
        # first: the service orders of ``extras`` land on the one checked in)
        await stays.load(ctx, session, world)
        for loader in (extras.load, engagement.load, integrations.load, content.load):
            await loader(session, world)
    return {"users": created, "properties": int(catalog["properties"])}
