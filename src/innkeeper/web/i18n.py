"""Languages of the web pages: English and Portuguese.

Texts are written in English in the templates (``{{ _("Search") }}``) and looked up in a small catalog
(:mod:`innkeeper.web.translations`, one dict per language: no compile step, nothing to keep in sync
with a ``.mo`` file). Dates and money are formatted by Babel in the page's locale, so a Portuguese
page reads ``1 234,50 €`` and ``2 de março de 2027``.

The language comes from the ``ik_lang`` cookie (set by the language switch), else the browser's
``Accept-Language``, else English.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from starlette.requests import Request

from innkeeper.web.translations import CATALOGS

LANGUAGES = {"en": "English", "pt": "Português"}
#: the Babel locale each language formats dates and money in
LOCALES = {"en": "en_GB", "pt": "pt_PT"}
DEFAULT = "en"
COOKIE = "ik_lang"


def negotiate(request: Request) -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",") if part.strip()]
    found = Locale.negotiate(wanted, list(LANGUAGES), sep="_") if wanted else None
    return found.language if found is not None and found.language in LANGUAGES else DEFAULT


def gettext(lang: str) -> Callable[..., str]:
    """``_("Hello, {name}", name=...)``: the translation (else the English text), then ``format``."""
    catalog = CATALOGS.get(lang, {})

    def _(text: str, **values: Any) -> str:
        out = catalog.get(text, text)
        return out.format(**values) if values else out

    return _


class Formats:
    """Money, dates and times in one language's locale."""

    def __init__(self, lang: str) -> None:
        self.locale = LOCALES.get(lang, LOCALES[DEFAULT])

    def money(self, value: Any) -> str:
        """A money dict of the API (``{"amount": "150.00", "currency": "EUR"}``) or a ``Money``."""
        if value is None:
            return ""
        if isinstance(value, dict):
            amount, currency = Decimal(value["amount"]), value["currency"]
        else:
            amount, currency = value.amount, value.currency
        return str(format_currency(amount, currency, locale=self.locale))

    def date(self, value: Any, style: str = "medium") -> str:
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, format=style, locale=self.locale))

    def weekday(self, value: Any) -> str:
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return str(format_date(day, format="EEE d", locale=self.locale))

    def datetime(self, value: Any, timezone: str | None = None, style: str = "medium") -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        zone = ZoneInfo(timezone) if timezone else moment.tzinfo
        return str(format_datetime(moment, format=style, tzinfo=zone, locale=self.locale))

    def time(self, value: Any) -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return str(format_time(moment, format="short", tzinfo=moment.tzinfo, locale=self.locale))
