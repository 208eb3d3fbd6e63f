"""Soak: a week of coherence monitoring on the simulated clock.

Bounded memory (the per-cycle cost does not grow with the run) and a run file
whose size is proportional to the planned points.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import numpy as np
import pytest

from cryochar import api

WEEK = 7 * 24 * 3600.0


def _run(cycles: int) -> tuple[api.Run, float]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, the peak so far
    run = api.run("coherence_monitor", overrides={
        "repetitions": cycles, "interval": WEEK / 1008, "shots": 200,
        "t1": {"max_delay": 600e-6, "points": 21}, "ramsey": {"max_delay": 60e-6, "points": 41},
        "echo": {"max_delay": 300e-6, "points": 21}})
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return run, grown / 1024  # MiB


@pytest.mark.slow
def test_a_week_of_monitoring_in_bounded_memory_and_proportional_file():
    short, _ = _run(100)
    week, grown_mib = _run(1008)
    assert week.summary["status"] == "completed"
    assert week.summary["points_completed"] == 1008
    times = week.data.time.values
    span = (times[-1] - times[0]) / np.timedelta64(1, "s")
    assert span == pytest.approx(WEEK * 1007 / 1008, rel=1e-3)  # a week of testbed time
    assert grown_mib < 150  # the peak does not scale with a week of cycles
    size_short, size_week = (os.path.getsize(r.path) for r in (short, week))
    per_point = (size_week - size_short) / (1008 - 100)
    overhead = size_short - 100 * per_point
    assert per_point == pytest.approx((21 + 41 + 21) * 8 + 11 * 8, rel=0.2)  # data only
    assert 0 < overhead < 1_000_000  # a fixed header: metadata, provenance, snapshots
    assert Path(week.path).is_file() and week.results["cycles"] == 1008
