"""Rows that are only ever added (audit entries, booking history, folio lines): written with the
session's next flush as plain multi-row INSERTs, without an ORM object each.

Every change writes a few of these, and nothing reads them back as objects in the transaction that
wrote them. As ORM objects each one cost an instance, its state tracking and the unit of work's
sorting at flush, about a third of a booking's CPU. :func:`add_row` queues a dict instead;
:class:`RowsSession` writes the queue right after each flush of its ORM objects (autoflush before a
query, an explicit ``flush()``, the flush at commit), so the rows are in the database whenever the
ORM objects queued before them would be, and after the rows they refer to (a new booking, a new
property): on PostgreSQL in one statement (data-modifying ``WITH`` clauses), elsewhere one
multi-row INSERT per table.

A rollback drops the queue: a savepoint flushes everything before it starts (SQLAlchemy does), so
what is queued when one rolls back was queued inside it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_QUEUE = "innkeeper.rows"
#: above this many values, one statement per table (PostgreSQL takes at most 32,767 parameters)
_MAX_VALUES = 5_000


def add_row(session: AsyncSession | Session, model: type[Any], values: dict[str, Any]) -> None:
    """Queue a row of ``model``'s table (every row of a table with the same keys; Python-side column
    defaults such as ids and times are filled in when it is written) for the next flush."""
    table: Table = model.__table__
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    queue: dict[Table, list[dict[str, Any]]] = sync.info.setdefault(_QUEUE, {})
    queue.setdefault(table, []).append(values)


@lru_cache(maxsize=512)
def _combined_sql(shape: tuple[tuple[Table, tuple[str, ...], int], ...], quote: Any) -> str:
    """``WITH q0 AS (INSERT …), q1 AS (INSERT …) INSERT …`` for tables, their keys and row counts."""
    parts, n = [], 0
    for table, keys, count in shape:
        rows = []
        for _ in range(count):
            rows.append("(" + ", ".join(f"${n + i + 1}" for i in range(len(keys))) + ")")
            n += len(keys)
        columns = ", ".join(quote(k) for k in keys)
        # names from our own table metadata, quoted by the dialect; every value is a bound parameter
        parts.append(f"INSERT INTO {quote(table.name)} ({columns}) VALUES {', '.join(rows)}")  # noqa: S608
    ctes = ", ".join(f"q{i} AS ({part})" for i, part in enumerate(parts[:-1]))
    return f"WITH {ctes} {parts[-1]}" if ctes else parts[-1]


@lru_cache(maxsize=512)
def _plan(
    table: Table, given: tuple[str, ...], dialect: Any
) -> tuple[tuple[Any, ...], tuple[str, ...], tuple[Any, ...]]:
    """For rows of ``table`` with keys ``given``: the columns whose Python-side default fills a missing
    value, every key written, and each key's bind processor for ``dialect`` (None: sent as is)."""
    defaults = tuple(
        c
        for c in table.columns
        if c.key not in given and c.default is not None and (c.default.is_callable or c.default.is_scalar)
    )
    keys = given + tuple(c.key for c in defaults)
    return defaults, keys, tuple(table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys)


def _write_combined(connection: Connection, queue: dict[Table, list[dict[str, Any]]]) -> None:
    """PostgreSQL: every queued row in one statement, written out once per shape and sent as is (SQLAlchemy
    compiling a statement of a hundred parameters costs more CPU than the round trips it saves)."""
    dialect = connection.dialect
    shape, params = [], []
    for table, rows in queue.items():
        defaults, keys, processors = _plan(table, tuple(rows[0]), dialect)
        for row in rows:
            for column in defaults:  # ids, times: as Core would fill them
                default: Any = column.default
                row[column.key] = default.arg(None) if default.is_callable else default.arg
            for key, process in zip(keys, processors, strict=True):
                params.append(process(row[key]) if process else row[key])
        shape.append((table, keys, len(rows)))
    sql = _combined_sql(tuple(shape), dialect.identifier_preparer.quote)
    connection.exec_driver_sql(sql, tuple(params))


def write_queued(session: Session) -> None:
    """INSERT what :func:`add_row` queued (called after each flush; a no-op when nothing is queued)."""
    queue: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_QUEUE, None)
    if not queue:
        return
    connection = session.connection()
    values = sum(len(rows) * len(rows[0]) for rows in queue.values())
    if connection.dialect.name == "postgresql" and values <= _MAX_VALUES:
        _write_combined(connection, queue)
        return
    for table, rows in queue.items():
        connection.execute(insert(table), rows)  # Core fills Python-side defaults (ids, times)


class RowsSession(Session):
    """The sync session behind every :class:`AsyncSession` of ``kit.db``: flushes its ORM objects,
    then the queued rows."""

    def flush(self, objects: Any = None) -> None:
        super().flush(objects)
        write_queued(self)


@event.listens_for(RowsSession, "before_commit")
def _flush_queue(session: Session) -> None:
    # commit flushes only when ORM objects are pending: rows alone would be skipped
    if session.info.get(_QUEUE):
        session.flush()


@event.listens_for(RowsSession, "after_soft_rollback")
def _drop_queue(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_QUEUE, None)
