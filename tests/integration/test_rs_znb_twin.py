"""The R&S ZNB/ZNA driver end to end on the twin (``sim:vna_rs``), and an s21_sweep run
with a station whose ``vna`` role is the R&S."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from cryochar import api
from cryochar.core.paths import default_file
from cryochar.drivers.switch.cryo_sp6t import CryoSP6T
from cryochar.drivers.vna.keysight_pna import KeysightPNA
from cryochar.drivers.vna.rs_znb import RohdeSchwarzZNB, ZnbOptions
from cryochar.sim import TestbedConfig, Twin, load_testbed
from cryochar.storage import read_attrs

START, STOP, POINTS, IFBW, POWER = 4e9, 8e9, 201, 1e3, -10.0


def normalised_residuals(measured: np.ndarray, expected: np.ndarray, sigma: float) -> np.ndarray:
    """Real and imaginary residuals in units of the receiver noise."""
    residual = (measured - expected) / sigma
    return np.concatenate([residual.real, residual.imag])


@pytest.fixture
def znb(twin: Twin) -> Iterator[RohdeSchwarzZNB]:
    vna = RohdeSchwarzZNB("znb_twin", twin.addresses["vna_rs"], visalib="@py", timeout=2)
    vna.configure_sweep(START, STOP, POINTS, IFBW)
    vna.set_source_power(POWER)
    vna.set_rf_output(True)
    yield vna
    vna.close()


def test_connects_and_reads_the_stimulus(twin: Twin, znb: RohdeSchwarzZNB):
    assert znb.IDN()["vendor"] == "Rohde-Schwarz"
    assert znb.IDN()["model"] == twin.config.twin.vna_rs.model
    np.testing.assert_allclose(znb.frequencies(), np.linspace(START, STOP, POINTS))
    assert znb.if_bandwidth() == IFBW and znb.sweep_count() == 1
    assert znb.ask("SYST:ERR?") == '0,"No error"'


def test_s21_of_the_dut_matches_the_twin_within_receiver_noise(twin: Twin,
                                                               znb: RohdeSchwarzZNB):
    f = znb.frequencies()
    before = twin.clock.now()
    data = znb.measure_s_parameters(("S11", "S21", "S12", "S22"))
    assert twin.clock.now() - before == pytest.approx(2 * POINTS / IFBW + 0.005)  # 2 ports
    expected = twin.expected_s(f)
    sigma = twin.vna.noise_sigma(POWER, IFBW, 1)
    z = np.concatenate([normalised_residuals(data[p], expected[:, int(p[1]) - 1, int(p[2]) - 1],
                                             sigma) for p in data])
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert np.mean(z**2) == pytest.approx(1.0, abs=0.15)
    lines = twin.config.twin.vna.port1.loss_db + twin.config.twin.vna.port2.loss_db
    s21_db = np.mean(20 * np.log10(np.abs(data["S21"])))
    assert s21_db == pytest.approx(-twin.config.twin.dut_attenuator.attenuation_db - lines,
                                   abs=1.0)  # plus the switch paths


def test_averages_are_one_trigger_of_n_sweeps_with_n_times_less_noise_power(
        twin: Twin, znb: RohdeSchwarzZNB):
    znb.configure_sweep(START, STOP, POINTS, IFBW, averages=8)
    f = znb.frequencies()
    before = twin.clock.now()
    s21 = znb.measure_s_parameters()["S21"]
    assert twin.clock.now() - before == pytest.approx(8 * (POINTS / IFBW + 0.005))
    z = normalised_residuals(s21, twin.expected_s(f)[:, 1, 0],
                             twin.vna.noise_sigma(POWER, IFBW, 8))
    assert np.mean(z**2) == pytest.approx(1.0, abs=0.25)


def test_switch_terms_match_the_twin_truth_on_the_thru(twin: Twin, znb: RohdeSchwarzZNB):
    switch = CryoSP6T("sp6t_rs", twin.addresses["switch"], visalib="@py", timeout=2)
    try:
        switch.select(1, "thru")
        switch.select(2, "thru")
        f = znb.frequencies()
        truth = twin.true_error_terms(f)
        gamma_f, gamma_r = znb.measure_switch_terms()
        np.testing.assert_allclose(gamma_f, truth["forward switch term"], atol=5e-4)
        np.testing.assert_allclose(gamma_r, truth["reverse switch term"], atol=5e-4)
        logical = znb.measure_s_parameters(["a2/b2,1"])["a2/b2,1"]  # Keysight-style name
        np.testing.assert_allclose(logical, truth["forward switch term"], atol=5e-4)
    finally:
        switch.close()


def test_the_pna_and_the_rs_front_ends_measure_the_same_network(twin: Twin,
                                                                znb: RohdeSchwarzZNB):
    pna = KeysightPNA("pna_beside_rs", twin.addresses["vna"], visalib="@py", timeout=2)
    try:
        pna.configure_sweep(START, STOP, POINTS, IFBW)
        pna.set_source_power(POWER)
        pna.set_rf_output(True)
        difference = pna.measure_s_parameters()["S21"] - znb.measure_s_parameters()["S21"]
        z = normalised_residuals(difference, 0, np.sqrt(2) * twin.vna.noise_sigma(POWER, IFBW, 1))
        assert np.mean(z**2) == pytest.approx(1.0, abs=0.2)  # two noise draws, one network
    finally:
        pna.close()


def test_a_second_channel_keeps_its_own_traces_and_settings(twin: Twin, znb: RohdeSchwarzZNB):
    other = RohdeSchwarzZNB("znb_ch2", twin.addresses["vna_rs"], visalib="@py", timeout=2,
                            options=ZnbOptions(channel=2))
    try:
        other.configure_sweep(5e9, 6e9, 11, 100.0)
        assert other.frequencies().size == 11
        assert znb.frequencies().size == POINTS  # channel 1 untouched
        assert other.measure_s_parameters()["S21"].size == 11
        assert znb.ask("CALC2:PAR:CAT?") == "'cryochar_ch2_S21,S21'"
    finally:
        other.close()


def test_a_reconnecting_session_reuses_its_traces(twin: Twin, znb: RohdeSchwarzZNB):
    znb.measure_switch_terms()
    again = RohdeSchwarzZNB("znb_again", twin.addresses["vna_rs"], visalib="@py", timeout=2)
    try:
        assert again.measure_switch_terms()[0].size == POINTS  # no duplicate-name error
        catalog = again.ask("CALC1:PAR:CAT?")
        assert catalog.count("cryochar_ch1_A2D1_B2D1") == 1
    finally:
        again.close()


def test_a_short_block_is_a_garbled_reply_and_read_again(twin: Twin, znb: RohdeSchwarzZNB):
    device = twin.devices["vna_rs"]
    original, calls = device._block, []

    def short_once(values: np.ndarray) -> bytes:
        calls.append(values.size)
        return original(values[:-2] if len(calls) == 1 else values)

    device._block = short_once  # the first block loses its last point
    s21 = znb.measure_s_parameters()["S21"]
    assert s21.size == POINTS and calls == [2 * POINTS, 2 * POINTS]
    assert znb.faults["garbled"] == 1


def test_blocks_survive_a_lossy_wire_by_reconnect_and_retry():
    config = load_testbed(overrides={"twin.faults.garble_probability": 0.15,
                                     "twin.faults.disconnect_probability": 0.02}).model
    with Twin(config) as twin:  # a dropped link costs one VISA timeout: keep it short
        vna = RohdeSchwarzZNB("znb_lossy", twin.addresses["vna_rs"], visalib="@py", timeout=0.3)
        try:
            ok = 0
            for _ in range(12):
                try:
                    vna.configure_sweep(START, STOP, 51, IFBW)
                    ok += np.isfinite(vna.measure_s_parameters(["S21"])["S21"]).all()
                except Exception as exc:  # two faults in a row: a clean, named error
                    assert "znb_lossy" in str(exc)
            assert ok >= 8
            assert vna.faults["garbled"] > 0
            assert set(vna.faults) <= {"garbled", "connection", "timeout"}
        finally:
            vna.close()


def rs_station(tmp_path: Path) -> Path:
    """instruments/sim.yaml with the vna role on the R&S front end, written to tmp_path."""
    station = yaml.safe_load(default_file("instruments", "sim.yaml").read_text())
    station["instruments"]["vna"].update(driver="rs_znb", address="sim:vna_rs")
    path = tmp_path / "sim_rs.yaml"
    path.write_text(yaml.safe_dump(station, sort_keys=False))
    return path


def test_s21_sweep_runs_with_the_rs_as_the_vna(tmp_path: Path):
    overrides = {"points": 201, "powers_dbm": [-30, -10], "mxc_temperatures": None,
                 "if_bandwidth": 1000, "averages": 2}
    run = api.run("s21_sweep", station=rs_station(tmp_path), overrides=overrides)
    assert run.summary["status"] == "completed"
    assert run.summary["points_completed"] == run.summary["points_planned"] == 2
    data = run.data
    assert "Rohde-Schwarz" in data.attrs["idn"]
    twin = Twin(TestbedConfig.model_validate(read_attrs(run.path)["testbed"]))
    expected = twin.expected_s(data.frequency.values)[:, 1, 0]
    for point in range(2):
        sigma = twin.vna.noise_sigma(float(data.power_dbm[point]), 1000, 2)
        z = normalised_residuals(data.s21.isel(point=point).values, expected, sigma)
        assert np.mean(z**2) == pytest.approx(1.0, abs=0.25)


def test_two_port_calibration_runs_with_the_rs_and_recovers_the_dut(tmp_path: Path):
    """8-term calibration with the R&S's switch terms (wave ratios) through the switches."""
    run = api.run("two_port_calibration", station=rs_station(tmp_path),
                  overrides={"repeats": 2, "points": 51})
    assert run.summary["status"] == "completed"
    results = run.results
    assert results["dut_s21_db_median"] == pytest.approx(
        -20.0, abs=2 * results["median_uncertainty_db"])
