"""The process-wide collaborators, built once at startup and handed to services and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from innkeeper.config import Settings
from innkeeper.domains import load_handlers
from innkeeper.kit.cache import Cache, NullCache, RedisCache
from innkeeper.kit.crypto import Crypto
from innkeeper.kit.db import Database
from innkeeper.kit.outage import BackendGuard
from innkeeper.kit.ratelimit import RateLimiter
from innkeeper.kit.security import configure_password_hashing
from innkeeper.kit.storage import Storage, storage_from_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    limiter: RateLimiter
    crypto: Crypto
    redis: Redis | None = None
    storage: Storage | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        load_handlers()
        configure_password_hashing(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        redis_guard = BackendGuard("redis", retry_seconds=settings.redis_retry_seconds)
        redis, cache = _redis_and_cache(settings, redis_guard)
        return cls(
            settings=settings,
            db=Database(
                settings.database_url,
                echo=settings.database_echo,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
                ping_idle_seconds=settings.database_ping_idle_seconds,
                lock_timeout_ms=settings.database_lock_timeout_ms,
                statement_timeout_ms=settings.database_statement_timeout_ms,
                connect_timeout=settings.database_connect_timeout_seconds,
                sqlite_busy_timeout=settings.database_sqlite_busy_timeout_ms / 1000,
            ),
            cache=cache,
            limiter=RateLimiter(settings.redis_url, redis=redis, guard=redis_guard),
            crypto=Crypto.from_settings(settings.secret_key, settings.encryption_keys),
            redis=redis,
            storage=storage_from_settings(settings),
        )

    async def close(self) -> None:
        await self.db.dispose()
        # databases a package opened beside the main one (the reports' replica) close with the context
        for key, extra in list(self.extras.items()):
            if isinstance(extra, Database) and extra is not self.db:
                await extra.dispose()
                del self.extras[key]
        if self.redis is not None:
            await self.redis.aclose()


def _redis_and_cache(settings: Settings, guard: BackendGuard) -> tuple[Redis | None, Cache]:
    """The Redis client and the cache on it; without ``INNKEEPER_REDIS_URL`` neither, and the client
    library is not even imported (it is ~8 MB of resident memory per process)."""
    if not settings.redis_url:
        return None, NullCache()
    from redis.asyncio import Redis

    redis = Redis.from_url(
        settings.redis_url,
        # a dead Redis costs a call this long at most, and only one call per process every
        # ``redis_retry_seconds`` (the cache and the limiter share one breaker)
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
    )
    return redis, RedisCache(redis, guard=guard)
