"""Multi-temperature fit: exact recovery, chi-square statistics, coverage, poor-fit flag."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import h, k

from cryochar.analysis.noise import callen_welton_temperature, fit_multi_temperature
from cryochar.core.errors import FitError

B = 1e6
TEMPS = np.array([0.02, 0.3, 0.8, 1.5, 3.0, 5.0])
F0 = 6e9


def line_powers(gain, tn, temps, f):
    """Noiseless powers, shape (n_temps, n_f) for array f."""
    return gain * k * B * (callen_welton_temperature(f, temps[:, None]) + tn)


def noisy(gain, tn, reps, btau, seed, temp_sigma=0.0):
    """``reps`` independent sweeps at F0 (columns); gamma radiometer noise."""
    rng = np.random.default_rng(seed)
    f = np.full(reps, F0)
    p = line_powers(gain, tn, TEMPS, f)
    p_meas = rng.gamma(btau, p / btau)
    t_meas = np.abs(TEMPS[:, None] + temp_sigma * rng.standard_normal((TEMPS.size, reps)))
    return t_meas, p_meas, f


def coverage(estimate, u, truth):
    """Fraction of the 95 % intervals estimate +/- 1.96 u that contain the truth."""
    return np.mean(np.abs(estimate - truth) <= 1.96 * u)


def test_noiseless_recovery_hemt_and_near_quantum_limit():
    f = np.linspace(4e9, 8e9, 5)
    r = fit_multi_temperature(TEMPS, line_powers(1e4, 2.5, TEMPS, f), f, B, integration_time=1.0)
    np.testing.assert_allclose(r.gain, 1e4, rtol=1e-10)
    np.testing.assert_allclose(r.noise_temperature, 2.5, rtol=1e-10)
    assert np.all(r.chi2 < 1e-12) and np.all(r.dof == TEMPS.size - 2)
    tn = 0.6 * h * f / k
    r = fit_multi_temperature(TEMPS[:4], line_powers(100.0, tn, TEMPS[:4], f), f, B,
                              integration_time=1.0)
    np.testing.assert_allclose(r.n_added, 0.6, rtol=1e-10)
    assert r.ok.all()


def test_chi_square_statistics_and_coverage_with_radiometer_noise():
    gain, tn = 1e4, 2.0
    _, p, f = noisy(gain, tn, 3000, btau=1e4, seed=5)
    r = fit_multi_temperature(TEMPS, p, f, B, integration_time=1e-2)
    assert r.absolute_sigma and np.all(r.dof == 4)
    assert np.mean(r.redchi) == pytest.approx(1.0, abs=0.05)
    assert np.mean(r.p_value < 0.05) == pytest.approx(0.05, abs=0.015)
    assert 0.93 <= coverage(r.noise_temperature, r.noise_temperature_uncertainty, tn) <= 0.97
    assert 0.93 <= coverage(r.gain, r.gain_uncertainty, gain) <= 0.97
    assert np.median(r.noise_temperature_uncertainty) == pytest.approx(
        np.std(r.noise_temperature), rel=0.06)


def test_thermometer_uncertainty_through_effective_variance():
    gain, tn, u_t = 1e4, 1.5, 0.02
    t, p, f = noisy(gain, tn, 3000, btau=1e5, seed=6, temp_sigma=u_t)
    r = fit_multi_temperature(t, p, f, B, integration_time=0.1, temperature_uncertainty=u_t)
    assert np.mean(r.redchi) == pytest.approx(1.0, abs=0.06)
    assert 0.93 <= coverage(r.noise_temperature, r.noise_temperature_uncertainty, tn) <= 0.97
    assert 0.93 <= coverage(r.gain, r.gain_uncertainty, gain) <= 0.97
    ignored = fit_multi_temperature(t, p, f, B, integration_time=0.1)
    assert np.mean(ignored.redchi) > 1.5  # the thermometer scatter is visible in chi-square


def test_poor_fit_is_flagged():
    f = np.full(200, F0)
    p = line_powers(1e4, 2.0, TEMPS, f)
    compressed = p * (1 - 0.05 * p / p.max())  # 5 % gain compression at the hottest point
    rng = np.random.default_rng(7)
    r = fit_multi_temperature(TEMPS, rng.gamma(1e6, compressed / 1e6), f, B, integration_time=1.0)
    assert np.all(r.p_value < 1e-3)
    assert np.mean(r.poor_fit) > 0.99
    assert all("poor_fit" in names for names in r.flag_names)
    assert not r.ok.any()


def test_equal_weights_scale_by_reduced_chi_square():
    f = np.full(3000, F0)
    p = line_powers(1e4, 2.0, TEMPS, f)
    rng = np.random.default_rng(8)
    p = p + 1e-3 * p.mean() * rng.standard_normal(p.shape)  # equal (unknown) noise
    r = fit_multi_temperature(TEMPS, p, f, B)
    assert not r.absolute_sigma and np.all(np.isnan(r.p_value)) and not np.any(r.poor_fit)
    rms_u = np.sqrt(np.mean(np.square(r.noise_temperature_uncertainty)))
    assert rms_u == pytest.approx(np.std(r.noise_temperature), rel=0.05)


def test_scalar_and_validation():
    p = line_powers(1e4, 2.0, TEMPS, np.array([F0]))[:, 0]
    r = fit_multi_temperature(TEMPS, p, F0, B, sigma=p * 1e-3)
    assert isinstance(r.gain, float) and isinstance(r.chi2, float) and r.flag_names == ()
    assert r.noise_temperature == pytest.approx(2.0, rel=1e-10)
    with pytest.raises(FitError):
        fit_multi_temperature(TEMPS[:2], p[:2], F0, B)
    with pytest.raises(FitError):
        fit_multi_temperature(TEMPS, p, F0, B, temperature_uncertainty=0.01)
    with pytest.raises(FitError):
        fit_multi_temperature(TEMPS, p, F0, -1.0)
    r = fit_multi_temperature(np.full(4, 0.5), np.full(4, 1e-14), F0, B, integration_time=1.0)
    assert "no_contrast" in r.flag_names
