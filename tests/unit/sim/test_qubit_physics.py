"""The twin's qubit: coherence recovered by the fits, TLS telegraph statistics,
binomial shot noise, hot-electron heating of the attenuator under test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cryochar.analysis.coherence import fit_echo, fit_ramsey, fit_t1
from cryochar.analysis.thermal import (
    attenuator_chain,
    bose_einstein,
    thermal_dephasing_rate,
)
from cryochar.sim import Twin, load_testbed

DELAYS = np.linspace(0, 400e-6, 41)


def make_twin(**overrides) -> Twin:
    """A twin that is not served: physics only."""
    return Twin(load_testbed(overrides={f"twin.{k}": v for k, v in overrides.items()}).model)


def expected_gamma_phi_thermal(twin: Twin) -> float:
    """Thermal dephasing computed here from the configuration alone (default fridge, no drive)."""
    cfg, fridge = twin.config.twin, twin.config.twin.fridge
    line = cfg.resonator.input_line
    temperatures = {"pt2": fridge.pt2_temperature, "still": fridge.still_temperature,
                    "cold_plate": fridge.cold_plate_temperature}
    stages = [s for s in ("pt1", "pt2", "still", "cold_plate") if s in line]
    chain = attenuator_chain(
        cfg.resonator.frequency, [line[s] for s in stages] + [cfg.attenuator_under_test
                                                              .attenuation_db],
        [temperatures[s] for s in stages] + [fridge.base_temperature],
        n_in=bose_einstein(cfg.resonator.frequency, cfg.resonator.input_temperature))
    eta = cfg.resonator.input_coupling
    n_res = eta * chain.n + (1 - eta) * bose_einstein(cfg.resonator.frequency,
                                                      fridge.base_temperature)
    return thermal_dephasing_rate(n_res, cfg.resonator.kappa, cfg.resonator.chi)


# -- coherence experiments recovered by the fitting core -----------------------------------
def test_t1_and_echo_fits_recover_the_configured_coherence():
    twin = make_twin(**{"qubit.tls_count": 0})
    q = twin.config.twin.qubit
    t1 = twin.qubit.run("t1", DELAYS, 4000)
    fit = fit_t1(t1.delays, t1.counts / t1.shots, shots=t1.shots)
    assert fit.ok, fit.flags
    assert abs(fit.T1 - q.t1) < 3 * fit.T1_stderr
    gamma_th = expected_gamma_phi_thermal(twin)
    assert 0.5 * q.gamma_phi_intrinsic < gamma_th < 5 * q.gamma_phi_intrinsic  # resolvable
    t2_expected = 1 / (0.5 / q.t1 + q.gamma_phi_intrinsic + gamma_th)
    assert twin.qubit.t2_echo() == pytest.approx(t2_expected, rel=1e-9)
    echo = twin.qubit.run("echo", DELAYS, 4000)
    fit = fit_echo(echo.delays, echo.counts / echo.shots, shots=echo.shots)
    assert fit.ok, fit.flags
    assert abs(fit.T2_echo - t2_expected) < 3 * fit.T2_echo_stderr
    assert fit.T2_echo_stderr < 0.03 * t2_expected


def test_ramsey_oscillates_at_the_detuning_and_sees_quasistatic_noise():
    twin = make_twin(**{"qubit.tls_count": 0})
    ramsey = twin.qubit.run("ramsey", DELAYS, 4000, detuning=30e3)
    fit = fit_ramsey(ramsey.delays, ramsey.counts / ramsey.shots, shots=ramsey.shots)
    assert fit.ok, fit.flags
    assert abs(fit.detuning - 30e3) < 3 * fit.detuning_stderr
    assert abs(fit.T2_star - twin.qubit.t2_echo()) < 3 * fit.T2_star_stderr
    noisy = make_twin(**{"qubit.tls_count": 0, "qubit.quasistatic_t_phi": 60e-6})
    p = noisy.qubit.excited_probability("ramsey", DELAYS, 0.0)
    p_echo = noisy.qubit.excited_probability("echo", DELAYS)
    assert np.all(p[1:] < p_echo[1:])


def test_each_experiment_advances_the_clock_by_its_duration():
    twin = make_twin()
    q = twin.config.twin.qubit
    before = twin.clock.now()
    record = twin.qubit.run("t1", DELAYS, 500)
    expected = 500 * (DELAYS.size * q.repetition_time + DELAYS.sum()) + q.experiment_overhead
    assert record.started == before
    assert record.duration == pytest.approx(expected)
    assert twin.clock.now() == pytest.approx(before + expected)
    assert twin.qubit.experiments_run == 1


# -- shot noise -----------------------------------------------------------------------------
def test_counts_are_binomial_in_the_shots():
    twin = make_twin(**{"qubit.tls_count": 0})
    delay, shots, repeats = 60e-6, 50, 2000
    record = twin.qubit.run("t1", np.full(repeats, delay), shots)
    p = twin.qubit.measured_probability(twin.qubit.excited_probability("t1", np.array([delay])))
    counts = record.counts
    assert counts.dtype.kind == "i" and counts.min() >= 0 and counts.max() <= shots
    assert counts.mean() == pytest.approx(shots * p[0], abs=4 * np.sqrt(shots * p[0] / repeats))
    dispersion = counts.var(ddof=1) / (shots * p[0] * (1 - p[0]))
    assert dispersion == pytest.approx(1.0, abs=0.1)  # binomial variance, not Poisson's
    expected = repeats * stats.binom.pmf(np.arange(shots + 1), shots, p[0])
    observed = np.bincount(counts, minlength=shots + 1)
    keep = expected >= 5  # chi-square goodness of fit to the binomial distribution
    chisq = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chisq, keep.sum() - 1) > 1e-3


def test_readout_errors_set_the_offsets():
    twin = make_twin(**{"qubit.tls_count": 0, "qubit.readout_error_0": 0.03,
                        "qubit.readout_error_1": 0.08})
    p = twin.qubit.measured_probability(np.array([0.0, 1.0]))
    assert p.tolist() == pytest.approx([0.03, 0.92])


# -- TLS telegraph --------------------------------------------------------------------------
def test_a_single_tls_switches_with_its_configured_statistics():
    twin = make_twin(**{"qubit.tls_count": 1, "qubit.tls_dwell_min": 600.0,
                        "qubit.tls_dwell_max": 600.0, "qubit.tls_strength": 1.0})
    tls, t0 = twin.qubit.tls, twin.clock.now()
    defect = tls.defects[0]
    assert defect.mean_coupled == pytest.approx(600) and defect.mean_uncoupled == pytest.approx(
        600)
    t1 = twin.config.twin.qubit.t1
    assert 0.25 / t1 <= defect.delta_gamma1 <= 1.0 / t1
    horizon = t0 + 3e6
    initial, switches = tls.switch_times(0, horizon)
    assert tls.coupled(t0)[0] == initial and tls.coupled(switches[0])[0] != initial
    dwells = np.diff(np.concatenate([[t0], switches]))[1:]  # the first dwell is truncated
    assert dwells.size > 4000
    assert dwells.mean() == pytest.approx(600, rel=0.05)
    assert np.std(dwells) == pytest.approx(600, rel=0.08)  # exponential: sigma = mean
    grid = np.linspace(t0, horizon, 200_001)
    t1_trace = twin.qubit.t1(grid)
    values = np.unique(np.round(t1_trace, 12))
    assert values.tolist() == pytest.approx([1 / (1 / t1 + defect.delta_gamma1), t1])
    assert np.mean(t1_trace < t1) == pytest.approx(defect.occupancy, abs=0.03)


def test_tls_population_draws_within_the_configured_ranges_and_is_seeded():
    twin = make_twin(**{"qubit.tls_count": 30, "qubit.tls_dwell_min": 120.0,
                        "qubit.tls_dwell_max": 7200.0, "qubit.tls_strength": 0.5})
    t1 = twin.config.twin.qubit.t1
    defects = twin.qubit.tls.defects
    assert len(defects) == 30
    dwell = np.array([[d.mean_coupled, d.mean_uncoupled] for d in defects])
    assert dwell.min() >= 120 and dwell.max() <= 7200
    assert np.log(dwell).std() > 0.5  # spread over the decades, not one value
    strength = np.array([d.delta_gamma1 for d in defects]) * t1
    assert strength.min() >= 0.125 and strength.max() <= 0.5
    times = twin.clock.now() + np.linspace(0, 36000, 500)
    same = make_twin(**{"qubit.tls_count": 30, "qubit.tls_dwell_min": 120.0,
                        "qubit.tls_dwell_max": 7200.0, "qubit.tls_strength": 0.5})
    assert np.array_equal(twin.qubit.t1(times), same.qubit.t1(times))
    other = Twin(load_testbed(overrides={"seed": 3, "twin.qubit.tls_count": 30}).model)
    assert not np.array_equal(twin.qubit.t1(times), other.qubit.t1(times))
    quiet = make_twin(**{"qubit.tls_count": 0})
    assert np.all(quiet.qubit.t1(times) == quiet.config.twin.qubit.t1)


def test_past_states_stay_the_same_as_the_clock_advances():
    twin = make_twin()
    times = twin.clock.now() + np.linspace(0, 3600, 50)
    first = twin.qubit.t1(times)
    twin.clock.advance(86400)
    twin.qubit.t1()
    assert np.array_equal(twin.qubit.t1(times), first)


# -- attenuator under test: hot electrons, MXC temperature, drive ----------------------------
def test_hot_electron_heating_follows_the_formula():
    twin = make_twin()
    aut = twin.config.twin.attenuator_under_test
    upstream = sum(twin.config.twin.resonator.input_line.values())
    assert twin.qubit.attenuator_temperature() == pytest.approx(
        twin.config.twin.fridge.base_temperature)
    for power_dbm in (-40.0, -30.0, -20.0, -15.0):
        twin.qubit.set_drive(6e9, power_dbm, True)
        at_input = 1e-3 * 10 ** ((power_dbm - upstream) / 10)
        expected = (0.010**5 + at_input * (1 - 10 ** (-aut.attenuation_db / 10))
                    / aut.sigma_v) ** 0.2
        assert twin.qubit.attenuator_temperature() == pytest.approx(expected, rel=1e-12)
    assert 0.075 < twin.qubit.attenuator_temperature() < 0.085  # -15 dBm: ~80 mK
    twin.qubit.set_drive(on=False)
    assert twin.qubit.attenuator_temperature() == pytest.approx(0.010)
    assert twin.qubit.attenuator_temperature(power=1e-10, t_mxc=0.03) == pytest.approx(
        (0.03**5 + 1e-10 * 0.99 / aut.sigma_v) ** 0.2)


def test_heated_attenuator_and_warm_mxc_add_thermal_photons():
    twin = make_twin()
    cold = twin.qubit.n_thermal()
    twin.qubit.set_drive(6e9, -20.0, True)  # attenuator at ~63 mK
    hot = twin.qubit.n_thermal()
    eta = twin.config.twin.resonator.input_coupling
    t_att = twin.qubit.attenuator_temperature()
    expected_rise = eta * 0.99 * (bose_einstein(7e9, t_att) - bose_einstein(7e9, 0.010))
    assert hot - cold == pytest.approx(expected_rise, rel=1e-6)
    assert twin.qubit.gamma_phi_thermal() > 5 * thermal_dephasing_rate(
        cold, twin.config.twin.resonator.kappa, twin.config.twin.resonator.chi)
    assert twin.qubit.gamma_phi_drive() < 1.0  # 1 GHz detuned: negligible coherent dephasing
    twin.qubit.set_drive(on=False)
    twin.fridge.set_heater_power(twin.fridge.power_for(0.06))
    twin.clock.advance(3600)
    assert twin.qubit.attenuator_temperature() == pytest.approx(0.06, rel=1e-3)
    assert twin.qubit.n_thermal() == pytest.approx(hot + (bose_einstein(7e9, 0.06) - bose_einstein(
        7e9, t_att)) * eta * 0.99 + (1 - eta) * bose_einstein(7e9, 0.06), rel=1e-2)


def test_a_tone_near_the_resonator_dephases_the_qubit():
    twin = make_twin()
    twin.qubit.set_drive(7.0e9, -30.0, True)
    on_resonance = twin.qubit.gamma_phi_drive()
    twin.qubit.set_drive(frequency=6.0e9)
    assert on_resonance > 1e6 * twin.qubit.gamma_phi_drive()
    assert on_resonance > 1e4  # s^-1: the echo collapses
