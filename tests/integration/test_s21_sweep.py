"""s21_sweep end to end on the simulated testbed, through the real drivers."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from cryochar import api, session
from cryochar.core.errors import ConfigError
from cryochar.sim import TestbedConfig, Twin
from cryochar.storage import read_attrs
from tests.conftest import run_cli

SMALL = {"points": 201, "powers_dbm": [-30, -10], "mxc_temperatures": None,
         "if_bandwidth": 1000}


def truth_of(path: Path) -> tuple[Twin, TestbedConfig]:
    """The twin a run file was measured on, rebuilt from its provenance (not started)."""
    config = TestbedConfig.model_validate(read_attrs(path)["testbed"])
    return Twin(config), config


@pytest.mark.parametrize("attenuation_db", [10.0, 30.0])
def test_stored_s21_matches_the_twin_model_within_receiver_noise(attenuation_db):
    run = api.run("s21_sweep", overrides={**SMALL,
                                          "twin.dut_attenuator.attenuation_db": attenuation_db})
    assert run.summary["status"] == "completed"
    assert run.summary["points_completed"] == run.summary["points_planned"] == 2
    data = run.data
    twin, config = truth_of(run.path)
    expected = twin.expected_s(data.frequency.values)[:, 1, 0]
    for point in range(2):
        power = float(data.power_dbm[point])
        sigma = twin.vna.noise_sigma(power, SMALL["if_bandwidth"], 1)
        residual = (data.s21.isel(point=point).values - expected) / sigma
        z = np.concatenate([residual.real, residual.imag])
        # normalised residuals: zero mean, unit variance (chi-square per dof ~ 1)
        assert abs(z.mean()) < 4 / np.sqrt(z.size)
        assert np.mean(z**2) == pytest.approx(1.0, abs=0.25)
    # and the DUT is what moved: |S21| relative to the error boxes' own loss
    lines = config.twin.vna.port1.loss_db + config.twin.vna.port2.loss_db
    mean_db = float(np.mean(20 * np.log10(np.abs(data.s21.isel(point=1).values))))
    assert mean_db == pytest.approx(-attenuation_db - lines, abs=0.5)


def test_run_records_temperatures_and_provenance():
    run = api.run("s21_sweep", overrides={**SMALL, "powers_dbm": [-20],
                                          "mxc_temperatures": [0.03, 0.06]})
    data = run.data
    mxc = data.stage_temperature.sel(stage="mxc").values
    np.testing.assert_allclose(mxc, [0.03, 0.06], rtol=0.03)  # waited for stability
    assert (data.mxc_stable.values == 1).all()
    attrs = data.attrs
    for key in ("cryochar_version", "versions", "recipe", "station_snapshot", "operator",
                "host", "started", "stopped", "status", "testbed", "idn"):
        assert key in attrs, key
    idn = json.loads(attrs["idn"])
    assert idn["vna"]["model"] == "N5242B" and idn["fridge"]["model"] == "372"
    assert json.loads(attrs["versions"])["qcodes"].startswith("0.")
    assert "fridge" in json.loads(attrs["station_snapshot"])
    assert attrs["status"] == "completed"
    assert run.results["mxc_setpoint"] == [0.03, 0.06]


class RecordingTwin(Twin):
    instances: ClassVar[list[Twin]] = []

    def start(self):
        RecordingTwin.instances.append(self)
        return super().start()


def test_stop_request_ends_after_the_current_point_with_rf_off(monkeypatch):
    monkeypatch.setattr(session, "Twin", RecordingTwin)
    sent = []

    def progress(done: int, total: int, text: str) -> None:
        if done == 2 and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # like Ctrl-C in the terminal

    run = api.run("s21_sweep", overrides={**SMALL, "powers_dbm": [-40, -35, -30, -25, -20]},
                  progress=progress)
    assert run.summary["status"] == "aborted"
    assert run.summary["points_completed"] in (2, 3)
    assert run.data.sizes["point"] == run.summary["points_completed"]
    assert RecordingTwin.instances[-1].devices["vna"].state.output is False  # RF off


def test_limits_are_checked_before_the_twin_starts(monkeypatch):
    monkeypatch.setattr(session, "Twin", RecordingTwin)
    started = len(RecordingTwin.instances)
    with pytest.raises(ConfigError, match="exceeds the station limit 0 dBm"):
        api.run("s21_sweep", overrides={**SMALL, "powers_dbm": [-20, 5]})
    with pytest.raises(ConfigError, match=r"exceeds the station limit 0\.5 K"):
        api.run("s21_sweep", overrides={**SMALL, "mxc_temperatures": [0.1, 0.7]})
    assert len(RecordingTwin.instances) == started


def test_cli_run_json_and_show_latest_agree(cryochar_home: Path):
    result = run_cli("run", "sequences/s21_sweep.yaml", "--json", home=cryochar_home,
                     check=True)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    assert summary["points_completed"] == summary["points_planned"] > 0
    assert set(summary) >= {"run_id", "sequence", "status", "file", "points_planned",
                            "points_completed", "results"}
    assert Path(summary["file"]).is_file()
    shown = run_cli("show", "latest", "--json", home=cryochar_home, check=True)
    assert json.loads(shown.stdout) == summary
    listed = run_cli("runs", home=cryochar_home, check=True)
    assert summary["run_id"] in listed.stdout


def test_an_aborted_run_resumes_in_the_same_file(monkeypatch):
    sent = []

    def progress(done: int, total: int, text: str) -> None:
        if done == 1 and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    first = api.run("s21_sweep", overrides={**SMALL, "powers_dbm": [-40, -30, -20, -10]},
                    progress=progress)
    assert first.summary["status"] == "aborted"
    done = first.summary["points_completed"]
    assert 1 <= done < 4
    again = api.resume(first.summary["run_id"])
    assert again.summary["status"] == "completed"
    assert again.path == first.path
    data = again.data
    assert data.sizes["point"] == 4
    np.testing.assert_allclose(data.power_dbm.values, [-40, -30, -20, -10])
    times = data.time.values
    assert (np.diff(times) > np.timedelta64(0)).all()  # the resumed clock moved on
