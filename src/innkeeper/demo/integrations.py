"""Demo data: integrations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.demo.world import DemoWorld


async def load(session: AsyncSession, world: DemoWorld) -> None:
    """Idempotent: running the demo loader twice adds nothing the second time."""
