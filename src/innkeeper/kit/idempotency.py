"""``Idempotency-Key`` for POSTs that create bookings, payments and refunds (invariant 6).

* The same key with the same request replays the stored response (``Idempotent-Replayed: true``).
* The same key with a different request (method, path or body) is 422 ``idempotency.key_reused``.
* A request still in flight with that key is 409 ``idempotency.in_flight``.

How: before the endpoint runs, a short transaction of its own claims the key (an INSERT that loses
to any existing row), so a concurrent duplicate sees it at once. The endpoint then runs in the
request's unit of work, and the response is stored **in that same transaction**: the stored
response exists if and only if the work it describes was committed. A request that fails with a
client error changed nothing, so its claim is released and the client may retry with the same
key. A claim whose process died is taken over once its lease runs out. Keys are scoped to the
caller (``kit.http.caller_scope``: the bearer token's user; else the holder of a guest token, by its
hash; else the client's address, so two anonymous guests never share a key) and kept ``RETENTION``
(24 h).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Header, Request, Response
from sqlalchemy import Index, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, Database, IdMixin, insert_for
from innkeeper.kit.errors import AppError, Conflict, ValidationFailed

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
IN_FLIGHT, COMPLETED = "in_flight", "completed"


class IdempotencyRecord(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=IN_FLIGHT)
    locked_until: Mapped[datetime]
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class KeyReused(ValidationFailed):
    code = "idempotency.key_reused"
    title = "Idempotency key reused with a different request"


class InFlight(Conflict):
    code = "idempotency.in_flight"
    title = "A request with this idempotency key is still being processed"


class MalformedKey(ValidationFailed):
    code = "idempotency.key_invalid"
    title = "Malformed Idempotency-Key header"


async def _marker(
    idempotency_key: str | None = Header(
        None,
        alias=HEADER,
        description="Makes a retry safe: the same key and body replay the first response (kept 24 h).",
    ),
) -> None:
    """Declares the header (for OpenAPI); :class:`~innkeeper.kit.http.UnitOfWorkRoute` does the work."""


#: Add to a route's ``dependencies`` to make it honour ``Idempotency-Key``.
Idempotent = Depends(_marker)


def is_idempotent_route(dependencies: list[Any]) -> bool:
    return any(getattr(d, "dependency", None) is _marker for d in dependencies)


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:  # JSON bodies compare by meaning, not by spacing or key order
        canonical = (
            json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
        )
    except (ValueError, RecursionError):  # malformed or deeply nested: the endpoint answers 400
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def check_key(key: str) -> str:
    """``key`` if well-formed; an empty or otherwise malformed key is refused (422), on any route
    (the request middleware checks every unsafe request), not ignored."""
    if not KEY_PATTERN.fullmatch(key):
        raise MalformedKey("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces")
    return key


def read_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    return None if key is None else check_key(key)


class Claim:
    """The outcome of :func:`claim`: either a response to replay, or a claimed record to complete."""

    def __init__(self, record_id: Any = None, replay: Response | None = None) -> None:
        self.record_id = record_id
        self.replay = replay


async def claim(db: Database, *, scope: str, key: str, fingerprint_: str) -> Claim:
    """Claim ``key`` in a transaction of its own (committed before the endpoint runs)."""
    now = utcnow()
    async with db.unit_of_work() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at <= now,
            )
        )
        stmt = insert_for(session, IdempotencyRecord).values(
            scope=scope,
            key=key,
            fingerprint=fingerprint_,
            state=IN_FLIGHT,
            locked_until=now + LEASE,
            created_at=now,
            expires_at=now + RETENTION,
        )
        inserted = await session.execute(stmt.on_conflict_do_nothing(index_elements=["scope", "key"]))
        ours = inserted.rowcount == 1  # type: ignore[attr-defined]
        record = await session.scalar(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
            .with_for_update()
        )
        if record is None:  # pragma: no cover - the row was just inserted or found
            raise InFlight("Retry shortly", headers={"Retry-After": "1"})
        if record.fingerprint != fingerprint_:
            raise KeyReused("This Idempotency-Key was used for a different request")
        if record.state == COMPLETED:
            headers = {**(record.response_headers or {}), "Idempotent-Replayed": "true"}
            return Claim(
                replay=Response(
                    content=record.response_body or b"",
                    status_code=record.response_status or 200,
                    headers=headers,
                )
            )
        if not ours:
            if record.locked_until > now:
                raise InFlight(
                    "A request with this Idempotency-Key is in progress; retry shortly",
                    headers={"Retry-After": "1"},
                )
            record.locked_until = now + LEASE  # its process died: take it over
        return Claim(record_id=record.id)


async def complete(session: AsyncSession, record_id: Any, response: Response) -> None:
    """Store the response in the endpoint's own transaction."""
    keep = {k: v for k, v in response.headers.items() if k.lower() in {"content-type", "location"}}
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            state=COMPLETED,
            response_status=response.status_code,
            response_body=bytes(response.body).decode(),
            response_headers=keep,
        )
    )


async def release(db: Database, record_id: Any) -> None:
    """The request failed and changed nothing: forget the claim so the client can retry."""
    async with db.unit_of_work() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.state == IN_FLIGHT
            )
        )


async def first_use(session: AsyncSession, *, scope: str, key: str, location: str) -> bool:
    """A web form's one-time key, recorded in the caller's transaction (inside the savepoint of what the
    form does): False when that form was posted before, so a double submit, a reload or a resubmit does
    its work once. A form cannot send an Idempotency-Key header; the site renders a fresh key into each
    form instead. Kept ``RETENTION``, then pruned with the API's keys."""
    now = utcnow()
    stmt = insert_for(session, IdempotencyRecord).values(
        scope=scope,
        key=key,
        fingerprint=hashlib.sha256(scope.encode()).hexdigest(),
        state=COMPLETED,
        locked_until=now,
        response_status=303,
        response_headers={"location": location},
        created_at=now,
        expires_at=now + RETENTION,
    )
    done = await session.execute(stmt.on_conflict_do_nothing(index_elements=["scope", "key"]))
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


async def prune(session: AsyncSession) -> None:
    await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow()))


def is_client_error(exc: BaseException) -> bool:
    return isinstance(exc, AppError) and exc.status < 500
