"""How busy the machine was while a benchmark ran (it is shared: compare runs only when
``other_cpu_fraction`` is near zero).

``other_cpu_fraction`` is the CPU time (in CPUs, averaged over the wall time) that
processes other than this one and its finished children used, from ``/proc/stat``.
"""

from __future__ import annotations

import os
import time
from typing import Any


def busy_seconds() -> float | None:
    """CPU seconds all processes have used (None where /proc/stat is missing)."""
    try:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return None
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU seconds of this process and its finished children (e.g. worker pools)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadMeter:
    """Call :meth:`start` before the timings and :meth:`report` after them."""

    def start(self) -> LoadMeter:
        """Record the load at the start; returns self."""
        self.loadavg = os.getloadavg()
        self.busy, self.own, self.wall = busy_seconds(), own_seconds(), time.perf_counter()
        return self

    def report(self) -> dict[str, Any]:
        """Load averages before/after and the other processes' CPU use since :meth:`start`."""
        wall = time.perf_counter() - self.wall
        busy = busy_seconds()
        other = None if busy is None or self.busy is None else (
            (busy - self.busy) - (own_seconds() - self.own)) / wall
        return {"loadavg_before": [round(v, 2) for v in self.loadavg],
                "loadavg_after": [round(v, 2) for v in os.getloadavg()],
                "other_cpu_fraction": None if other is None else round(max(other, 0.0), 3)}
