"""The development outbox: ``/dev/outbox`` (HTML) and ``/dev/outbox.json``; 404 in production."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import problem_responses
from innkeeper.notifications import service

router = APIRouter(route_class=UnitOfWorkRoute, tags=["development"])


class DevMessageOut(BaseModel):
    channel: str
    to: str
    subject: str | None
    body: str
    attachments: list[str]
    sent_at: datetime


class DevOutbox(ListOf[DevMessageOut]):
    pass


async def _messages(request: Request, session: DbSession, limit: int, to: str | None) -> DevOutbox:
    if request.app.state.ctx.settings.is_production:
        raise NotFound()
    rows, total = await service.dev_messages(session, to=to, limit=limit)
    return DevOutbox(
        items=[
            DevMessageOut(
                channel=m.channel,
                to=m.to,
                subject=m.subject,
                body=m.body,
                sent_at=m.sent_at,
                attachments=(m.attachments or "").split(",") if m.attachments else [],
            )
            for m in rows
        ],
        total=total,
    )


@router.get(
    "/dev/outbox.json",
    response_model=DevOutbox,
    responses=problem_responses((404, "not_found"), 422),
    description="Every e-mail and SMS sent, newest first. Development and test only: 404 in production.",
)
async def outbox_json(
    request: Request,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    to: Annotated[str | None, Query(max_length=320)] = None,
) -> DevOutbox:
    return await _messages(request, session, limit, to)


@router.get("/dev/outbox", response_class=HTMLResponse, include_in_schema=False)
async def outbox_html(
    request: Request,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    to: Annotated[str | None, Query(max_length=320)] = None,
) -> HTMLResponse:
    outbox = await _messages(request, session, limit, to)
    return request.app.state.templates.TemplateResponse(request, "outbox.html", {"outbox": outbox})
