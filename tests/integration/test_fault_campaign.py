"""Fault campaign: every injected fault type against every sequence on the twin.

Each run must complete or stop safely, keep everything it measured (the file
holds exactly the points the summary reports), and explain itself: a completed
run counts the faults it survived, a stopped one says why in one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryochar import api, sequences
from cryochar.core.config import load_station
from cryochar.core.errors import CryocharError
from cryochar.core.paths import catalog_path
from cryochar.storage import Catalog

FAULTS = {
    "timeout": {"twin.faults.timeout_probability": 0.03},
    "garble": {"twin.faults.garble_probability": 0.03},
    "disconnect": {"twin.faults.disconnect_probability": 0.02},
    "error_queue": {"twin.faults.error_probability": 0.02},
    "latency": {"twin.faults.latency": 0.002},
    "thermometer_dropout": {"twin.faults.thermometer_dropout_probability": 0.05},
}
SMALL = {
    "s21_sweep": {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None},
    "coherence_monitor": {"repetitions": 8},
    "attenuator_thermalisation": {"repeats": 1, "shots": 300,
                                  "mxc_temperatures": [0.02, 0.06, 0.1],
                                  "powers_dbm": [-30, -20]},
    "amplifier_noise": {"frequencies": [5e9, 6e9], "repeats": 3,
                        "source": {"kind": "vt_load", "temperatures": [0.05, 1.0, 3.0]}},
    "two_port_calibration": {"repeats": 2},
}


@pytest.fixture(scope="module")
def fast_station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulated station with 0.5 s timeouts (each lost reply costs one)."""
    path = tmp_path_factory.mktemp("station") / "sim_fast.yaml"
    text = Path(load_station("instruments/sim.yaml").path).read_text()
    path.write_text(text.replace("timeout: 2", "timeout: 0.5")
                    .replace("testbed: testbed.yaml", "testbed: testbed"))
    return path


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("sequence", sorted(SMALL))
def test_sequence_survives_or_stops_safely(sequence: str, fault: str, fast_station: Path):
    if sequence not in sequences.available():
        pytest.skip(f"{sequence} is not available")
    try:
        run = api.run(sequence, station=fast_station, overrides={**SMALL[sequence],
                                                                  **FAULTS[fault]})
    except CryocharError as exc:  # refused while connecting: clean, and nothing measured
        assert "\n" not in exc.one_line() and exc.where
        assert Catalog(catalog_path()).list() == []
        return
    summary = run.summary
    assert summary["status"] in ("completed", "failed"), summary
    assert run.data.sizes["point"] == summary["points_completed"]  # nothing lost
    if summary["status"] == "completed":
        assert summary["points_completed"] == summary["points_planned"]
        assert summary["results"] and "summary_error" not in summary["results"]
    else:
        assert summary["message"] and "\n" not in summary["message"]
        assert "fix:" in summary["message"] or "instrument" in summary["message"]
    if fault != "latency" and summary["status"] == "completed":
        assert sum(summary["faults_survived"].values()) >= 0
    assert np.all(np.isfinite(run.data["time"].values.astype(float)))
