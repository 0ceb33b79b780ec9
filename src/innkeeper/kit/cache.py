"""A small cache interface: Redis when configured, otherwise no cache at all.

Without Redis there is nothing to share between processes, and an in-process cache would make a
logout invisible to the other processes; so the embedded default reads through to the database.
"""

from __future__ import annotations

from typing import Protocol

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


class RedisCache:
    def __init__(self, redis: Redis, prefix: str = "ik:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def get(self, key: str) -> str | None:
        value = await self.redis.get(self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, ttl: int, *, only_if_absent: bool = False) -> None:
        await self.redis.set(self.prefix + key, value, ex=max(1, ttl), nx=only_if_absent)

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
