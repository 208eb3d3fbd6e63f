"""two_port_calibration end to end on the twin: switches, PNA and fridge through their drivers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skrf

from cryochar import api
from cryochar.cli.export import export_touchstone
from cryochar.core.errors import ConfigError, InstrumentError
from cryochar.sequences._two_port_analysis import CYCLE, STEPS
from cryochar.sequences.two_port_calibration import TwoPortCalibration
from cryochar.sim import TestbedConfig, Twin
from cryochar.sim.physics.vna import VNAPhysics
from cryochar.storage import read_attrs
from tests.conftest import run_cli

RECIPE = "two_port_calibration"


def truth_of(path: Path) -> Twin:
    """The twin a run file was measured on, rebuilt from its provenance (not started)."""
    return Twin(TestbedConfig.model_validate(read_attrs(path)["testbed"]))


def assert_recovers(results: dict, attenuation_db: float) -> None:
    """The acceptance criteria: -x dB within U (k = 2) at >= 95 % of the frequencies,
    median U <= 0.2 dB, the verification standard passes, the calibration is fresh."""
    s21 = np.array(results["dut_s21_db"])
    u = np.array(results["dut_s21_db_uncertainty"])
    assert s21.size == u.size == len(results["frequency"]) == 201
    covered = np.mean(np.abs(s21 + attenuation_db) <= u)
    assert covered >= 0.95, (covered, np.max(np.abs(s21 + attenuation_db)))
    assert np.median(u) <= 0.2
    assert results["coverage_factor"] == 2.0
    assert results["verification_pass"] is True and results["verification_failures"] == []
    assert results["calibration_stale"] is False
    assert results["residual_directivity_db"] < -30
    assert results["dominant_component"] == "path_asymmetry"


@pytest.mark.parametrize("attenuation_db", [10.0, 30.0])
def test_recovers_the_attenuator_within_its_uncertainty(attenuation_db):
    run = api.run(RECIPE, overrides={"twin.dut_attenuator.attenuation_db": attenuation_db})
    assert run.summary["status"] == "completed"
    assert run.summary["points_completed"] == run.summary["points_planned"] == 2 + 6 * 3
    assert_recovers(run.results, attenuation_db)
    noise = run.results["uncertainty_components_db"]["vna_noise"]
    assert (noise > 0.005) == (attenuation_db > 20)  # less signal, more noise


def test_run_file_error_terms_and_touchstone_export(tmp_path, cryochar_home):
    run = api.run(RECIPE)
    assert_recovers(run.results, 20.0)
    data = run.data
    f = data.frequency.values
    assert list(data.sparam.values) == ["S11", "S12", "S21", "S22"]
    assert list(data.step_name.values) == list(STEPS)
    kinds = [STEPS[i] for i in data.step.values]
    assert kinds == ["stabilise", *CYCLE * 3, "check"]
    assert data.repeat.values.tolist() == [0, *np.repeat([1, 2, 3], 6), 0]
    # raw data as the twin measures them; switch terms only at the thru
    twin = truth_of(run.path)
    thru = np.isin(data.step.values, STEPS.index("thru"))
    assert np.all(np.isfinite(data.switch_terms.values[thru]))
    assert np.all(np.isnan(data.switch_terms.values[~thru]))
    assert np.all(np.isnan(data.s.values[0])) and np.all(np.isfinite(data.s.values[1:]))
    truth = twin.true_error_terms(f)
    gamma_f = data.switch_terms.sel(direction="forward").values[thru].mean(axis=0)
    np.testing.assert_allclose(gamma_f, truth["forward switch term"], atol=2e-4)
    # every measurement follows fresh pulses on both switches; temperatures with every point
    pulses = np.diff(data.actuations.values, axis=0)
    assert np.all(pulses >= 1)
    mxc = data.stage_temperature.sel(stage="mxc").values
    assert np.all(np.abs(mxc - 0.010) < 0.002) and bool(data.mxc_stable.values.all())

    result = run_cli("export", "latest", "--touchstone", "--out", str(tmp_path), "--json",
                     home=cryochar_home, check=True)
    files = {key: Path(p) for key, p in json.loads(result.stdout).items()}
    dut = skrf.Network(str(files["dut"]))
    np.testing.assert_allclose(dut.f, f)
    np.testing.assert_allclose(dut.s, twin.dut_s(f), atol=1e-2)  # path asymmetry ~2e-3
    np.testing.assert_allclose(20 * np.log10(np.abs(dut.s[:, 1, 0])), run.results["dut_s21_db"],
                               atol=1e-4)
    for key in ("forward directivity", "reverse source match", "forward switch term"):
        solved = skrf.Network(str(files[key])).s[:, 0, 0]
        np.testing.assert_allclose(solved, truth[key], atol=1e-2, err_msg=key)
    solved_k = skrf.Network(str(files["k"])).s[:, 0, 0]
    np.testing.assert_allclose(solved_k / truth["k"], 1, atol=1e-2)
    header = files["forward directivity"].read_text().splitlines()[:10]
    assert any(line.startswith("! calibration_mxc_temperature_K: 0.01") for line in header)
    assert any(line.startswith("! calibration_time_utc: ") for line in header)
    assert files["verification"].is_file() and files["reverse error box"].suffix == ".s2p"
    wrong = api.run("s21_sweep", overrides={"points": 21, "powers_dbm": [-30],
                                            "mxc_temperatures": None})
    with pytest.raises(ConfigError, match="needs a calibration run"):
        export_touchstone(wrong.path)


def test_solt_with_the_thru_as_defined_at_an_mxc_setpoint():
    run = api.run(RECIPE, overrides={"method": "solt", "repeats": 2, "mxc_temperature": 0.02})
    assert run.results["method"] == "solt" and run.results["repeats"] == 2
    assert_recovers(run.results, 20.0)
    assert run.results["calibration_mxc_temperature"] == pytest.approx(0.02, rel=0.03)
    assert run.results["mxc_stable"] is True


def test_drifting_error_boxes_make_the_calibration_stale(monkeypatch):
    """The port-1 cable loses 0.02 dB more after the DUT: the check standard sees it."""
    boxes, measure, drifting = VNAPhysics.error_boxes, TwoPortCalibration.measure, {"on": False}

    def drifted_boxes(self, frequency):
        box1, box2 = boxes(self, frequency)
        if drifting["on"]:
            box1 = box1.copy()
            box1[:, [0, 1], [1, 0]] *= 10 ** (-0.02 / 20)
        return box1, box2

    def measure_and_drift(self, index, point):
        drifting["on"] = STEPS[int(point["step"])] == "check"
        return measure(self, index, point)

    monkeypatch.setattr(VNAPhysics, "error_boxes", drifted_boxes)
    monkeypatch.setattr(TwoPortCalibration, "measure", measure_and_drift)
    run = api.run(RECIPE, overrides={"repeats": 2})
    assert run.results["calibration_stale"] is True
    assert run.results["drift_points_exceeding"] > 50
    # the DUT itself was measured before the drift
    s21, u = np.array(run.results["dut_s21_db"]), np.array(run.results["dut_s21_db_uncertainty"])
    assert np.mean(np.abs(s21 + 20) <= u) >= 0.95


def test_missed_pulses_are_pulsed_again():
    logged = []
    run = api.run(RECIPE, overrides={"repeats": 2, "actuation_attempts": 8,
                                     "twin.switch.failure_probability": 0.3},
                  log=logged.append)
    assert run.summary["status"] == "completed"
    assert any("did not move" in line and "pulsing again" in line for line in logged)
    assert run.results["verification_pass"] is True
    # the read-back makes sure every standard was measured on its throw
    twin = truth_of(run.path)
    assert twin.config.twin.switch.failure_probability == 0.3
    pulses = run.data.actuations.values[-1]
    assert np.all(pulses > 2 * 6 + 1)  # more pulses than the 13 selections of each switch


def test_a_run_without_two_cycles_says_why_there_is_no_analysis(monkeypatch):
    measure = TwoPortCalibration.measure

    def fails_in_second_cycle(self, index, point):
        if index == 8:
            raise InstrumentError("switch 1 did not move", where="test")
        return measure(self, index, point)

    monkeypatch.setattr(TwoPortCalibration, "measure", fails_in_second_cycle)
    run = api.run(RECIPE, overrides={"repeats": 2})
    assert run.summary["status"] == "failed" and run.summary["points_completed"] == 8
    assert run.results["analysis"].startswith("not possible: 1 complete measurement cycle")


def test_bad_parameters_are_refused_before_any_instrument():
    with pytest.raises(ConfigError, match="throws must name"):
        api.prepare(RECIPE, overrides={"throws": {"short": 1, "open": 2}})
    with pytest.raises(ConfigError, match="exceeds the station limit"):
        api.prepare(RECIPE, overrides={"power_dbm": 5})
    with pytest.raises(ConfigError, match="method"):
        api.prepare(RECIPE, overrides={"method": "trl"})
