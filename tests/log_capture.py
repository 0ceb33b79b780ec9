"""Capturing every log line (structlog's and the standard library's) of a test, in either format."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from innkeeper.context import AppContext
from innkeeper.kit.logging import configure_logging

#: what the test suite's settings configure (tests/conftest.py): restored after a capture
SUITE_LEVEL = "WARNING"


@contextmanager
def captured_logs(*, json: bool, level: str = "DEBUG") -> Iterator[io.StringIO]:
    """Every line logged inside the block, at ``level`` and above, rendered as in production."""
    buffer = io.StringIO()
    configure_logging(level=level, json=json, stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging(level=SUITE_LEVEL, json=False)


@contextmanager
def failing_writes(ctx: AppContext, table: str) -> Iterator[None]:
    """Inside the block the database refuses every INSERT into or UPDATE of ``table`` (a syntax
    error of the statement actually sent, with its real parameters): the request fails with a 500
    whose exception carries the SQL and, unless something hides them, the parameters."""
    engine = ctx.db.engine.sync_engine
    pattern = re.compile(rf"\s*(INSERT INTO|UPDATE) {table}\b", re.IGNORECASE)

    def break_statement(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        if pattern.match(statement):
            return f"{statement} forced fault", parameters
        return statement, parameters

    event.listen(engine, "before_cursor_execute", break_statement, retval=True)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", break_statement)
