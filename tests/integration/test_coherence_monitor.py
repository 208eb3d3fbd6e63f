"""coherence_monitor end to end on the twin: T1 series statistics and telegraph noise."""

from __future__ import annotations

import numpy as np
import pytest

from cryochar import api

SHORT = {"repetitions": 60, "interval": 120.0}


@pytest.mark.parametrize("t1", [60e-6, 150e-6])
def test_median_t1_recovers_the_twin_without_defects(t1: float):
    run = api.run("coherence_monitor", overrides={
        **SHORT, "twin.qubit.t1": t1, "twin.qubit.tls_count": 0,
        "t1": {"max_delay": 5 * t1, "points": 41}})
    results = run.results
    assert run.summary["status"] == "completed"
    assert results["t1_median"] == pytest.approx(t1, rel=0.05)
    assert results["t1_ok_fraction"] > 0.95
    assert not results["telegraph"]["detected"]  # a constant T1 does not switch
    data = run.data
    assert data.sizes["point"] == 60
    assert (data.t1_counts.values <= 500).all()
    np.testing.assert_allclose(np.nanmedian(data.t1.values), t1, rtol=0.05)  # quick fits
    assert len(results["allan_deviation"]["tau"]) > 3


def test_two_level_defects_are_detected_as_telegraph_switching():
    run = api.run("coherence_monitor", overrides={"repetitions": 120, "interval": 120.0})
    telegraph = run.results["telegraph"]
    assert telegraph["detected"]
    low, high = telegraph["levels"]
    assert high / low > 1.2
    assert telegraph["switching_rate"] > 0
    assert run.results["t1_std"] / run.results["t1_mean"] > 0.05
