"""``kit.rows``: queued rows are written with the session's flush, after the ORM objects they refer to;
a commit with only queued rows writes them; a rollback (of a savepoint too) drops what was queued in it
and nothing else. On both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import AuthSession, User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.rows import add_row


def _audit(action: str) -> dict[str, object]:
    return {
        "actor_user_id": None,
        "actor_ip": None,
        "request_id": None,
        "action": action,
        "entity_type": "test",
        "entity_id": "1",
        "property_id": None,
        "before": None,
        "after": {"n": 1},
    }


async def _actions(ctx: AppContext) -> list[str]:
    async with ctx.db.unit_of_work(write=False) as session:
        rows = await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "test"))
        return sorted(rows.all())


async def test_rows_follow_the_orm_objects_they_refer_to(ctx: AppContext) -> None:
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com")
    async with ctx.db.unit_of_work() as session:
        session.add(user)  # pending: not in the database yet
        add_row(session, AuthSession, {"user_id": user.id, "expires_at": utcnow() + timedelta(days=1)})
        # a query autoflushes: the user first, then the row that refers to it (a foreign key)
        count = select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user.id)
        assert await session.scalar(count) == 1
    async with ctx.db.unit_of_work(write=False) as session:
        stored = (await session.scalars(select(AuthSession).where(AuthSession.user_id == user.id))).one()
        assert stored.id is not None and stored.created_at is not None  # Python-side defaults filled in


async def test_a_commit_with_only_queued_rows_writes_them(ctx: AppContext) -> None:
    async with ctx.db.unit_of_work() as session:
        add_row(session, AuditEntry, _audit("only.queued"))
        add_row(session, AuditEntry, _audit("only.queued"))
    assert await _actions(ctx) == ["only.queued", "only.queued"]


async def test_a_rollback_drops_what_was_queued_in_it(ctx: AppContext) -> None:
    with pytest.raises(RuntimeError):
        async with ctx.db.unit_of_work() as session:
            add_row(session, AuditEntry, _audit("rolled.back"))
            raise RuntimeError("the change fails")
    async with ctx.db.unit_of_work() as session:
        add_row(session, AuditEntry, _audit("before.savepoint"))
        savepoint = await session.begin_nested()  # flushes what was queued before it
        add_row(session, AuditEntry, _audit("in.savepoint"))
        await savepoint.rollback()
        add_row(session, AuditEntry, _audit("after.savepoint"))
    assert await _actions(ctx) == ["after.savepoint", "before.savepoint"]


async def test_several_tables_and_many_rows_in_one_flush(ctx: AppContext) -> None:
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com")
    async with ctx.db.unit_of_work() as session:
        session.add(user)
        await session.flush()
        # two tables in one statement on PostgreSQL: values typed and defaults filled per table
        add_row(session, AuditEntry, {**_audit("two.tables"), "after": {"nested": [1, "two"]}})
        add_row(session, AuthSession, {"user_id": user.id, "expires_at": utcnow() + timedelta(days=1)})
        add_row(session, AuditEntry, {**_audit("two.tables"), "before": {"b": None}})
    async with ctx.db.unit_of_work(write=False) as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "two.tables"))).all()
        pairs = sorted((str(e.before), str(e.after)) for e in entries)
        assert pairs == [("None", "{'nested': [1, 'two']}"), ("{'b': None}", "{'n': 1}")]
        assert len({e.id for e in entries}) == 2 and all(e.at is not None for e in entries)
        assert await session.scalar(select(func.count()).where(AuthSession.user_id == user.id)) == 1
    # more values than one statement should carry: written table by table, all of them
    async with ctx.db.unit_of_work() as session:
        for _ in range(600):
            add_row(session, AuditEntry, _audit("many"))
        add_row(session, AuthSession, {"user_id": user.id, "expires_at": utcnow() + timedelta(days=2)})
    assert (await _actions(ctx)).count("many") == 600
