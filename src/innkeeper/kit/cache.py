"""A small cache interface: Redis when configured (:class:`innkeeper.kit.redis_cache.RedisCache`),
otherwise no cache at all.

Without Redis there is nothing to share between processes, and an in-process cache would make a
logout invisible to the other processes; so the embedded default reads through to the database.
The Redis implementation lives in its own module so that a process without Redis never imports the
client library (about 8 MB of resident memory per API process).
"""

from __future__ import annotations

from typing import Protocol


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
