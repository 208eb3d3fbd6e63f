"""SNTJ fit: exact recovery on noiseless sweeps, pulls and coverage on noisy ones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import h, k

from cryochar.analysis.noise import fit_sntj, sntj_noise_temperature

B = 1e6
V = np.linspace(-300e-6, 300e-6, 121)  # V, about +/- 12 h f / e at 6 GHz


def sweep(gain, tn, t_junction, f):
    """Noiseless powers (W), shape (n_bias, n_f) for array f."""
    return gain * k * B * (tn + sntj_noise_temperature(V[:, None], f, t_junction))


def test_noiseless_recovery_over_frequency():
    f = np.linspace(4e9, 8e9, 5)
    tn = np.array([1.5, 2.0, 2.5, 3.0, 0.6 * h * 8e9 / k])
    t_j = np.array([0.02, 0.05, 0.1, 0.2, 0.05])
    p = 1e4 * k * B * (tn + sntj_noise_temperature(V[:, None], f, t_j))
    r = fit_sntj(V, p, f, B, integration_time=1.0)
    np.testing.assert_allclose(r.junction_temperature, t_j, rtol=1e-6)
    np.testing.assert_allclose(r.gain, 1e4, rtol=1e-9)
    np.testing.assert_allclose(r.noise_temperature, tn, rtol=1e-9)
    assert r.n_added[-1] == pytest.approx(0.6, rel=1e-9)
    assert r.ok.all() and np.all(r.dof == V.size - 3)
    assert r.full_covariance.shape == (5, 3, 3)


@pytest.fixture(scope="module")
def noisy_fits():
    """1000 noisy sweeps (columns) at 6 GHz, T = 60 mK, HEMT-like amplifier."""
    gain, tn, t_j, btau, reps = 1e4, 2.0, 0.06, 1e5, 1000
    f = np.full(reps, 6e9)
    rng = np.random.default_rng(21)
    p = sweep(gain, tn, t_j, f)
    r = fit_sntj(V, rng.gamma(btau, p / btau), f, B, integration_time=btau / B)
    return r, {"gain": gain, "noise_temperature": tn, "junction_temperature": t_j}


@pytest.mark.parametrize("name", ["gain", "noise_temperature", "junction_temperature"])
def test_noisy_sweeps_recover_truth_within_uncertainties(noisy_fits, name):
    r, truth = noisy_fits
    est, u = getattr(r, name), getattr(r, f"{name}_uncertainty")
    pulls = (est - truth[name]) / u
    assert np.all(np.isfinite(pulls))
    assert abs(np.mean(pulls)) < 0.1
    assert np.std(pulls) == pytest.approx(1.0, abs=0.07)
    assert 0.93 <= np.mean(np.abs(pulls) <= 1.96) <= 0.97


def test_noisy_sweeps_chi_square(noisy_fits):
    r, _ = noisy_fits
    assert np.mean(r.redchi) == pytest.approx(1.0, abs=0.02)
    assert np.mean(r.poor_fit) < 0.01
    assert np.mean(r.ok) > 0.98


def test_scalar_sweep_and_at_bound_flag():
    p = sweep(1e4, 2.0, 0.05, np.array([6e9]))[:, 0]
    r = fit_sntj(V, p, 6e9, B, sigma=1e-4 * p)
    assert isinstance(r.junction_temperature, float) and r.flag_names == ()
    assert r.junction_temperature == pytest.approx(0.05, rel=1e-6)
    hot = fit_sntj(V, p, 6e9, B, sigma=1e-4 * p, temperature_bounds=(0.1, 1.0))
    assert "at_bound" in hot.flag_names and "poor_fit" in hot.flag_names and not hot.ok


def test_equal_weights():
    rng = np.random.default_rng(3)
    f = np.full(300, 6e9)
    p = sweep(1e4, 2.0, 0.05, f)
    p = p + 1e-3 * p.mean() * rng.standard_normal(p.shape)
    r = fit_sntj(V, p, f, B)
    assert not r.absolute_sigma and np.all(np.isnan(r.p_value))
    pulls = (r.junction_temperature - 0.05) / r.junction_temperature_uncertainty
    assert np.std(pulls) == pytest.approx(1.0, abs=0.12)


def test_a_junction_that_does_not_reach_the_amplifier_is_no_contrast():
    """Bias swept, power flat (the SNTJ is not connected): the gain is not resolved."""
    rng = np.random.default_rng(5)
    btau, reps = 1e5, 200
    flat = np.full((V.size, reps), 1e4 * k * B * 5.0)  # a 5 K load, whatever the bias
    r = fit_sntj(V, rng.gamma(btau, flat / btau), np.full(reps, 6e9), B,
                 integration_time=btau / B)
    assert not r.ok.any()
    assert all("no_contrast" in names for names in r.flag_names)
    good = fit_sntj(V, rng.gamma(btau, sweep(1e4, 2.0, 0.06, np.full(reps, 6e9)) / btau),
                    np.full(reps, 6e9), B, integration_time=btau / B)
    assert not any("no_contrast" in names for names in good.flag_names)
