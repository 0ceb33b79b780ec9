"""E-mail over real SMTP (aiosmtpd), SMS to an HTTP provider (a real local server), the dev outbox."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from innkeeper.app import create_app
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.notifications.senders import HttpSmsSender, SmtpSender
from innkeeper.notifications.service import Attachment, Message, send_email, send_sms
from tests.helpers import with_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_email_goes_out_over_smtp_after_commit(
    smtp_server: tuple[Inbox, int], settings: Settings
) -> None:
    inbox, port = smtp_server
    app = create_app(with_settings(settings, smtp_url=f"smtp://127.0.0.1:{port}"))
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        async with ctx.db.unit_of_work() as session:
            send_email(
                ctx,
                session,
                to="guest@example.com",
                subject="Your booking",
                body="See you soon",
                html="<p>See you soon</p>",
                attachments=[
                    Attachment("stay.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
                ],
            )
        assert inbox.messages == []  # nothing leaves before a runner delivers it
        await JobRunner(ctx.db, services={"app": ctx}).drain()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            outbox = (await client.get("/dev/outbox.json")).json()
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "guest@example.com" and mail["Subject"] == "Your booking"
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert "text/html" in parts and "text/calendar" in parts
    assert parts["text/calendar"].get_filename() == "stay.ics"
    # outside production a copy lands in the development outbox too
    assert outbox["items"][0]["to"] == "guest@example.com"
    assert outbox["items"][0]["attachments"] == ["stay.ics"]


async def test_smtp_failure_is_retried_not_lost(settings: Settings) -> None:
    port = free_port()  # nothing listens here
    app = create_app(with_settings(settings, smtp_url=f"smtp://127.0.0.1:{port}?timeout=2"))
    async with app.router.lifespan_context(app):
        ctx: AppContext = app.state.ctx
        async with ctx.db.unit_of_work() as session:
            send_email(ctx, session, to="guest@example.com", subject="Hi", body="x")
        # one round, not drain(): on a stalled machine the retry's backoff (1.6-2.4 s) could pass
        # before drain looked again, and the job would be tried twice
        assert await JobRunner(ctx.db, services={"app": ctx}).run_once()  # the batch has the mail
        from sqlalchemy import select

        from innkeeper.kit.jobs import Job
        from innkeeper.notifications.service import DELIVER_JOB

        async with ctx.db.unit_of_work(write=False) as session:
            job = await session.scalar(select(Job).where(Job.kind == DELIVER_JOB))
    assert job is not None and job.status == "queued" and job.attempts == 1 and job.last_error


def test_smtp_url_parsing() -> None:
    sender = SmtpSender("smtps://user%40x:p%3Ass@mail.example.com?timeout=5", "Inn <no-reply@x>")
    assert (sender.host, sender.port, sender.use_tls, sender.username, sender.password) == (
        "mail.example.com",
        465,
        True,
        "user@x",
        "p:ss",
    )
    starttls = SmtpSender("smtp://mail.example.com:587?starttls=true", "x@y")
    assert starttls.start_tls and not starttls.use_tls and starttls.port == 587
    with pytest.raises(ValueError):
        SmtpSender("http://mail.example.com", "x@y")


@pytest.fixture
async def sms_provider() -> AsyncIterator[tuple[list[dict[str, Any]], str]]:
    received: list[dict[str, Any]] = []

    async def messages(request: Request) -> JSONResponse:
        form = await request.form()
        received.append({"form": dict(form), "auth": request.headers.get("authorization")})
        if form.get("To") == "+15005550001":
            return JSONResponse({"error": "undeliverable"}, status_code=400)
        return JSONResponse({"sid": "SM123"}, status_code=201)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/messages", messages, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield received, f"http://127.0.0.1:{port}/messages"
    finally:
        server.should_exit = True
        await task


async def test_sms_http_provider(sms_provider: tuple[list[dict[str, Any]], str]) -> None:
    received, url = sms_provider
    sender = HttpSmsSender(url, "AC123", "token", "Innkeeper")
    await sender.send(Message(channel="sms", to="+14155550100", body="Your code is 123456"))
    assert received[0]["form"] == {"To": "+14155550100", "From": "Innkeeper", "Body": "Your code is 123456"}
    assert received[0]["auth"].startswith("Basic ")
    with pytest.raises(RuntimeError, match="400"):
        await sender.send(Message(channel="sms", to="+15005550001", body="x"))


async def test_otp_sms_through_http_provider(
    sms_provider: tuple[list[dict[str, Any]], str], settings: Settings
) -> None:
    received, url = sms_provider
    app = create_app(with_settings(settings, sms_provider="http", sms_http_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post("/api/v1/auth/otp/send", json={"phone": "+14155550111"})
            assert r.status_code == 202
        await JobRunner(app.state.ctx.db, services={"app": app.state.ctx}).drain()
    assert len(received) == 1 and received[0]["form"]["To"] == "+14155550111"
    assert "code" in received[0]["form"]["Body"]


async def test_dev_outbox_pages(client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner) -> None:
    async with ctx.db.unit_of_work() as session:
        send_sms(ctx, session, to="+14155550100", body="first")
        send_email(ctx, session, to="a@example.com", subject="<b>Second</b>", body="second")
    await runner.drain()
    data = (await client.get("/dev/outbox.json")).json()
    assert data["total"] == 2
    assert {m["channel"] for m in data["items"]} == {"sms", "email"}
    for item in data["items"]:
        assert {"channel", "to", "subject", "body", "sent_at"} <= item.keys()
    sent = [m["sent_at"] for m in data["items"]]
    assert sent == sorted(sent, reverse=True)  # newest first
    page = await client.get("/dev/outbox")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;Second&lt;/b&gt;" in page.text  # escaped


async def test_dev_outbox_is_404_in_production(settings: Settings) -> None:
    # the unsafe flag lets production start with the development mail set-up; /dev/outbox stays 404
    prod = with_settings(settings, env="production", unsafe_allow_development_defaults=True)
    app = create_app(prod)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/dev/outbox", "/dev/outbox.json"):
                r = await client.get(path)
                assert r.status_code == 404
                assert r.headers["content-type"].startswith("application/problem+json")
