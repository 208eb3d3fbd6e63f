"""Runs survive a lossy wire: reconnect, retry, and report what they survived."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryochar import api
from cryochar.core.config import load_station
from cryochar.drivers import check_station, connect
from cryochar.sim import Twin, load_testbed

FAST = 0.5  # s: VISA timeout; the twin answers in ms, so a lost reply costs only this


@pytest.fixture
def fast_station(tmp_path: Path) -> Path:
    """The simulated station with short timeouts (each injected timeout costs one)."""
    station = tmp_path / "sim_fast.yaml"
    text = Path(load_station("instruments/sim.yaml").path).read_text()
    station.write_text(text.replace("timeout: 2", f"timeout: {FAST}")
                       .replace("testbed: testbed.yaml", "testbed: testbed"))
    return station


FAULTS = {"twin.faults.timeout_probability": 0.05, "twin.faults.garble_probability": 0.03,
          "twin.faults.disconnect_probability": 0.01}


def test_drivers_reconnect_and_retry_once(fast_station: Path):
    station = load_station(fast_station)
    options = check_station(station.model, "sim")
    config = load_testbed(overrides={"twin.faults.garble_probability": 0.2,
                                     "twin.faults.disconnect_probability": 0.05}).model
    with Twin(config) as twin, \
            connect(station.model, options, twin.addresses, names=["vna"]) as opened:
        vna = opened["vna"]
        ok = 0
        for _ in range(15):
            try:
                vna.configure_sweep(4e9, 8e9, 51, 1e3)
                trace = vna.measure_s_parameters(["S21"])["S21"]
                ok += np.isfinite(trace).all()
            except Exception as exc:  # two faults in a row: a clean, named error
                assert "vna" in str(exc)
        assert ok >= 10
        assert sum(vna.faults.values()) > 0
        assert set(vna.faults) <= {"garbled", "connection", "timeout"}


def test_s21_sweep_completes_every_point_through_faults(fast_station: Path):
    run = api.run("s21_sweep", station=fast_station, overrides={**FAULTS, "points": 101})
    summary = run.summary
    assert summary["status"] == "completed"
    assert summary["points_completed"] == summary["points_planned"] == 8
    assert sum(summary["faults_survived"].values()) > 0
    assert np.isfinite(run.data.s21.values).all()


def test_thermometer_dropouts_are_survived_and_logged_as_missing():
    run = api.run("s21_sweep", overrides={"points": 51,
                                          "twin.faults.thermometer_dropout_probability": 0.2})
    assert run.summary["status"] == "completed"
    assert run.summary["faults_survived"]["dropout"] > 0
    temperatures = run.data.stage_temperature.values
    assert np.isnan(temperatures).any() and np.isfinite(temperatures).mean() > 0.5
