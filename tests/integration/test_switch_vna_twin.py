"""The in-situ calibration hardware end to end: CryoSP6T + KeysightPNA drivers on the twin."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import skrf

from cryochar.core.errors import InstrumentError
from cryochar.drivers.switch.cryo_sp6t import CryoSP6T
from cryochar.drivers.vna.keysight_pna import KeysightPNA
from cryochar.sim import Twin, load_testbed

START, STOP, POINTS, IFBW, POWER = 4e9, 8e9, 101, 1e3, -10.0
NAMES = ("short", "open", "load", "thru", "dut", "verification")


def connect(twin: Twin, tag: str) -> tuple[CryoSP6T, KeysightPNA]:
    switch = CryoSP6T(f"sp6t_{tag}", twin.addresses["switch"], visalib="@py", timeout=2)
    vna = KeysightPNA(f"pna_{tag}", twin.addresses["vna"], visalib="@py", timeout=2)
    vna.configure_sweep(START, STOP, POINTS, IFBW)
    vna.set_source_power(POWER)
    vna.set_rf_output(True)
    return switch, vna


@pytest.fixture
def bench(twin: Twin) -> Iterator[tuple[Twin, CryoSP6T, KeysightPNA]]:
    switch, vna = connect(twin, "bench")
    yield twin, switch, vna
    switch.close()
    vna.close()


def test_every_throw_measures_what_the_twin_predicts(bench):
    twin, switch, vna = bench
    f = vna.frequencies()
    np.testing.assert_allclose(f, np.linspace(START, STOP, POINTS))
    sigma = twin.vna.noise_sigma(POWER, IFBW, 1)
    for name in NAMES:
        before = twin.clock.now()
        switch.select(1, name)
        switch.select(2, name)
        assert twin.clock.now() - before == pytest.approx(0.1)  # two 50 ms pulses
        assert switch.position(1) == switch.position(2) == switch.options.throws[name]
        data = vna.measure_s_parameters(("S11", "S21", "S12", "S22"))
        expected = twin.expected_s(f)
        z = np.concatenate([(data[p] - expected[:, int(p[1]) - 1, int(p[2]) - 1]) / sigma
                            for p in data])
        z = np.concatenate([z.real, z.imag])
        assert np.mean(z**2) == pytest.approx(1.0, abs=0.2), name  # receiver noise only
        if name in ("short", "open", "load"):
            assert np.abs(data["S21"]).max() < 6 * sigma  # one-ports: nothing transmitted
    assert (switch.actuation_count(1), switch.actuation_count(2)) == (6, 6)


def test_switch_terms_and_the_corrected_dut_match_the_ground_truth(bench):
    twin, switch, vna = bench
    f = vna.frequencies()
    truth = twin.true_error_terms(f)
    switch.select(1, "thru")
    switch.select(2, "thru")
    gamma_f, gamma_r = vna.measure_switch_terms()
    np.testing.assert_allclose(gamma_f, truth["forward switch term"], atol=5e-4)
    np.testing.assert_allclose(gamma_r, truth["reverse switch term"], atol=5e-4)
    switch.select(1, "dut")
    switch.select(2, "dut")
    raw = vna.measure_s_parameters(("S11", "S21", "S12", "S22"))
    s = np.empty((f.size, 2, 2), dtype=complex)
    for name, trace in raw.items():
        s[:, int(name[1]) - 1, int(name[2]) - 1] = trace
    frequency = skrf.Frequency.from_f(f, unit="Hz")
    cal = skrf.calibration.EightTerm.from_coefs(frequency, truth)
    corrected = cal.apply_cal(skrf.Network(frequency=frequency, s=s)).s
    # within the switch-path asymmetry (2e-3) and the receiver noise
    np.testing.assert_allclose(corrected, twin.dut_s(f), atol=1e-2)
    np.testing.assert_allclose(20 * np.log10(np.abs(corrected[:, 1, 0])), -20, atol=0.05)


def test_a_missed_actuation_is_caught_by_the_read_back_and_a_retry_recovers():
    overrides = {"twin.switch.failure_probability": 0.5, "seed": 3}
    with Twin(load_testbed(overrides=overrides).model) as twin:
        switch, vna = connect(twin, "flaky")
        try:
            failures = 0
            for _ in range(20):
                try:
                    switch.select(1, "short")
                    break
                except InstrumentError as exc:
                    failures += 1
                    assert "did not move to throw 1" in exc.message
                    assert switch.position(1) == 5  # still on the DUT
            assert failures >= 1, "seed 3 should miss at least one pulse"
            assert switch.position(1) == 1 and twin.switches.positions[1] == 1
            assert switch.actuation_count(1) == failures + 1
        finally:
            switch.close()
            vna.close()


def test_a_dead_switch_raises_every_time():
    config = load_testbed(overrides={"twin.switch.failure_probability": 1.0}).model
    with Twin(config) as twin:
        switch = CryoSP6T("sp6t_dead", twin.addresses["switch"], visalib="@py", timeout=2)
        try:
            for _ in range(3):
                with pytest.raises(InstrumentError, match="indicators show throw 5"):
                    switch.select(2, "load")
            assert switch.actuation_count(2) == 3
        finally:
            switch.close()
