"""One-time form tokens: a console form that creates something carries a token, used as the
Idempotency-Key of its post in ``kit.idempotency``'s table (scope, key, fingerprint, stored response;
kept ``RETENTION``), so a double submit makes one thing and the second post gets the first answer.

Unlike the API (whose claim runs in a transaction of its own before the endpoint's), a console page
already runs in the request's transaction, so the record is written in that transaction, next to what
it describes, inside the use case's savepoint: a refused post leaves no record (the form may be sent
again), and of two concurrent posts the second one's INSERT waits on the unique (scope, key) index and
then fails; its savepoint is rolled back and it answers with the first one's stored response."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.kit import idempotency
from innkeeper.kit.clock import utcnow
from innkeeper.kit.idempotency import COMPLETED, RETENTION, IdempotencyRecord
from innkeeper.web.staff.deps import Staff


class FormToken:
    """The token of one posted form, with the fingerprint of what it asked."""

    def __init__(self, request: Request, staff: Staff, values: dict[str, Any]) -> None:
        self.key = idempotency.check_key(str(values.get("form_token") or "")[:255])
        self.scope = f"staff:{staff.user.id}"
        body = json.dumps(values, sort_keys=True).encode()
        self.fingerprint = idempotency.fingerprint("POST", request.url.path, body)

    async def replay(self, session: AsyncSession) -> Response | None:
        """The stored answer if this form was already posted (422 if the token asked something else)."""
        record = await session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == self.scope,
                IdempotencyRecord.key == self.key,
                IdempotencyRecord.expires_at > utcnow(),
            )
        )
        if record is None or record.state != COMPLETED:
            return None
        if record.fingerprint != self.fingerprint:
            raise idempotency.KeyReused("This form was already sent with other values; open a new one")
        headers = {**(record.response_headers or {}), "Idempotent-Replayed": "true"}
        return Response(
            content=record.response_body or b"", status_code=record.response_status or 200, headers=headers
        )

    async def remember(self, session: AsyncSession, response: Response) -> None:
        """Store the answer with the work (inside the caller's savepoint); flushed now so a concurrent
        duplicate fails here (IntegrityError), before anything is committed."""
        now = utcnow()
        keep = {k: v for k, v in response.headers.items() if k.lower() in {"content-type", "location"}}
        session.add(
            IdempotencyRecord(
                scope=self.scope,
                key=self.key,
                fingerprint=self.fingerprint,
                state=COMPLETED,
                locked_until=now,
                response_status=response.status_code,
                response_body=bytes(response.body).decode(),
                response_headers=keep,
                created_at=now,
                expires_at=now + RETENTION,
            )
        )
        await session.flush()
