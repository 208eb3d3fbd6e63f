"""HTTP + JSON serving for twin instruments that speak HTTP (e.g. the Bluefors
temperature controller). A device implements
``handle_http(method, path, query, body) -> (status, payload)``; the payload is
sent as JSON. Keep-alive is supported; malformed requests get 400, unknown
paths whatever the device says (404 by convention), never a crash.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}


class HttpDevice(Protocol):
    """What the HTTP server needs from an emulated instrument."""

    def handle_http(self, method: str, path: str, query: dict[str, list[str]],
                    body: Any) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON-serialisable payload)."""
        ...


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict, Any] | None:
    """One request: (method, path, query, decoded JSON body or None); None at EOF."""
    request_line = await reader.readline()
    if not request_line:
        return None
    method, target, _version = request_line.decode("latin-1").split(" ", 2)
    headers = {}
    while True:
        line = (await reader.readline()).decode("latin-1").strip()
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    raw = await reader.readexactly(length) if length else b""
    body = json.loads(raw) if raw else None
    parts = urlsplit(target)
    return method.upper(), parts.path, parse_qs(parts.query), body


def response(status: int, payload: Any) -> bytes:
    """An HTTP/1.1 response with a JSON body."""
    body = json.dumps(payload).encode()
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


__all__ = ["HttpDevice", "read_request", "response"]
