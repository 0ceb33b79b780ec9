"""Logging: structlog for our lines, and the standard library's loggers (uvicorn, SQLAlchemy, asyncio,
httpx) routed through the same processors, as JSON lines or readable console lines.

Every line, whatever its source, format or level, passes through

* :func:`render_exception`: tracebacks without local variables, at most ``MAX_FRAMES`` frames per
  exception and ``MAX_EXCEPTION_CHARS`` characters. Rendering runs on the event loop: rich tracebacks
  with locals once took 44 s and 140,000 lines for one request;
* :func:`redact`, the one redaction filter: values under sensitive keys (password, token, OTP code,
  document number, card, e-mail, phone…) are masked at any depth, and free text (messages, exception
  texts) is scrubbed of e-mail addresses, phone and card numbers, JWTs, bearer tokens, password
  hashes, SQL parameters and the values quoted in database and validation errors; every string is
  cut to ``MAX_VALUE_CHARS``.

A request id (``X-Request-ID`` in, or a new one) is bound to every line of the request. Third-party
loggers that print SQL parameters or payloads at DEBUG (SQLAlchemy, aiosqlite, HTTP clients) are kept
at WARNING: only an explicit SQL echo (``INNKEEPER_DATABASE_ECHO``) prints statements and parameters.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, ExcInfo, Processor

#: frames kept per exception (the innermost ones, where it went wrong)
MAX_FRAMES = 30
#: a rendered traceback longer than this keeps its head and its tail
MAX_EXCEPTION_CHARS = 12_000
#: any other string value, message or exception text is cut to this length
MAX_VALUE_CHARS = 2_000
#: longer lists (exception chains and groups; frames are cut by MAX_FRAMES) keep this many items
MAX_ITEMS = 50
MASK = "***"

#: keys whose value is masked whole, wherever they appear (compared lower-cased, split on ``_-. ``)
SENSITIVE_KEYS = frozenset({"code", "otp", "pin", "api_key", "apikey", "client_secret", "dsn", "to"})
SENSITIVE_KEY_PARTS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "authorization",
        "cookie",
        "otp",
        "document",
        "card",
        "pan",
        "cvc",
        "cvv",
        "iban",
        "email",
        "mail",
        "phone",
        "mobile",
        "msisdn",
        "hash",
        "signature",
        "credentials",
    }
)
_KEY_SPLIT = re.compile(r"[_\-.\s]+")

#: free-text patterns, scrubbed in one pass (named groups say what was found). Every alternative
#: either always succeeds once started, is bounded in length, or starts only at the start of a token:
#: scanning stays linear, whatever text an attacker manages to get into an exception message.
_SCRUB = re.compile(
    r"(?P<parameters>\[parameters: [^\n]*)"  # SQLAlchemy's statement errors (the repr is one line)
    r"|(?P<key_detail>Key \((?P<key_columns>[^)\n]{0,100})\)=\([^\n]{0,200}?\)(?= already| is not|\s|$))"
    r"|(?P<input_value>input_value=[^\n]*?(?=, input_type=|$))"  # pydantic error texts
    r"|(?P<jwt>(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*)"
    r"|(?P<bearer>(?i:bearer|basic)\s+[^\s'\",]+)"
    r"|(?P<password_hash>\$argon2(?:id|i|d)\$[^\s'\",)]+)"
    r"|(?P<email>(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+)"
    r"|(?P<phone>\+\d[\d ().-]{6,20}\d)"
    r"|(?P<number>(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w.]))",  # card numbers (13-19 digits)
    re.MULTILINE,
)


def _scrub_match(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "parameters":
        return "[parameters: ***]"
    if kind == "key_detail":
        return f"Key ({match['key_columns']})=({MASK})"
    if kind == "input_value":
        return f"input_value={MASK}"
    return f"<{kind}>"


def scrub(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` without the values :data:`_SCRUB` recognises, cut to ``limit`` characters (scrubbed
    before it is cut, so a cut never leaves half an address behind)."""
    if len(text) < 6:
        return text
    if len(text) > 4 * limit:  # never scan megabytes: the middle is cut below anyway
        text = f"{text[: 2 * limit]}\n…\n{text[-2 * limit :]}"
    text = _SCRUB.sub(_scrub_match, text)
    if len(text) > limit:
        half = limit // 2
        text = f"{text[:half]} …[{len(text) - limit} characters cut]… {text[-half:]}"
    return text


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SENSITIVE_KEYS or not SENSITIVE_KEY_PARTS.isdisjoint(_KEY_SPLIT.split(lowered))


class _Scrubbed(str):
    """A string already scrubbed under a larger limit (a rendered traceback): kept as it is."""


def _clean(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if isinstance(value, _Scrubbed) else scrub(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if depth > 8:
        return "…"
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and is_sensitive_key(key) else _clean(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        items = [_clean(item, depth + 1) for item in value[:MAX_ITEMS]]
        return [*items, f"…{len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else items
    return scrub(repr(value))  # any other object: its repr, scrubbed (never its locals or attributes)


def redact(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """The one redaction filter (a structlog processor): see the module's docstring."""
    for key in list(event):
        if key in ("exc_info", "_record", "_from_structlog"):
            continue
        event[key] = MASK if key != "event" and is_sensitive_key(key) else _clean(event[key])
    return event


def format_traceback(exc_info: ExcInfo) -> str:
    """A plain traceback without locals: the innermost ``MAX_FRAMES`` frames of each chained
    exception, scrubbed and cut to ``MAX_EXCEPTION_CHARS`` characters (head and tail kept)."""
    rendered = "".join(
        traceback.TracebackException(
            exc_info[0], exc_info[1], exc_info[2], limit=-MAX_FRAMES, capture_locals=False
        ).format()
    ).rstrip("\n")
    return _Scrubbed(scrub(rendered, MAX_EXCEPTION_CHARS))


def exception_renderer(*, json: bool) -> Processor:
    """``exc_info`` → ``exception``: a list of frame dicts for JSON lines, plain text for the console;
    without local variables either way, bounded in frames and (through :func:`redact`) in size."""
    if json:
        return structlog.processors.ExceptionRenderer(
            ExceptionDictTransformer(show_locals=False, max_frames=MAX_FRAMES, use_rich=False)
        )
    return structlog.processors.ExceptionRenderer(format_traceback)


def processors(*, json: bool) -> list[Processor]:
    """The chain every line passes, from structlog or the standard library (the renderer excluded)."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        exception_renderer(json=json),
        redact,
    ]


def renderer(*, json: bool) -> Processor:
    if json:
        return structlog.processors.JSONRenderer()
    # the exception arrives rendered (plain, bounded, scrubbed): the console renderer only prints it
    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


#: standard-library loggers that print SQL parameters, query results or payloads below WARNING
QUIET_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg", "httpx", "httpcore", "hpack", "stripe", "aiosmtplib")
#: uvicorn's loggers: their own handlers (text, unredacted) are replaced by ours
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "uvicorn.access")


class _InnkeeperHandler(logging.StreamHandler[TextIO]):
    """Our root handler, recognised (and replaced) when logging is configured again."""


def configure_logging(*, level: str = "INFO", json: bool = False, stream: TextIO | None = None) -> None:
    """Configure structlog and the standard library's root logger to share one processor chain."""
    out = stream or sys.stderr
    numeric_level = logging.getLevelName(level.upper())
    chain = processors(json=json)
    structlog.configure(
        processors=[*chain, renderer(json=json)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = _InnkeeperHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *chain],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer(json=json)],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _InnkeeperHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # our access line replaces uvicorn's, which prints the query string
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))
