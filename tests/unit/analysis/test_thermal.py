"""Thermal photons, Clerk-Utami dephasing, attenuator chains and the thermal fits."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.constants import h, k

from cryochar.analysis.thermal import (
    attenuator_chain,
    bose_einstein,
    effective_temperature,
    effective_temperature_stderr,
    fit_hot_electron,
    fit_leakage_model,
    hot_electron_power,
    hot_electron_temperature,
    photons_from_dephasing,
    resonator_population,
    thermal_dephasing_rate,
    thermal_dephasing_slope,
    thermal_photon_estimate,
    thermal_photons_from_coherence,
)
from cryochar.core.errors import FitError

TWO_PI = 2 * np.pi
MHZ = TWO_PI * 1e6  # 1 MHz as an angular rate, rad/s


def clerk_utami(n, kappa, chi):
    """The formula as printed in PHYSICS.md, in complex arithmetic."""
    return kappa / 2 * np.real(np.sqrt((1 + 1j * chi / kappa) ** 2 + 4j * chi * n / kappa) - 1)


# -- Bose-Einstein and T_eff -------------------------------------------------------------------
def test_bose_einstein_values_and_limits():
    x = h * 7e9 / (k * 0.05)
    assert bose_einstein(7e9, 0.05) == pytest.approx(1 / np.expm1(x), rel=1e-14)
    assert bose_einstein(7e9, 0.0) == 0.0
    # Rayleigh-Jeans: n -> kT/hf - 1/2 at high temperature
    assert bose_einstein(7e9, 300.0) == pytest.approx(k * 300 / (h * 7e9) - 0.5, rel=1e-6)
    grid = bose_einstein(np.array([5e9, 7e9])[:, None], np.array([0.02, 0.1, 4.0]))
    assert grid.shape == (2, 3)
    assert np.all(np.diff(grid, axis=1) > 0) and np.all(grid[0] > grid[1])


def test_effective_temperature_inverts_bose_einstein():
    t = np.array([0.005, 0.02, 0.05, 0.3, 4.0, 300.0])
    assert np.allclose(effective_temperature(7e9, bose_einstein(7e9, t)), t, rtol=1e-12)
    assert effective_temperature(7e9, 0.0) == 0.0
    assert np.isnan(effective_temperature(7e9, -1e-3))


def test_effective_temperature_is_insensitive_to_photon_errors():
    # PHYSICS.md: x ~ 6.7 at 7 GHz, 50 mK; a 30 % error in n is ~2 mK
    n = bose_einstein(7e9, 0.05)
    assert h * 7e9 / (k * 0.05) == pytest.approx(6.7, abs=0.05)
    shift = effective_temperature(7e9, 1.3 * n) - 0.05
    assert shift == pytest.approx(2e-3, abs=0.3e-3)
    assert effective_temperature_stderr(7e9, n, 0.3 * n) == pytest.approx(shift, rel=0.15)


# -- Clerk-Utami dephasing -------------------------------------------------------------------
def test_clerk_utami_matches_the_printed_formula_over_a_wide_grid():
    n = np.geomspace(1e-5, 10, 25)[:, None]
    chi = MHZ * np.geomspace(1e-3, 1e3, 31)
    ours, printed = thermal_dephasing_rate(n, MHZ, chi), clerk_utami(n, MHZ, chi)
    conditioned = printed > 1e-7 * MHZ  # where sqrt(w) - 1 in doubles keeps 8 digits
    assert np.allclose(ours[conditioned], printed[conditioned], rtol=1e-8, atol=0)
    assert thermal_dephasing_rate(1e-3, MHZ, -MHZ) == thermal_dephasing_rate(1e-3, MHZ, MHZ)


def precise_clerk_utami(n: float, c: float) -> float:
    """Gamma/kappa at 60 digits (Re sqrt(w) = sqrt((|w| + Re w) / 2)): the reference where
    the double-precision complex formula cancels."""
    getcontext().prec = 60
    n, c = Decimal(n), Decimal(c)
    u, v = 1 - c * c, 2 * c * (1 + 2 * n)
    modulus = (u * u + v * v).sqrt()
    return float((((modulus + u) / 2).sqrt() - 1) / 2)


@pytest.mark.parametrize(("n", "c"), [(1e-12, 1.0), (1e-9, 1e-3), (1e-5, 1e-3), (1e-7, 1e3),
                                      (0.02, 0.3)])
def test_clerk_utami_keeps_full_precision_where_the_complex_formula_cancels(n, c):
    assert thermal_dephasing_rate(n, MHZ, c * MHZ) / MHZ == pytest.approx(
        precise_clerk_utami(n, c), rel=1e-12)


def test_physics_md_numeric_example():
    # kappa/2pi = chi/2pi = 1 MHz: Gamma_phi = n * 3.14e6 s^-1
    assert thermal_dephasing_rate(1e-6, MHZ, MHZ) / 1e-6 == pytest.approx(3.1416e6, rel=1e-4)
    assert 1 / thermal_dephasing_rate(1e-3, MHZ, MHZ) == pytest.approx(318e-6, rel=0.003)
    # PHYSICS.md quotes 31.5 us (the small-n value is 31.8 us); the exact rate gives 32.0 us
    assert 1 / thermal_dephasing_rate(1e-2, MHZ, MHZ) == pytest.approx(32.0e-6, rel=0.003)


def test_small_photon_number_and_chi_limits():
    n = 1e-7
    for chi in MHZ * np.array([0.1, 1.0, 3.0]):
        small = n * MHZ * chi**2 / (MHZ**2 + chi**2)
        assert thermal_dephasing_rate(n, MHZ, chi) == pytest.approx(small, rel=1e-5)
        assert thermal_dephasing_slope(0.0, MHZ, chi) == pytest.approx(small / n, rel=1e-12)
    n = 0.01  # chi >> kappa: n kappa; chi << kappa: n (n + 1) chi^2 / kappa (-> n chi^2/kappa)
    assert thermal_dephasing_rate(n, MHZ, 1e3 * MHZ) == pytest.approx(n * MHZ, rel=2e-6)
    chi = 1e-3 * MHZ
    assert thermal_dephasing_rate(n, MHZ, chi) == pytest.approx(n * (n + 1) * chi**2 / MHZ,
                                                                rel=2e-6)


def test_exact_inverse_round_trips_everywhere():
    n = np.geomspace(1e-12, 30, 60)[:, None]
    chi = MHZ * np.geomspace(1e-3, 1e3, 13)
    gamma = thermal_dephasing_rate(n, MHZ, chi)
    assert np.allclose(photons_from_dephasing(gamma, MHZ, chi), n, rtol=1e-9, atol=0)
    assert photons_from_dephasing(0.0, MHZ, MHZ) == 0.0
    assert photons_from_dephasing(-10.0, MHZ, MHZ) < 0  # noise stays symmetric
    assert np.isinf(photons_from_dephasing(1e3, MHZ, 0.0))


def test_slope_is_the_derivative():
    n, step = 0.3, 1e-6
    numeric = (thermal_dephasing_rate(n + step, MHZ, 2 * MHZ)
               - thermal_dephasing_rate(n - step, MHZ, 2 * MHZ)) / (2 * step)
    assert thermal_dephasing_slope(n, MHZ, 2 * MHZ) == pytest.approx(numeric, rel=1e-6)


# -- attenuator chain and resonator ports ----------------------------------------------------
def test_physics_md_attenuator_chain_example():
    chain = attenuator_chain(7e9, [20, 10, 10, 20], [4.0, 0.8, 0.1, 0.02])
    assert chain.n == pytest.approx(4e-3, rel=0.05)
    assert chain.contributions.sum(axis=0) == pytest.approx(chain.n, rel=1e-12)
    assert chain.n_after[-1] == pytest.approx(chain.n)
    assert chain.contributions[-1] < 1e-4 * chain.n  # mostly leakage from warmer stages
    assert chain.effective_temperature == pytest.approx(effective_temperature(7e9, chain.n))


def test_chain_stage_by_stage_and_broadcasting():
    one = attenuator_chain(6e9, [10], [0.1], n_in=2.0)
    assert one.n == pytest.approx(0.2 + 0.9 * bose_einstein(6e9, 0.1), rel=1e-12)
    assert attenuator_chain(6e9, [0], [4.0], n_in=2.0).n == pytest.approx(2.0)
    assert attenuator_chain(6e9, [200], [0.05], n_in=1e3).n == pytest.approx(
        bose_einstein(6e9, 0.05), rel=1e-9)
    t_mxc = np.linspace(0.01, 0.1, 7)
    swept = attenuator_chain(np.array([5e9, 7e9])[:, None], [20, 20], [3.0, t_mxc])
    assert swept.n.shape == (2, 7) and swept.contributions.shape == (3, 2, 7)
    assert np.all(np.diff(swept.n, axis=1) > 0)
    with pytest.raises(ValueError, match="one temperature per stage"):
        attenuator_chain(6e9, [10, 10], [0.1])
    with pytest.raises(ValueError, match=">= 0 dB"):
        attenuator_chain(6e9, [-3], [0.1])


def test_resonator_population_weights_ports_by_kappa():
    assert resonator_population([3.0, 1.0], [1e-3, 5e-3]) == pytest.approx(2e-3)
    swept = resonator_population([0.9, 0.1], [np.full(4, 1e-3), np.arange(4) * 1e-3])
    assert np.allclose(swept, 0.9e-3 + 0.1e-3 * np.arange(4))
    with pytest.raises(ValueError):
        resonator_population([0.0, 0.0], [1.0, 1.0])


# -- hot electrons -------------------------------------------------------------------------
def test_hot_electron_formula_and_inverse():
    power = np.geomspace(1e-13, 1e-9, 9)
    t = hot_electron_temperature(power, 1e-4, 0.01, 20.0)
    assert np.allclose(t, (0.01**5 + power * 0.99 / 1e-4) ** 0.2)
    assert np.allclose(hot_electron_power(t, 1e-4, 0.01, 20.0), power, rtol=1e-9)
    assert hot_electron_temperature(0.0, 1e-4, 0.02, 20.0) == pytest.approx(0.02)
    t4 = hot_electron_temperature(power, 1e-5, 0.01, 10.0, exponent=4)
    assert np.allclose(t4, (0.01**4 + power * 0.9 / 1e-5) ** 0.25)


def synthetic_heating(rng, sigma_v=1e-4, exponent=5.0, noise=0.5e-3, t_ph=0.012):
    power = np.geomspace(1e-12, 4e-10, 12)
    truth = hot_electron_temperature(power, sigma_v, t_ph, 20.0, exponent)
    return power, truth + rng.normal(scale=noise, size=power.size), noise, t_ph


def test_hot_electron_fit_recovers_sigma_v_within_its_uncertainty():
    rng = np.random.default_rng(11)
    pulls = []
    for _ in range(60):
        power, t, noise, t_ph = synthetic_heating(rng)
        fit = fit_hot_electron(power, t, noise, t_ph, 20.0)
        assert fit.ok, fit.flags
        pulls.append((fit.sigma_v - 1e-4) / fit.sigma_v_stderr)
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 0.45 and 0.7 < pulls.std() < 1.35
    assert fit.predict(power, t_ph) == pytest.approx(
        hot_electron_temperature(power, fit.sigma_v, t_ph, 20.0))
    assert fit.power_for(0.06, t_ph) == pytest.approx(
        hot_electron_power(0.06, fit.sigma_v, t_ph, 20.0))


def test_hot_electron_fit_exponent_variants():
    rng = np.random.default_rng(5)
    power, t, noise, t_ph = synthetic_heating(rng, sigma_v=2e-5, exponent=4.0, noise=0.2e-3)
    four = fit_hot_electron(power, t, noise, t_ph, 20.0, exponent=4.0)
    assert four.ok and abs(four.sigma_v - 2e-5) < 3 * four.sigma_v_stderr
    assert four.exponent == 4.0 and four.exponent_stderr == 0.0
    power, t, noise, t_ph = synthetic_heating(rng, noise=0.2e-3)
    free = fit_hot_electron(power, t, noise, t_ph, 20.0, fit_exponent=True)
    assert free.ok, free.flags
    assert abs(free.exponent - 5.0) < 3 * free.exponent_stderr
    assert free.covariance.shape == (2, 2)
    wrong = fit_hot_electron(power, t, noise, t_ph, 20.0, exponent=4.0)
    assert wrong.chisq > free.chisq + 20 and "high_redchi" in wrong.flags


def test_hot_electron_fit_flags():
    power = np.geomspace(1e-16, 1e-15, 6)  # far too little power to heat anything
    t = np.full(6, 0.012) + np.random.default_rng(0).normal(scale=1e-4, size=6)
    weak = fit_hot_electron(power, t, 1e-4, 0.012, 20.0)
    assert not weak.ok and "unresolved" in weak.flags
    few = fit_hot_electron(power[:1], t[:1], 1e-4, 0.012, 20.0)
    assert few.flags == ("too_few_points",) and np.isnan(few.sigma_v)
    rng = np.random.default_rng(3)
    power, t, noise, t_ph = synthetic_heating(rng)
    unknown = fit_hot_electron(power, t, None, t_ph, 20.0)
    assert not unknown.absolute_sigma and unknown.ok
    assert unknown.sigma_v_stderr == pytest.approx(
        fit_hot_electron(power, t, noise, t_ph, 20.0).sigma_v_stderr, rel=0.6)
    with pytest.raises(FitError):
        fit_hot_electron(power, t[:-1], noise, t_ph, 20.0)


# -- leakage fit -------------------------------------------------------------------------------
def synthetic_leakage(rng, n_leak=5e-4, w=0.9, rel=0.05, t_max=0.09):
    t_mxc = np.linspace(0.01, t_max, 15)
    truth = n_leak + w * bose_einstein(7e9, t_mxc)
    sigma = rel * truth
    return t_mxc, truth + rng.normal(scale=sigma), sigma


def test_leakage_fit_recovers_leak_and_weight():
    rng = np.random.default_rng(7)
    pulls = []
    for _ in range(60):
        t, n, s = synthetic_leakage(rng)
        fit = fit_leakage_model(t, n, s, 7e9)
        pulls.append([(fit.n_leak - 5e-4) / fit.n_leak_stderr,
                      (fit.weight - 0.9) / fit.weight_stderr])
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.45)
    assert np.all((pulls.std(axis=0) > 0.7) & (pulls.std(axis=0) < 1.35))
    assert fit.ok, fit.flags
    assert fit.t_leak == pytest.approx(effective_temperature(7e9, fit.n_leak))
    assert fit.t_leak_stderr > 0
    assert fit.predict(0.05) == pytest.approx(fit.n_leak + fit.weight * bose_einstein(7e9, 0.05))


def test_leakage_fit_options_and_flags():
    rng = np.random.default_rng(8)
    t, n, s = synthetic_leakage(rng)
    fixed = fit_leakage_model(t, n, s, 7e9, weight=0.9)
    assert fixed.weight == 0.9 and fixed.weight_stderr == 0.0 and fixed.dof == t.size - 1
    assert abs(fixed.n_leak - 5e-4) < 3 * fixed.n_leak_stderr
    hot = fit_leakage_model(t, n, s, 7e9, t_att=t + 0.01)  # a warmer attenuator: less weight
    assert hot.weight < 0.9
    cold = fit_leakage_model(*synthetic_leakage(rng, t_max=0.025), 7e9)
    assert "unresolved" in cold.flags and not cold.ok
    unknown = fit_leakage_model(t, n, None, 7e9)
    assert not unknown.absolute_sigma and np.isfinite(unknown.weight_stderr)
    assert fit_leakage_model(t[:2], n[:2], s[:2], 7e9).flags == ("too_few_points",)
    with pytest.raises(FitError):
        fit_leakage_model(t, n[:-1], s, 7e9)


# -- extraction chain and upper bounds ----------------------------------------------------------
def test_photons_from_coherence_recovers_n_and_t_eff():
    n_true, g0, t1 = 2e-3, 1e3, 80e-6
    t2 = 1 / (0.5 / t1 + g0 + thermal_dephasing_rate(n_true, MHZ, MHZ))
    est = thermal_photons_from_coherence(t1, t2, g0, MHZ, MHZ, 7e9, t1_stderr=1e-6,
                                         t2_echo_stderr=1e-6, gamma_phi_intrinsic_stderr=50.0)
    assert not est.upper_bound and np.isnan(est.n_upper)
    assert est.n == pytest.approx(n_true, rel=1e-9)
    assert est.t_eff == pytest.approx(effective_temperature(7e9, n_true), rel=1e-9)
    expected = np.sqrt((1e-6 / t2**2) ** 2 + (0.5e-6 / t1**2) ** 2 + 50.0**2)
    assert est.gamma_phi_th_stderr == pytest.approx(expected)
    assert est.n_stderr == pytest.approx(expected / thermal_dephasing_slope(n_true, MHZ, MHZ))
    assert 0 < est.t_eff_stderr < 0.1 * est.t_eff


def test_unresolved_excess_dephasing_gives_an_upper_bound():
    g0 = 2e3
    est = thermal_photon_estimate(0.05 * g0, 10.0, g0, MHZ, MHZ, 7e9)  # below 0.1 Gamma_phi,0
    assert est.upper_bound and np.isnan(est.n) and np.isnan(est.t_eff)
    assert est.n_upper == pytest.approx(photons_from_dephasing(0.1 * g0, MHZ, MHZ))
    assert est.t_eff_upper == pytest.approx(effective_temperature(7e9, est.n_upper))
    noisy = thermal_photon_estimate(400.0, 300.0, g0, MHZ, MHZ, 7e9)  # < 2 sigma
    assert noisy.upper_bound
    assert noisy.n_upper == pytest.approx(photons_from_dephasing(1000.0, MHZ, MHZ))
    series = thermal_photon_estimate(np.array([-50.0, 100.0, 5e3]), 20.0, g0, MHZ, MHZ, 7e9)
    assert series.upper_bound.tolist() == [True, True, False]
    assert np.isfinite(series.n[2]) and np.isnan(series.n_upper[2])
    assert not series.n.flags.writeable
