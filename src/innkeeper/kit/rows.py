"""Rows that are only ever added (audit entries, booking history, folio lines): written with the
session's next flush as plain multi-row INSERTs, without an ORM object each.

Every change writes a few of these, and nothing reads them back as objects in the transaction that
wrote them. As ORM objects each one cost an instance, its state tracking and the unit of work's
sorting at flush, about a third of a booking's CPU. :func:`add_row` queues a dict instead;
:class:`RowsSession` writes the queue right after each flush of its ORM objects (autoflush before a
query, an explicit ``flush()``, the flush at commit), so the rows are in the database whenever the
ORM objects queued before them would be, and after the rows they refer to (a new booking, a new
property): one multi-row INSERT per table.

A rollback drops the queue: a savepoint flushes everything before it starts (SQLAlchemy does), so
what is queued when one rolls back was queued inside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_QUEUE = "innkeeper.rows"


def add_row(session: AsyncSession | Session, model: type[Any], values: dict[str, Any]) -> None:
    """Queue a row of ``model``'s table (every row of a table with the same keys; Python-side column
    defaults such as ids and times are filled in when it is written) for the next flush."""
    table: Table = model.__table__
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    queue: dict[Table, list[dict[str, Any]]] = sync.info.setdefault(_QUEUE, {})
    queue.setdefault(table, []).append(values)


def write_queued(session: Session) -> None:
    """INSERT what :func:`add_row` queued (called after each flush; a no-op when nothing is queued)."""
    queue: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_QUEUE, None)
    if not queue:
        return
    connection = session.connection()
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
