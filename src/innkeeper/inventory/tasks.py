"""Daily: roll every room type's inventory horizon forward (idempotent; a missing day is never sold)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from innkeeper.inventory.service import extend_all_horizons
from innkeeper.kit.jobs import JobContext, registry

log = structlog.get_logger(__name__)

EXTEND_HORIZON = "inventory.extend_horizon"


@registry.periodic(EXTEND_HORIZON, every=timedelta(days=1))
async def extend_horizon(job: JobContext, payload: dict[str, Any]) -> None:
    settings = job.services["app"].settings
    async with job.db.unit_of_work() as session:
        created = await extend_all_horizons(session, settings.inventory_horizon_days)
    log.info("inventory.horizon_extended", rows=created)
