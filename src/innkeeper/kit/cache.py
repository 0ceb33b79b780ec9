"""A small cache interface: Redis when configured, otherwise no cache at all.

Without Redis there is nothing to share between processes, and an in-process cache would make a
logout invisible to the other processes; so the embedded default reads through to the database.

The cache never fails a request: when Redis does not answer, a read is a miss (the caller asks the
database, which is always right) and a write is skipped. Only an *overwrite* or a *delete* that
failed is kept and replayed as soon as Redis answers again (while its time to live lasts), because
those carry news a stale entry would hide: a revoked session's "dead" marker must reach the other
processes even if Redis blinked when the session was revoked.

The client library is imported with the first :class:`RedisCache`, not with this module: a process
without Redis never loads it (about 8 MB of resident memory).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from innkeeper.kit.clock import utcnow
from innkeeper.kit.outage import BackendGuard

if TYPE_CHECKING:
    from redis.asyncio import Redis


class Cache(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl: int, *, only_if_absent: bool = False) -> None: ...
    async def delete(self, key: str) -> None: ...


class NullCache:
    async def get(self, key: str) -> str | None:
        return None

    async def set(self, key: str, value: str, ttl: int, *, only_if_absent: bool = False) -> None:
        return None

    async def delete(self, key: str) -> None:
        return None


#: failed overwrites/deletes kept for replay; past this the oldest are dropped (their entries then
#: live out their own, short, time to live)
MAX_PENDING_WRITES = 10_000
#: a failed delete is replayed for this long (an entry it should remove could live that long)
DELETE_REPLAY_SECONDS = 3600


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "ik:", *, guard: BackendGuard | None = None) -> None:
        from redis.exceptions import RedisError

        #: what a failed call raises (caught below: the cache never fails a request)
        self._errors: type[Exception] = RedisError
        self.redis = redis
        self.prefix = prefix
        self.guard = guard or BackendGuard("redis")
        #: key -> (value or None for a delete, expiry as a POSIX timestamp)
        self._pending: OrderedDict[str, tuple[str | None, float]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        if not await self._ready():
            return None
        try:
            value = await self.redis.get(self.prefix + key)
        except self._errors as exc:
            self.guard.failed(exc, "cache.get")
            return None
        self.guard.succeeded()
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: int, *, only_if_absent: bool = False) -> None:
        ttl = max(1, ttl)
        if await self._ready():
            try:
                await self.redis.set(self.prefix + key, value, ex=ttl, nx=only_if_absent)
            except self._errors as exc:
                self.guard.failed(exc, "cache.set")
            else:
                self.guard.succeeded()
                return
        if not only_if_absent:  # a fill-in (SET NX) is only an optimisation: dropping it is harmless
            self._keep(key, value, ttl)

    async def delete(self, key: str) -> None:
        if await self._ready():
            try:
                await self.redis.delete(self.prefix + key)
            except self._errors as exc:
                self.guard.failed(exc, "cache.delete")
            else:
                self.guard.succeeded()
                return
        self._keep(key, None, 0)

    def _keep(self, key: str, value: str | None, ttl: int) -> None:
        lasts = ttl if value is not None else DELETE_REPLAY_SECONDS
        self._pending.pop(key, None)  # the newest write for a key is the one to replay
        self._pending[key] = (value, utcnow().timestamp() + lasts)
        while len(self._pending) > MAX_PENDING_WRITES:
            self._pending.popitem(last=False)

    async def _ready(self) -> bool:
        """Whether to try Redis now; first replays the writes that failed while it was away."""
        if not self.guard.available():
            return False
        if not self._pending:
            return True
        now = utcnow().timestamp()
        pending, self._pending = self._pending, OrderedDict()
        live = [(key, value, expires) for key, (value, expires) in pending.items() if expires > now]
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, value, expires in live:
                    if value is None:
                        pipe.delete(self.prefix + key)
                    else:
                        pipe.set(self.prefix + key, value, ex=max(1, int(expires - now)))
                await pipe.execute()
        except self._errors as exc:
            for key, value, expires in live:  # newer writes made meanwhile win
                self._pending.setdefault(key, (value, expires))
            self.guard.failed(exc, "cache.replay")
            return False
        return True
