"""Operational endpoints: liveness, readiness, metrics, and failed-job visibility for admins."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select, update

from innkeeper.kit import metrics
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.jobs import FAILED, QUEUED, Job

router = APIRouter(include_in_schema=True, tags=["service"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    ctx = request.app.state.ctx
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ctx.db.ping(), timeout=3)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if ctx.redis is not None:
        try:
            await asyncio.wait_for(ctx.redis.ping(), timeout=3)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics")
async def prometheus() -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


class JobOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class JobList(BaseModel):
    items: list[JobOut]
    total: int


def admin_router(require_admin: Callable[..., Any]) -> APIRouter:
    """Built with the identity dependency passed in, so the kit imports no domain."""
    admin = APIRouter(
        route_class=UnitOfWorkRoute, tags=["admin"], prefix="/admin", dependencies=[Depends(require_admin)]
    )

    @admin.get("/jobs", response_model=JobList)
    async def list_jobs(
        session: DbSession,
        status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> JobList:
        stmt = select(Job)
        count = select(func.count()).select_from(Job)
        if status:
            stmt, count = stmt.where(Job.status == status), count.where(Job.status == status)
        rows = (await session.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset))).all()
        return JobList(
            items=[JobOut.model_validate(r, from_attributes=True) for r in rows],
            total=int(await session.scalar(count) or 0),
        )

    @admin.post("/jobs/{job_id}/retry", response_model=JobOut)
    async def retry_job(job_id: uuid.UUID, session: DbSession) -> JobOut:
        job = await session.get(Job, job_id)
        if job is None or job.status != FAILED:
            raise NotFound("No failed job with this id", code="jobs.not_found")
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=QUEUED, run_at=utcnow(), attempts=0, finished_at=None)
        )
        await session.refresh(job)
        return JobOut.model_validate(job, from_attributes=True)

    return admin
