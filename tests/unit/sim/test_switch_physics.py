"""The twin's cryogenic SP6T switches, standards and switch terms against the 8-term model."""

from __future__ import annotations

import numpy as np
import pytest
import skrf

from cryochar.sim.config import AttenuatorConfig, VNAConfig
from cryochar.sim.physics.calkit import standard_reflection
from cryochar.sim.physics.networks import line_s
from cryochar.sim.physics.switch import CryoSwitches, true_error_terms
from cryochar.sim.physics.vna import VNAPhysics
from cryochar.sim.switch_config import (
    CalKitConfig,
    SwitchConfig,
    ThruConfig,
    VerificationConfig,
)

F = np.linspace(1e9, 12e9, 201)
FREQ = skrf.Frequency.from_f(F, unit="Hz")
THROW = SwitchConfig().throws


def bench(seed: int = 11, **switch) -> tuple[CryoSwitches, VNAPhysics]:
    """Switches + VNA as the twin wires them (no servers)."""
    switches = CryoSwitches(SwitchConfig(**switch), CalKitConfig(), ThruConfig(),
                            VerificationConfig(), AttenuatorConfig(), seed)
    return switches, VNAPhysics(VNAConfig(), AttenuatorConfig(), seed, fixture=switches)


def raw(switches: CryoSwitches, vna: VNAPhysics, name1: str, name2: str | None = None,
        ) -> skrf.Network:
    """Noise-free raw two-port with switch 1 on ``name1`` and switch 2 on ``name2``."""
    switches.actuate(1, THROW[name1])
    switches.actuate(2, THROW[name2 or name1])
    return skrf.Network(frequency=FREQ, s=vna.expected(F))


def measured_switch_terms(switches: CryoSwitches, vna: VNAPhysics) -> tuple[np.ndarray, ...]:
    """a2/b2 (port 1 driving) and a1/b1 (port 2 driving), noise-free, through the thru."""
    raw(switches, vna, "thru")
    waves = vna.waves(F)
    return waves["a2,1"] / waves["b2,1"], waves["a1,2"] / waves["b1,2"]


def one_port_pair(gamma: np.ndarray) -> skrf.Network:
    s = np.zeros((F.size, 2, 2), dtype=complex)
    s[:, 0, 0] = s[:, 1, 1] = gamma
    return skrf.Network(frequency=FREQ, s=s)


def test_ideal_switches_true_error_terms_give_back_dut_and_standards():
    switches, vna = bench(repeatability=0.0, asymmetry=0.0)
    truth = switches.standards(F)
    gamma_f, gamma_r = measured_switch_terms(switches, vna)
    terms = true_error_terms(vna, switches, F)
    np.testing.assert_allclose(gamma_f, terms["forward switch term"], atol=1e-14)
    np.testing.assert_allclose(gamma_r, terms["reverse switch term"], atol=1e-14)
    assert np.all(np.abs(gamma_f) > 1e-3)  # the switch terms are not negligible
    cal = skrf.calibration.EightTerm.from_coefs(FREQ, terms)
    for name in ("dut", "thru", "verification"):
        corrected = cal.apply_cal(raw(switches, vna, name)).s
        np.testing.assert_allclose(corrected, truth[name], atol=1e-12, rtol=0)
    for name in ("short", "open", "load"):
        corrected = cal.apply_cal(raw(switches, vna, name)).s
        np.testing.assert_allclose(corrected[:, 0, 0], truth[name], atol=1e-12, rtol=0)
        np.testing.assert_allclose(corrected[:, 1, 1], truth[name], atol=1e-12, rtol=0)
        np.testing.assert_allclose(corrected[:, 1, 0], 0, atol=1e-15)


def test_raw_standards_calibrate_the_twin_solt_and_unknown_thru():
    """The twin's raw data obey the 8-term + switch-term model: calibrations solved from the
    raw standards recover the DUT (SOLT with the true thru, SOLR with an unknown thru)."""
    switches, vna = bench(repeatability=0.0, asymmetry=0.0)
    truth = switches.standards(F)
    terms = measured_switch_terms(switches, vna)
    switch_terms = [skrf.Network(frequency=FREQ, s=t) for t in terms]
    reflects = [raw(switches, vna, name) for name in ("short", "open", "load")]
    ideals = [one_port_pair(truth[name]) for name in ("short", "open", "load")]
    thru = raw(switches, vna, "thru")
    dut = raw(switches, vna, "dut")
    solt = skrf.calibration.EightTerm(
        measured=[*reflects, thru], ideals=[*ideals, skrf.Network(frequency=FREQ,
                                                                  s=truth["thru"])],
        switch_terms=switch_terms)
    np.testing.assert_allclose(solt.apply_cal(dut).s, truth["dut"], atol=1e-10)
    guess = skrf.Network(frequency=FREQ, s=line_s(F, 50.0, 140e-12, 0.0))  # thru: 150 ps
    solr = skrf.calibration.UnknownThru(measured=[*reflects, thru], ideals=[*ideals, guess],
                                        switch_terms=switch_terms)
    np.testing.assert_allclose(solr.apply_cal(dut).s, truth["dut"], atol=1e-9)


def test_repeatability_scatter_has_the_configured_size():
    size = 1e-3
    switches, vna = bench(repeatability=size, asymmetry=0.0)
    cal = skrf.calibration.EightTerm.from_coefs(FREQ, true_error_terms(vna, switches, F))
    load = switches.standards(F)["load"]
    picks = slice(0, None, 40)  # a few frequencies: nearly independent draws per actuation
    deviations = []
    for _ in range(150):
        switches.actuate(1, THROW["open"])  # away and back: a new contact each time
        deviations.append(cal.apply_cal(raw(switches, vna, "load")).s[picks, 0, 0]
                          - load[picks])
    rms = np.sqrt(np.mean(np.abs(np.array(deviations)) ** 2))
    assert rms == pytest.approx(size, rel=0.12)
    # a pulse to the throw already closed does not reseat the contact
    before = vna.expected(F)
    switches.actuate(1, THROW["load"])
    np.testing.assert_array_equal(vna.expected(F), before)


def test_asymmetry_is_fixed_per_throw_and_of_the_configured_size():
    size = 1e-3
    switches, vna = bench(repeatability=0.0, asymmetry=size)
    cal = skrf.calibration.EightTerm.from_coefs(FREQ, true_error_terms(vna, switches, F))
    truth = switches.standards(F)
    first = cal.apply_cal(raw(switches, vna, "load")).s
    raw(switches, vna, "thru")
    again = cal.apply_cal(raw(switches, vna, "load")).s
    np.testing.assert_allclose(again, first, atol=1e-14)  # same throw, same path
    offset = np.abs(first[:, 0, 0] - truth["load"])
    assert 0.1 * size < np.sqrt(np.mean(offset**2)) < 3 * size
    # every throw's path deviates from the nominal one by its own fixed amount
    paths = np.array([switches.path_s(F, p, t, contact=False) for p in (1, 2)
                      for t in range(1, 7)])
    nominal = np.array([switches.nominal_path(F, p) for p in (1, 2)]).repeat(6, axis=0)
    spread = np.abs(paths - nominal)
    assert 0.3 * size < np.sqrt(np.mean(spread[:, :, 1, 0] ** 2)) < 3 * size
    assert not np.allclose(paths[0], paths[1])


def test_sizes_zero_give_identical_paths_and_seeds_change_them():
    a, _ = bench(seed=1, repeatability=0.0, asymmetry=0.0)
    np.testing.assert_array_equal(a.path_s(F, 1, 3), a.nominal_path(F, 1))
    b, _ = bench(seed=1)
    c, _ = bench(seed=2)
    assert not np.allclose(b.path_s(F, 1, 3), c.path_s(F, 1, 3))
    np.testing.assert_array_equal(b.path_s(F, 1, 3), bench(seed=1)[0].path_s(F, 1, 3))


def test_unmatched_throws_do_not_transmit_and_open_switch_reflects():
    switches, vna = bench()
    s = raw(switches, vna, "dut", "load").s
    assert np.all(s[:, 1, 0] == 0) and np.all(s[:, 0, 1] == 0)
    switches.open(1)
    assert switches.positions[1] == 0
    inner = switches.inner_s(F)
    np.testing.assert_allclose(np.abs(inner[:, 0, 0]), 1.0)


def test_failed_actuation_leaves_the_switch_and_counts_the_pulse():
    switches, vna = bench(failure_probability=1.0)
    before = vna.expected(F)
    assert switches.actuate(1, THROW["short"]) is False
    assert switches.positions[1] == THROW["dut"]
    assert switches.pulses[1] == 1
    np.testing.assert_array_equal(vna.expected(F), before)
    with pytest.raises(ValueError):
        switches.actuate(3, 1)


def test_standard_definitions_contract_and_stay_passive():
    kit = CalKitConfig(open_c0=0, open_c1=0, open_c2=0, open_c3=0, open_loss=0)
    cold = standard_reflection("open", F, kit)
    np.testing.assert_allclose(cold, np.exp(-4j * np.pi * F * kit.open_delay * 0.9967))
    warm = standard_reflection("open", F, kit, cold=False)
    np.testing.assert_allclose(warm, np.exp(-4j * np.pi * F * kit.open_delay))
    default = CalKitConfig()
    np.testing.assert_allclose(standard_reflection("load", F, default), 0, atol=1e-15)
    for name in ("short", "open"):
        magnitude = np.abs(standard_reflection(name, F, default))
        assert np.all(magnitude < 1) and np.all(magnitude > 0.99)  # lossy offsets
        assert magnitude[-1] < magnitude[0]  # the offset loss grows with sqrt(f)
    with pytest.raises(KeyError):
        standard_reflection("thru", F, default)


def test_switch_config_validates_the_wiring():
    with pytest.raises(ValueError, match="exactly"):
        SwitchConfig(throws={"short": 1})
    with pytest.raises(ValueError, match="once"):
        SwitchConfig(throws={"short": 1, "open": 1, "load": 3, "thru": 4, "dut": 5,
                             "verification": 6})
