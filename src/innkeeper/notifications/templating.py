"""Every message Innkeeper sends is a Jinja2 template under ``notifications/templates``, per language.

* E-mail ``email/<locale>/<name>.txt`` holds three blocks: ``subject``, ``intro`` (the opening
  paragraph) and ``content`` (the facts); ``email/<locale>/<name>.html`` is the same message as HTML
  and reuses the rendered ``intro``. Both extend the locale's ``_base`` layout (greeting, sign-off).
* SMS ``sms/<locale>/<name>.txt``: text only.

Dates, times and money are formatted with Babel in the message's language (filters ``day``, ``clock``,
``instant``, ``money``). A property may replace the subject and the opening paragraph of its guests'
messages (:class:`Override`); the facts below them stay the template's. Overrides are plain text with
``{placeholder}`` fields (no template code: an owner's text is never executed), escaped in HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from innkeeper.kit.money import Money

#: Languages messages are written in; anything else falls back to :data:`DEFAULT_LOCALE`.
LOCALES = ("en", "pt")
DEFAULT_LOCALE = "en"
#: the Babel locale that formats dates and money for each language
BABEL_LOCALES = {"en": "en_GB", "pt": "pt_PT"}


@dataclass(frozen=True)
class TemplateInfo:
    #: sent to a property's guests: the property may override its subject and opening paragraph
    guest: bool
    #: the ``{placeholder}`` fields an override may use
    fields: tuple[str, ...] = ()
    channel: str = "email"


_BOOKING_FIELDS = ("guest", "reference", "property")

#: Every message, by name.
TEMPLATES: dict[str, TemplateInfo] = {
    "booking_confirmed": TemplateInfo(True, _BOOKING_FIELDS),
    "booking_modified": TemplateInfo(True, _BOOKING_FIELDS),
    "booking_cancelled": TemplateInfo(True, _BOOKING_FIELDS),
    "booking_reminder": TemplateInfo(True, _BOOKING_FIELDS),
    "booking_access": TemplateInfo(True, _BOOKING_FIELDS),
    "payment_failed": TemplateInfo(True, _BOOKING_FIELDS),
    "invoice": TemplateInfo(True, (*_BOOKING_FIELDS, "number")),
    "service_order": TemplateInfo(True, (*_BOOKING_FIELDS, "service")),
    "ticket_reply": TemplateInfo(True, ("guest", "ticket", "property")),
    "ticket_message": TemplateInfo(False),
    "password_reset": TemplateInfo(False),
    "email_verification": TemplateInfo(False),
    "invitation": TemplateInfo(False),
    "otp": TemplateInfo(False, channel="sms"),
}
#: The messages a property may override.
GUEST_TEMPLATES = tuple(name for name, info in TEMPLATES.items() if info.guest)


@dataclass(frozen=True)
class Override:
    """A property's own subject and/or opening paragraph (``None``: the template's)."""

    subject: str | None = None
    intro: str | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def normalize_locale(value: str | None) -> str:
    """``"pt-BR"``, ``"pt_PT"``, ``"PT"`` -> ``"pt"``; unknown or missing -> :data:`DEFAULT_LOCALE`."""
    if not value:
        return DEFAULT_LOCALE
    language = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return language if language in LOCALES else DEFAULT_LOCALE


def _babel(ctx: Context) -> str:
    return BABEL_LOCALES[ctx.get("locale", DEFAULT_LOCALE)]


@pass_context
def _money(ctx: Context, value: Money) -> str:
    return value.format(_babel(ctx))


@pass_context
def _day(ctx: Context, value: date, fmt: str = "full") -> str:
    return str(format_date(value, fmt, locale=_babel(ctx)))


@pass_context
def _clock(ctx: Context, value: time) -> str:
    return str(format_time(value, "short", locale=_babel(ctx)))


@pass_context
def _instant(ctx: Context, value: datetime, timezone: str = "UTC") -> str:
    """An instant in ``timezone``, with the zone's name (property-local for guests)."""
    return str(format_datetime(value, "medium", tzinfo=ZoneInfo(timezone), locale=_babel(ctx))) + (
        f" ({timezone})"
    )


def _paragraphs(value: str) -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines part them, single newlines break lines)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
    return Markup("\n").join(
        Markup("<p>%s</p>") % Markup("<br>").join(escape(x) for x in p.split("\n")) for p in parts
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("innkeeper.notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=_money, day=_day, clock=_clock, instant=_instant, paragraphs=_paragraphs)
    return env


_env = _environment()


def _block(name: str, block: str, variables: dict[str, Any]) -> str:
    template = _env.get_template(name)
    return "".join(template.blocks[block](template.new_context(variables))).strip()


_FIELD = re.compile(r"\{([a-z_]+)\}")


def fill(text: str, fields: dict[str, str]) -> str:
    """Replace ``{name}`` with ``fields[name]``; anything else (unknown names, stray braces) stays as
    written. Deliberately not ``str.format``: that would let an owner's text reach attributes."""
    return _FIELD.sub(lambda m: fields.get(m.group(1), m.group(0)), text)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:250]


def render_email(
    name: str,
    locale: str | None,
    context: dict[str, Any],
    *,
    fields: dict[str, str] | None = None,
    override: Override | None = None,
) -> Rendered:
    """Subject, text and HTML of message ``name`` in ``locale`` (a known language, else English).

    ``fields`` are the values of the ``{placeholders}`` an override may use."""
    info = TEMPLATES[name]
    assert info.channel == "email", name
    lang = normalize_locale(locale)
    variables = {"name": None, "sender": "Innkeeper", **context, "locale": lang}
    base = f"email/{lang}/{name}"
    subject = _block(f"{base}.txt", "subject", variables)
    intro = _block(f"{base}.txt", "intro", variables)
    if override is not None and info.guest:
        values = fields or {}
        if override.subject and override.subject.strip():
            subject = fill(override.subject, values)
        if override.intro and override.intro.strip():
            intro = fill(override.intro, values).strip()
    variables.update(intro=intro, title=_one_line(subject))
    text = _env.get_template(f"{base}.txt").render(variables)
    html = _env.get_template(f"{base}.html").render(variables)
    return Rendered(subject=_one_line(subject), text=text, html=html)


def render_sms(name: str, locale: str | None, context: dict[str, Any]) -> str:
    assert TEMPLATES[name].channel == "sms", name
    lang = normalize_locale(locale)
    return _env.get_template(f"sms/{lang}/{name}.txt").render({**context, "locale": lang}).strip()
