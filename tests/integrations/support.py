"""A real local HTTP server for the integrations' outbound calls (webhook receiver, .ics host), and
builders for a hotel with a booking."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.catalog_support import d, make_hotel, user
from tests.helpers import API


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Site:
    """What the server answers: per path a (status, body, content type); POSTs answer ``post_status``."""

    base: str = ""
    pages: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    post_status: int = 204
    received: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes, *, status: int = 200, content_type: str = "text/calendar") -> str:
        self.pages[path] = (status, body, content_type)
        return self.url(path)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _record(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            site.received.append(Received(self.command, self.path, dict(self.headers.items()), body))

        def do_POST(self) -> None:
            self._record()
            self.send_response(site.post_status)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._record()
            status, body, content_type = site.pages.get(self.path, (404, b"not here", "text/plain"))
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def local_site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


async def hotel(client: httpx.AsyncClient) -> dict[str, Any]:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=2)
    return {"owner": owner, "pid": prop["id"], "prop": prop, "rt": rt}


async def book(
    client: httpx.AsyncClient, h: dict[str, Any], who: dict[str, str], start: int = 2, nights: int = 2
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings",
        headers={**who, "Idempotency-Key": uuid.uuid4().hex},
        json={"room_type_id": h["rt"]["id"], "checkin": d(start), "checkout": d(start + nights), "guests": 2},
    )


async def subscribe(
    client: httpx.AsyncClient, h: dict[str, Any], url: str, events: list[str] | None = None
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/properties/{h['pid']}/webhooks",
        headers=h["owner"],
        json={"url": url, "events": events or ["booking.created", "booking.cancelled", "booking.confirmed"]},
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def ics(*events: tuple[str, str, str]) -> bytes:
    """A calendar of all-day events (uid, first night, day after the last night)."""
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for uid, start, end in events:
        body += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20300101T000000Z",
            f"DTSTART;VALUE=DATE:{start.replace('-', '')}",
            f"DTEND;VALUE=DATE:{end.replace('-', '')}",
            "SUMMARY:Reserved elsewhere",
            "END:VEVENT",
        ]
    return ("\r\n".join([*body, "END:VCALENDAR"]) + "\r\n").encode()
