"""The outer edge: SMTP for e-mail, a console or HTTP provider (Twilio-style) for SMS."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from innkeeper.config import Settings
from innkeeper.kit.crypto import mask
from innkeeper.notifications.service import Message

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger(__name__)


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


class SmtpSender:
    """``smtp://user:pass@host:587?starttls=true`` or ``smtps://host:465`` (implicit TLS)."""

    def __init__(self, url: str, mail_from: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("INNKEEPER_SMTP_URL must look like smtp://user:pass@host:port")
        query = parse_qs(parts.query)
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = query.get("starttls", ["false"])[0].lower() in {"1", "true", "yes"}
        self.timeout = float(query.get("timeout", ["15"])[0])
        self.mail_from = mail_from

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        for att in message.attachments:
            maintype, _, subtype = att.content_type.partition("/")
            mail.add_attachment(
                att.content, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
            )
        return mail

    async def send(self, message: Message) -> None:
        import aiosmtplib  # the outbox job sends; the API processes that only queue mail never load it

        await aiosmtplib.send(
            self.build(message),
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls or None,
            timeout=self.timeout,
        )


class NoEmailSender:
    """No SMTP configured: the development outbox is the only record."""

    async def send(self, message: Message) -> None:
        log.info("email.not_sent", reason="no INNKEEPER_SMTP_URL", to=mask(message.to))


class ConsoleSmsSender:
    async def send(self, message: Message) -> None:
        log.info("sms.console", to=mask(message.to), length=len(message.body))


class HttpSmsSender:
    """Twilio-style: POST form fields To, From, Body with basic auth (account, token)."""

    def __init__(
        self,
        url: str,
        account: str | None,
        token: str | None,
        sender: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        import httpx  # with an HTTP SMS provider only (~3 MB per process otherwise)

        self.url = url
        self.auth = httpx.BasicAuth(account, token) if account and token else None
        self.sender = sender
        self.transport = transport

    async def send(self, message: Message) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=15, transport=self.transport) as client:
            response = await client.post(
                self.url,
                data={"To": message.to, "From": self.sender, "Body": message.body},
                auth=self.auth or httpx.USE_CLIENT_DEFAULT,
            )
        if response.status_code >= 300:
            raise RuntimeError(f"SMS provider answered {response.status_code}")


def email_sender(settings: Settings) -> Sender:
    return SmtpSender(settings.smtp_url, settings.mail_from) if settings.smtp_url else NoEmailSender()


def sms_sender(settings: Settings) -> Sender:
    if settings.sms_provider == "http":
        if not settings.sms_http_url:
            raise ValueError("INNKEEPER_SMS_PROVIDER=http needs INNKEEPER_SMS_HTTP_URL")
        return HttpSmsSender(
            settings.sms_http_url, settings.sms_http_account, settings.sms_http_token, settings.sms_from
        )
    return ConsoleSmsSender()
