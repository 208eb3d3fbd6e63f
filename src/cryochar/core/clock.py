"""Clocks: where a sequence's waits go.

Sequences never call ``time.sleep``: they ask the run's clock. On real hardware
that is the wall clock. On the simulated testbed it is the twin's clock, which
can step instantly, so a five-minute fridge settling takes no wall time.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Time source of a run, in seconds."""

    def now(self) -> float:
        """Current time, s (UNIX epoch on the wall clock; testbed time on the twin)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class WallClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the UNIX epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of real time."""
        if seconds > 0:
            time.sleep(seconds)


__all__ = ["Clock", "WallClock"]
