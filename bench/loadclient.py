"""A lean HTTP/1.1 keep-alive client for the benchmarks' load generators.

The benchmarks run the load generator on the same two cores as the API processes and PostgreSQL, so
every millisecond of client CPU is a millisecond the server does not get. httpx spent about 2 ms of CPU
per request here (its connection pool, header models and response objects); this client writes the
request bytes, reads the status line, the headers and a ``Content-Length`` (or chunked) body, and
nothing more: about a tenth of that. It speaks only what the benchmarks need: one request at a time
per connection, no redirects, no TLS, no compression.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

_BROKEN = (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


class HttpError(Exception):
    """The connection broke or the server answered something this client does not read."""


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return orjson.loads(self.body)


class Connection:
    """One keep-alive connection; reconnects by itself when the server closed it."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = f"{self.host}:{self.port}".encode()
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        if params:
            path = f"{path}?{urlencode(params)}"
        body = b"" if json is None else orjson.dumps(json)
        head = [f"{method} {path} HTTP/1.1".encode(), b"host: " + self.authority]
        if json is not None:
            head += [b"content-type: application/json", b"content-length: %d" % len(body)]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}".encode("latin-1"))
        data = b"\r\n".join(head) + b"\r\n\r\n" + body
        try:
            return await asyncio.wait_for(self._exchange(data), self.timeout)
        except _BROKEN as exc:
            await self.close()
            raise HttpError(str(exc) or type(exc).__name__) from exc

    async def _exchange(self, data: bytes) -> Response:
        # the server closes keep-alive connections idle for a while (uvicorn: 5 s): open a new one then
        reused = (
            self._writer is not None
            and not self._writer.is_closing()
            and self._reader is not None
            and not self._reader.at_eof()
        )
        if not reused:
            await self.close()
            await self._connect()
        assert self._reader is not None and self._writer is not None
        self._writer.write(data)
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not (reused and not exc.partial):
                raise
            # closed by the server just as it was reused, before any answer: servers close only idle
            # keep-alive connections (uvicorn after 5 s), so the request was not read; send it again
            await self.close()
            return await self._exchange(data)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self._reader.readuntil(b"\r\n")).strip(), 16):
                chunks.append(await self._reader.readexactly(size))
                await self._reader.readexactly(2)
            await self._reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            raise HttpError("response without Content-Length or chunked encoding")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)


class Pool:
    """Connections handed out one request at a time (as many as requests in flight)."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base, self.timeout = base, timeout
        self._idle: list[Connection] = []
        self._all: list[Connection] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> Response:
        if self._idle:
            conn = self._idle.pop()
        else:
            conn = Connection(self.base, self.timeout)
            self._all.append(conn)
        try:
            return await conn.request(method, path, **kwargs)
        finally:
            self._idle.append(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
