"""Operational endpoints: liveness, readiness, metrics, and failed-job visibility for admins."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from innkeeper.kit import jobs, metrics
from innkeeper.kit.errors import AppError, NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import problem_responses

router = APIRouter(include_in_schema=True, tags=["service"])


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyOut(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` (503)", examples=["ok"])
    checks: dict[str, str] = Field(
        description="Per dependency: `ok` or `error: <type>`", examples=[{"database": "ok", "redis": "ok"}]
    )


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _failure(exc: BaseException) -> str:
    """``error: ConnectionRefusedError``: the underlying error's type (not the 503 problem the
    database layer raises in its place), without its message (it may name hosts)."""
    cause = exc.__cause__ if isinstance(exc, AppError) and exc.__cause__ is not None else exc
    return f"error: {type(cause).__name__}"


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "The database or Redis does not answer"}},
)
async def readyz(request: Request) -> Response:
    """Asks the database and Redis themselves (not the fallback state the cache and rate limiter keep),
    so it is 503 for as long as either is down, and 200 as soon as both answer."""
    ctx = request.app.state.ctx
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ctx.db.ping(), timeout=3)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = _failure(exc)
    if ctx.redis is not None:
        try:
            await asyncio.wait_for(ctx.redis.ping(), timeout=3)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = _failure(exc)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text exposition format"}},
)
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


class JobList(ListOf[JobOut]):
    pass


def admin_router(require_admin: Callable[..., Any]) -> APIRouter:
    """Built with the identity dependency passed in, so the kit imports no domain."""
    admin = APIRouter(
        route_class=UnitOfWorkRoute,
        tags=["admin"],
        prefix="/admin",
        dependencies=[Depends(require_admin)],
        responses=problem_responses(401, (403, "auth.admin_only"), 422),
    )

    @admin.get("/jobs", response_model=JobList)
    async def list_jobs(
        session: DbSession,
        status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> JobList:
        rows, total = await jobs.list_jobs(session, status, limit=limit, offset=offset)
        return JobList(items=[JobOut.model_validate(r, from_attributes=True) for r in rows], total=total)

    @admin.post(
        "/jobs/{job_id}/retry",
        response_model=JobOut,
        responses=problem_responses((404, "jobs.not_found"), 429),
    )
    async def retry_job(job_id: uuid.UUID, session: DbSession) -> JobOut:
        job = await jobs.retry_failed(session, job_id)
        if job is None:
            raise NotFound("No failed job with this id", code="jobs.not_found")
        return JobOut.model_validate(job, from_attributes=True)

    return admin
