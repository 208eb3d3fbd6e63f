"""A bare TCP client for raw instrument dialogues (no pyvisa, no cryochar drivers)."""

from __future__ import annotations

import socket

import numpy as np


class RawClient:
    """Send lines, read terminated replies or IEEE 488.2 definite-length blocks."""

    def __init__(self, address: str, terminator: bytes):
        _, host, port, _ = address.split("::")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.term = terminator
        self.buffer = b""

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + self.term)

    def _fill(self, n: int) -> None:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buffer += chunk

    def line(self) -> str:
        while self.term not in self.buffer:
            self._fill(len(self.buffer) + 1)
        text, _, self.buffer = self.buffer.partition(self.term)
        return text.decode()

    def query(self, line: str) -> str:
        self.send(line)
        return self.line()

    def block(self, line: str, dtype: str = "<f8") -> np.ndarray:
        """Query ``line`` and decode the IEEE block that answers it."""
        self.send(line)
        self._fill(2)
        assert self.buffer[:1] == b"#", self.buffer[:20]
        digits = int(self.buffer[1:2])
        self._fill(2 + digits)
        length = int(self.buffer[2:2 + digits])
        self._fill(2 + digits + length + len(self.term))
        payload = self.buffer[2 + digits:2 + digits + length]
        self.buffer = self.buffer[2 + digits + length + len(self.term):]
        return np.frombuffer(payload, dtype=dtype)

    def errors(self) -> list[int]:
        """Drain the SCPI error queue; return the codes (without the final 0)."""
        codes = []
        while (code := int(self.query("SYST:ERR?").split(",")[0])) != 0:
            codes.append(code)
        return codes

    def close(self) -> None:
        self.sock.close()
