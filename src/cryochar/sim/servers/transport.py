"""TCP line servers for the twin's instruments, on 127.0.0.1 only.

One asyncio event loop in a daemon thread serves every instrument, each on its
own port (ephemeral by default), several clients at once. A device is any
object with ``handle(line) -> list[reply]`` and a ``reply_terminator``; replies
that are ``bytes`` (binary blocks) are sent as they are, then the terminator.
Devices are called under one lock, so physics state is never raced.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from cryochar.sim.faults import GARBLED, Fault, FaultInjector
from cryochar.sim.servers.http import HttpDevice, read_request, response

HOST = "127.0.0.1"


class LineDevice(Protocol):
    """What the transport needs from an emulated instrument."""

    reply_terminator: bytes

    def handle(self, line: str) -> list[str | bytes]:
        """Execute one received line, return replies to send."""
        ...


@dataclass
class _Served:
    device: LineDevice | HttpDevice
    port: int
    server: asyncio.base_events.Server | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)


class ServerHost:
    """Runs line servers for several devices in one background event loop."""

    def __init__(self, faults: FaultInjector | None = None) -> None:
        self.faults = faults if faults is not None and faults.active else None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cryochar-twin",
                                        daemon=True)
        self._served: dict[str, _Served] = {}
        self.lock = threading.RLock()
        self._started = False

    def add(self, name: str, device: LineDevice | HttpDevice, port: int = 0) -> None:
        """Register a device before :meth:`start`; ``port=0`` picks a free one.

        Devices with ``handle_http`` are served as HTTP + JSON, others as lines.
        """
        self._served[name] = _Served(device, port)

    def start(self) -> dict[str, int]:
        """Bind every server and start the loop; return name -> port."""
        self._thread.start()
        self._started = True
        future = asyncio.run_coroutine_threadsafe(self._bind_all(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:
            self.stop()
            raise
        return self.ports

    @property
    def ports(self) -> dict[str, int]:
        """Port of each served device."""
        return {name: served.port for name, served in self._served.items()}

    async def _bind_all(self) -> None:
        for served in self._served.values():
            served.server = await asyncio.start_server(
                lambda r, w, s=served: self._serve(s, r, w), HOST, served.port)
            served.port = served.server.sockets[0].getsockname()[1]

    async def _serve(self, served: _Served, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # replies are small: send them now, not after a delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if hasattr(served.device, "handle_http"):
            await self._serve_http(served, reader, writer)
            return
        if not await self._admit(served):  # e.g. a Triton serves one client at a time
            writer.close()
            return
        async with _connection(served, writer):
            while True:
                raw = await reader.readline()
                if not raw:
                    break
                line = raw.decode("latin-1").strip("\r\n\x00 ")
                with self.lock:
                    replies = served.device.handle(line) if line else []
                    if self.faults and line and self.faults.spurious_error():
                        push = getattr(served.device, "push_error", None)
                        if push:
                            push(-310, "System error; injected fault")
                for reply in replies:
                    if not await self._send(served, writer, reply):
                        return
                await writer.drain()

    @staticmethod
    async def _admit(served: _Served) -> bool:
        """Whether a new line client may stay: a device's optional ``max_clients`` is
        honoured (after a short grace for a client that is just hanging up)."""
        limit = getattr(served.device, "max_clients", None)
        for _ in range(5):  # 50 ms
            if limit is None or len(served.writers) < limit:
                return True
            await asyncio.sleep(0.01)
        return False

    async def _serve_http(self, served: _Served, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        async with _connection(served, writer):
            while True:
                try:
                    request = await read_request(reader)
                except (ValueError, UnicodeDecodeError):
                    writer.write(response(400, {"error": "malformed request"}))
                    break
                if request is None:
                    break
                with self.lock:
                    status, payload = served.device.handle_http(*request)
                if self.faults:
                    fault = self.faults.next_fault()
                    if fault is Fault.DISCONNECT or fault is Fault.TIMEOUT:
                        writer.transport.abort()
                        return
                    if fault is Fault.GARBLE:
                        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n" + GARBLED[:9])
                        await writer.drain()
                        continue
                writer.write(response(status, payload))
                await writer.drain()

    async def _send(self, served: _Served, writer: asyncio.StreamWriter,
                    reply: str | bytes) -> bool:
        """Send one reply through the fault injector; False when the link was dropped."""
        data = reply if isinstance(reply, bytes) else reply.encode()
        if self.faults:
            delay = self.faults.latency()
            if delay:
                await asyncio.sleep(delay)
            fault = self.faults.next_fault()
            if fault is Fault.DISCONNECT:
                writer.transport.abort()
                return False
            if fault is Fault.TIMEOUT:
                return True
            if fault is Fault.GARBLE:
                data = GARBLED
        writer.write(data + served.device.reply_terminator)  # one segment per reply
        return True

    async def _close_all(self) -> None:
        for served in self._served.values():
            if served.server is not None:
                served.server.close()
            for writer in list(served.writers):
                writer.close()  # the handler sees EOF and ends by itself
        for served in self._served.values():
            if served.server is not None:
                await served.server.wait_closed()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=2)

    def stop(self) -> None:
        """Close every server and connection, stop the loop, join the thread."""
        if not self._started:
            return
        self._started = False
        if self._loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


@contextlib.asynccontextmanager
async def _connection(served: _Served, writer: asyncio.StreamWriter) -> AsyncIterator[None]:
    """One client connection of ``served``: tracked (for :meth:`ServerHost.stop`) while the
    block runs; a client hanging up ends it quietly; the connection is closed after."""
    served.writers.add(writer)
    try:
        yield
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        served.writers.discard(writer)
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


__all__ = ["HOST", "LineDevice", "ServerHost"]
