"""Outbound HTTP for webhooks and calendar imports, guarded against SSRF.

Outside development a URL may not reach private, loopback, link-local, multicast or reserved
addresses (``INNKEEPER_INTEGRATIONS_ALLOW_PRIVATE_URLS``). The host is resolved once, every address is
checked, and the connection goes to the checked address (the ``Host`` header and, for https, the TLS
server name keep the host name), so a DNS answer that changes between the check and the call (DNS
rebinding) cannot redirect it. Redirects are followed by hand, each hop checked the same way. Every
call has a connect and read timeout, and answers are read up to a size limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from innkeeper.config import Settings
from innkeeper.integrations.errors import UrlRefused

if TYPE_CHECKING:
    import httpx

MAX_URL = 2000
MAX_REDIRECTS = 3
USER_AGENT = "Innkeeper-Integrations/1.0"


def private_allowed(settings: Settings) -> bool:
    if settings.integrations_allow_private_urls is not None:
        return settings.integrations_allow_private_urls
    return not settings.is_production


def check_syntax(url: str, field: str = "url") -> str:
    """An absolute http(s) URL with a host and without credentials, or 422."""
    parts = urlsplit(url)
    problem = None
    if len(url) > MAX_URL:
        problem = f"at most {MAX_URL} characters"
    elif parts.scheme not in ("http", "https"):
        problem = "must be an http or https URL"
    elif not parts.hostname:
        problem = "has no host"
    elif parts.username or parts.password:
        problem = "must not carry credentials"
    if problem:
        raise UrlRefused(f"url {problem}", errors=[{"field": field, "message": problem, "type": "url"}])
    return url


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


async def resolve(url: str, *, allow_private: bool, field: str = "url") -> str | None:
    """The address to connect to for ``url`` (checked unless ``allow_private``), or ``None`` when private
    addresses are allowed (the client resolves the name itself). 422 when it resolves nowhere or
    somewhere forbidden."""
    if allow_private:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=5
        )
    except (OSError, TimeoutError):
        message = f"the host {host!r} does not resolve"
        raise UrlRefused(message, errors=[{"field": field, "message": message, "type": "url"}]) from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(_forbidden(a) for a in addresses):
        message = "resolves to a private, loopback or link-local address"
        raise UrlRefused(f"url {message}", errors=[{"field": field, "message": message, "type": "url"}])
    return addresses[0]


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes
    duration_ms: int
    truncated: bool = False


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL to request, the extra headers and the request extensions for a checked address."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), headers, extensions


async def _one(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    address: str | None,
    headers: dict[str, str],
    content: bytes | None,
    max_bytes: int,
) -> tuple[httpx.Response, bytes, bool]:
    target, extra, extensions = _pinned(url, address)
    request = client.build_request(
        method, target, headers={**headers, **extra}, content=content, extensions=extensions
    )
    response = await client.send(request, stream=True)
    try:
        body = bytearray()
        truncated = False
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > max_bytes:
                truncated = True
                break
        return response, bytes(body[: max_bytes + 1]), truncated
    finally:
        await response.aclose()


async def call(
    settings: Settings,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    max_bytes: int = 65_536,
    follow_redirects: bool = False,
) -> Answer:
    """One outbound call (``httpx.HTTPError`` or ``UrlRefused`` on failure). The body is cut after
    ``max_bytes`` (``truncated``)."""
    import httpx  # here, not with the API: only jobs and a few staff calls go out (~3 MB per process)

    allow = private_allowed(settings)
    timeout = httpx.Timeout(settings.integrations_timeout_seconds)
    started = time.perf_counter()
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_syntax(url)
            address = await resolve(url, allow_private=allow)
            response, body, truncated = await _one(
                client,
                method,
                url,
                address=address,
                headers=sent_headers,
                content=content,
                max_bytes=max_bytes,
            )
            location = response.headers.get("location")
            if follow_redirects and response.is_redirect and location:
                url = str(httpx.URL(url).join(location))
                continue
            duration = int((time.perf_counter() - started) * 1000)
            return Answer(response.status_code, body, duration, truncated)
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")
