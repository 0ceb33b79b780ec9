"""Request-rate limits with the ``limits`` library: in memory by default, Redis when configured.

With Redis, the limits are shared by every process. When Redis does not answer, each process counts
in its own memory instead (for ``retry_seconds`` after the failure, then it tries Redis again): a
limit still holds, per process rather than across them, and no request fails because of Redis. None
of these limits needs to fail closed: the throttles that security rests on (failed logins per
account, OTP sends and tries per number) are counted in the database (:mod:`innkeeper.kit.throttle`).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from innkeeper.kit.errors import RateLimited
from innkeeper.kit.outage import BackendGuard

if TYPE_CHECKING:
    from redis.asyncio import Redis


class RateLimiter:
    def __init__(
        self,
        redis_url: str | None = None,
        *,
        redis: Redis | None = None,
        guard: BackendGuard | None = None,
    ) -> None:
        """``redis``: share that client's connection pool (and its timeouts); without it a Redis
        ``redis_url`` gets a pool of its own."""
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        self.guard = guard or BackendGuard("redis")
        if redis_url:
            options = {"connection_pool": redis.connection_pool} if redis is not None else {}
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix="innkeeper-limits",
                wrap_exceptions=True,  # StorageError, whatever the client library
                **options,  # type: ignore[arg-type]
            )
            self.shared = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    async def hit(self, limit: str, *identifiers: str, message: str = "Too many requests") -> None:
        """Count one request; raise 429 with ``Retry-After`` when the limit is exceeded."""
        item = self._item(limit)
        if self.shared is not None and self.guard.available():
            try:
                if await self.shared.hit(item, *identifiers):
                    self.guard.succeeded()
                    return
                stats = await self.shared.get_window_stats(item, *identifiers)
            except StorageError as exc:
                self.guard.failed(exc.storage_error, "ratelimit.hit")
            else:
                self.guard.succeeded()
                raise RateLimited(message, retry_after=math.ceil(stats.reset_time - time.time()))
        if await self.local.hit(item, *identifiers):
            return
        stats = await self.local.get_window_stats(item, *identifiers)
        raise RateLimited(message, retry_after=math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        storages: list[Storage] = [self.local.storage]
        if self.shared is not None:
            storages.append(self.shared.storage)
        for storage in storages:
            await storage.reset()
