"""Every message is a template (text + HTML, English and Portuguese, Babel formatting); booking messages
in the guest's language, the property's own wording, the failed-payment notice and the updated
confirmation of a changed booking (.ics: same UID, higher SEQUENCE)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from innkeeper.notifications.service import Message
from innkeeper.notifications.templating import (
    LOCALES,
    TEMPLATES,
    Override,
    fill,
    normalize_locale,
    render_email,
    render_sms,
)
from tests.billing.support import pay, simulate
from tests.bookings.support import book, hotel
from tests.catalog_support import d, freeze
from tests.helpers import API, bearer, signup

STAY = SimpleNamespace(
    reference="ABC123",
    kind="stay",
    checkin=date(2030, 3, 4),
    checkout=date(2030, 3, 6),
    rooms=1,
    guests=2,
    start_at=None,
    end_at=None,
)
SLOT = SimpleNamespace(
    reference="SLT999",
    kind="slot",
    checkin=date(2030, 3, 4),
    checkout=date(2030, 3, 4),
    rooms=1,
    guests=1,
    start_at=datetime(2030, 3, 4, 9, tzinfo=UTC),
    end_at=datetime(2030, 3, 4, 11, tzinfo=UTC),
)
PROP = SimpleNamespace(
    name="Hotel <Sol>",
    city="Lisboa",
    timezone="Europe/Lisbon",
    check_in_time=time(15),
    check_out_time=time(11),
)
EUR = Money(15000, "EUR")
#: a context that satisfies every template (they are strict about undefined names)
CONTEXT: dict[str, Any] = {
    "booking": STAY,
    "property": PROP,
    "total": EUR,
    "refund": Money(5000, "EUR"),
    "name": "Ann <b>",
    "sender": "Hotel <Sol>",
    "expires_at": datetime(2030, 3, 1, 10, tzinfo=UTC),
    "retry_url": "https://x/pay?a=1&b=2",
    "number": "INV-1",
    "invoice_total": EUR,
    "service": "Airport pickup",
    "status_text": "accepted",
    "amount": EUR,
    "when": datetime(2030, 3, 4, 8, tzinfo=UTC),
    "ticket": SimpleNamespace(subject="Late <arrival>"),
    "ticket_ref": "AB12CD34",
    "author": "Dana",
    "body": "Line 1\n\n<script>x</script>",
    "url": "https://x/t",
    "property_name": "Hotel <Sol>",
    "minutes": 60,
    "role": "front desk",
    "expires_on": date(2030, 3, 11),
}


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", [n for n, info in TEMPLATES.items() if info.channel == "email"])
def test_every_email_template_renders_text_and_html_in_every_language(name: str, locale: str) -> None:
    for booking in (STAY, SLOT):
        r = render_email(name, locale, {**CONTEXT, "booking": booking})
        assert r.subject and "\n" not in r.subject
        assert r.text.strip() and r.html.lstrip().startswith("<!DOCTYPE html>")
        assert f'<html lang="{locale}">' in r.html
        # values are escaped in HTML, never markup
        assert "<script>" not in r.html and "<b>" not in r.html and "<Sol>" not in r.html
        assert "Ann <b>" in r.text  # (text is text)


def test_languages_and_babel_formats() -> None:
    en = render_email("booking_confirmed", "en", CONTEXT)
    pt = render_email("booking_confirmed", "pt-BR", CONTEXT)
    assert en.subject == "Booking confirmed: ABC123" and pt.subject == "Reserva confirmada: ABC123"
    assert "€150.00" in en.text and "Monday, 4 March 2030" in en.text and "15:00" in en.text
    assert "150,00\xa0€" in pt.text and "segunda-feira, 4 de março de 2030" in pt.text
    assert (
        normalize_locale("PT_pt") == "pt"
        and normalize_locale("fr") == "en"
        and normalize_locale(None) == "en"
    )
    slot = render_email("booking_confirmed", "en", {**CONTEXT, "booking": SLOT})
    assert "Starts: 4 Mar 2030, 09:00:00 (Europe/Lisbon)" in slot.text  # property-local (UTC+0 in March)
    assert (
        render_sms("otp", "pt", {"code": "123456", "minutes": 5})
        == "O seu código Innkeeper é 123456. Expira em 5 minutos."
    )


def test_overrides_are_plain_text_with_placeholders() -> None:
    fields = {"guest": "Ann", "reference": "ABC123", "property": "Sol"}
    r = render_email(
        "booking_confirmed",
        "en",
        CONTEXT,
        fields=fields,
        override=Override(
            subject="Hi {guest} {__class__} {{ 7*7 }}", intro="Dear {guest},\n\n<i>see you</i>"
        ),
    )
    assert r.subject == "Hi Ann {__class__} {{ 7*7 }}"  # no code runs, unknown names stay as written
    assert "<i>see you</i>" in r.text and "&lt;i&gt;see you&lt;/i&gt;" in r.html
    assert "Reference: ABC123" in r.text  # the facts stay the template's
    # the platform's own messages cannot be overridden
    reset = render_email("password_reset", "en", CONTEXT, override=Override(subject="Phish"))
    assert reset.subject == "Reset your Innkeeper password"
    assert fill("{a}{b}{", {"a": "1"}) == "1{b}{"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


@pytest.fixture
def mailbox(ctx: AppContext) -> Recorder:
    """Every e-mail and SMS the runner delivers, whole (the development outbox keeps only the text)."""
    recorder = Recorder()
    ctx.extras["senders"] = {"email": recorder, "sms": recorder}
    return recorder


def to(mailbox: Recorder, address: str, subject: str) -> list[Message]:
    return [m for m in mailbox.sent if m.to == address and (m.subject or "").startswith(subject)]


def event_of(message: Message) -> Any:
    [ics] = [a for a in message.attachments if a.filename.endswith(".ics")]
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    return event


async def test_booking_messages_in_the_guests_language_with_the_propertys_wording(
    client: httpx.AsyncClient, runner: JobRunner, mailbox: Recorder
) -> None:
    h = await hotel(client)
    await client.patch(
        f"{API}/properties/{h['pid']}", json={"payment_policy": {"mode": "at_property"}}, headers=h["owner"]
    )
    r = await client.put(
        f"{API}/properties/{h['pid']}/message-templates/booking_confirmed/pt",
        headers=h["owner"],
        json={"subject": "Até já, {guest}! ({reference})"},
    )
    assert r.status_code == 200, r.text
    guest = await signup(client, full_name="Rita", locale="pt")
    email = guest["user"]["email"]
    b = await book(client, h, bearer(guest))
    assert (await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"])).status_code == 200
    await runner.drain()
    [mail] = to(mailbox, email, "Até já")
    assert mail.subject == f"Até já, Rita! ({b['reference']})"
    assert "A sua reserva está confirmada." in mail.body and "Referência" in mail.body
    assert mail.html and "<table" in mail.html
    assert event_of(mail)["SEQUENCE"] == 0
    # an English guest gets the template's English words (the override is for Portuguese only)
    other = await signup(client)
    b2 = await book(client, h, bearer(other), start=20, end=22)
    await client.post(f"{API}/bookings/{b2['id']}/confirm", headers=h["owner"])
    await runner.drain()
    assert to(mailbox, other["user"]["email"], f"Booking confirmed: {b2['reference']}")


async def test_a_changed_booking_sends_an_updated_calendar_entry(
    client: httpx.AsyncClient, runner: JobRunner, mailbox: Recorder
) -> None:
    h = await hotel(client)
    await client.patch(
        f"{API}/properties/{h['pid']}", json={"payment_policy": {"mode": "at_property"}}, headers=h["owner"]
    )
    guest = await signup(client)
    email = guest["user"]["email"]
    b = await book(client, h, bearer(guest))
    # a change before confirmation sends nothing (no confirmation went out yet)
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=bearer(guest), json={"checkout": d(13)})
    assert r.status_code == 200, r.text
    await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"])
    await runner.drain()
    assert not to(mailbox, email, "Booking updated")
    [confirmation] = to(mailbox, email, "Booking confirmed")
    first = event_of(confirmation)
    r = await client.post(f"{API}/bookings/{b['id']}/modify", headers=bearer(guest), json={"checkout": d(14)})
    assert r.status_code == 200, r.text
    await runner.drain()
    [updated] = to(mailbox, email, f"Booking updated: {b['reference']}")
    event = event_of(updated)
    assert str(event["UID"]) == str(first["UID"]) == f"{b['id']}@innkeeper"
    assert event["SEQUENCE"] > first["SEQUENCE"]
    assert event.decoded("DTEND").date().isoformat() == d(14)
    cancelled = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=bearer(guest))
    assert cancelled.status_code == 200, cancelled.text
    await runner.drain()
    [cancel] = to(mailbox, email, "Booking cancelled")
    assert event_of(cancel)["SEQUENCE"] > event["SEQUENCE"] and str(event_of(cancel)["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://inn.example"}])
async def test_a_failed_payment_tells_the_guest_how_to_try_again(
    client: httpx.AsyncClient, runner: JobRunner, mailbox: Recorder
) -> None:
    h = await hotel(client)
    guest = await signup(client)
    email = guest["user"]["email"]
    b = await book(client, h, bearer(guest))
    payment = await pay(client, b["id"], bearer(guest))
    await simulate(client, runner, payment["id"], outcome="failed")
    [notice] = to(mailbox, email, f"Payment failed: {b['reference']}")
    assert f"https://inn.example/bookings/{b['id']}/pay?reference={b['reference']}" in notice.body
    assert "We hold it for you until" in notice.body and notice.attachments == []
    # paid in the end: the notice went out once, for the failed attempt only
    payment = await pay(client, b["id"], bearer(guest))
    await simulate(client, runner, payment["id"])
    assert to(mailbox, email, "Booking confirmed")
    assert len(to(mailbox, email, "Payment failed")) == 1


async def test_the_otp_sms_speaks_the_accounts_language(
    client: httpx.AsyncClient, runner: JobRunner, mailbox: Recorder
) -> None:
    phone = "+351912345678"
    await signup(client, phone=phone, locale="pt")
    r = await client.post(f"{API}/auth/otp/send", json={"phone": phone})
    assert r.status_code == 202, r.text
    await runner.drain()
    [sms] = [m for m in mailbox.sent if m.to == phone]
    assert re.fullmatch(r"O seu código Innkeeper é \d{6}\. Expira em \d+ minutos\.", sms.body)


def test_a_service_order_message_needs_only_its_facts() -> None:
    """(``extras`` sends it: amount, time and reason are optional.)"""
    facts = {"booking": STAY, "property": PROP, "service": "Spa", "status_text": "order rejected"}
    r = render_email("service_order", "en", {**facts, "reason": "Fully booked"})
    assert r.subject == "Spa: order rejected (ABC123)"
    assert "Reason: Fully booked" in r.text and "Total" not in r.text
    assert (
        "Motivo: Fully booked"
        in render_email("service_order", "pt", {**facts, "reason": "Fully booked"}).text
    )
