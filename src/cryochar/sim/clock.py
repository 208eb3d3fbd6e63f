"""The twin's clock.

``stepped``: time moves only when someone advances it (a sequence's waits, an
instrument's sweep time), so hours of testbed time take no wall time and runs
are deterministic. ``scaled``: time runs ``speed`` times faster than the wall
clock (``speed: 1`` is real time), for a twin served to another process.
"""

from __future__ import annotations

import threading
import time

EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: testbed time starts here, s


class SimClock:
    """Thread-safe testbed clock in seconds since the UNIX epoch."""

    def __init__(self, mode: str = "stepped", speed: float = 1.0, start: float = EPOCH):
        if mode not in ("stepped", "scaled"):
            raise ValueError(f"clock mode must be 'stepped' or 'scaled', not {mode!r}")
        self.mode = mode
        self.speed = speed
        self._lock = threading.Lock()
        self._offset = start
        self._wall0 = time.monotonic()

    def now(self) -> float:
        """Testbed time, s."""
        with self._lock:
            if self.mode == "stepped":
                return self._offset
            return self._offset + self.speed * (time.monotonic() - self._wall0)

    def advance(self, seconds: float) -> None:
        """Move testbed time forward by ``seconds`` (instantly, in stepped mode)."""
        if seconds <= 0:
            return
        if self.mode == "stepped":
            with self._lock:
                self._offset += seconds
        else:
            time.sleep(seconds / self.speed)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of testbed time (same as :meth:`advance`)."""
        self.advance(seconds)


__all__ = ["EPOCH", "SimClock"]
