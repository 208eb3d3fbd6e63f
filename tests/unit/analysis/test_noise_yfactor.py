"""Y-factor: exact recovery on noiseless data, uncertainties against Monte Carlo, flags."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import h, k

from cryochar.analysis.noise import callen_welton_temperature, noise_quanta, y_factor

B = 1e6  # Hz
FREQ = np.linspace(4e9, 8e9, 9)


def powers(gain, tn, t_hot, t_cold, f, bandwidth=B):
    """Noiseless hot and cold powers (W) for physical source temperatures."""
    p_hot = gain * k * bandwidth * (callen_welton_temperature(f, t_hot) + tn)
    p_cold = gain * k * bandwidth * (callen_welton_temperature(f, t_cold) + tn)
    return p_hot, p_cold


def test_noiseless_hemt_recovered_exactly():
    gain, tn = 10 ** 4.4, np.linspace(1.5, 5.0, FREQ.size)
    r = y_factor(*powers(gain, tn, 4.0, 0.02, FREQ), 4.0, 0.02, FREQ, B)
    np.testing.assert_allclose(r.gain, gain, rtol=1e-12)
    np.testing.assert_allclose(r.gain_db, 44.0, rtol=1e-12)
    np.testing.assert_allclose(r.noise_temperature, tn, rtol=1e-12)
    assert r.ok.all() and r.gain.shape == FREQ.shape
    assert not r.gain.flags.writeable


def test_noiseless_near_quantum_limit_recovered_exactly():
    n_add = 0.6
    tn = n_add * h * FREQ / k
    r = y_factor(*powers(100.0, tn, 0.3, 0.015, FREQ), 0.3, 0.015, FREQ, B)
    np.testing.assert_allclose(r.n_added, n_add, rtol=1e-12)
    np.testing.assert_allclose(r.gain, 100.0, rtol=1e-12)
    # Rayleigh-Jeans source temperatures would be badly wrong here
    y = r.y
    rj = (0.3 - y * 0.015) / (y - 1)
    assert np.all(noise_quanta(rj, FREQ) > 0.75)
    assert r.flag_names == [()] * FREQ.size


def test_radiometer_uncertainty_is_the_physics_formula():
    tn, tau = 2.0, 0.5
    r = y_factor(*powers(1e4, tn, 4.0, 0.02, FREQ), 4.0, 0.02, FREQ, B, integration_time=tau)
    th, tc = callen_welton_temperature(FREQ, 4.0), callen_welton_temperature(FREQ, 0.02)
    expected = (th + tn) * (tc + tn) / (th - tc) * np.sqrt(2 / (B * tau))
    np.testing.assert_allclose(r.noise_temperature_uncertainty, expected, rtol=1e-12)
    np.testing.assert_allclose(r.n_added_uncertainty, noise_quanta(expected, FREQ), rtol=1e-12)


def test_bandwidth_uncertainty_only_moves_the_gain():
    r = y_factor(*powers(1e4, 2.0, 4.0, 0.02, FREQ), 4.0, 0.02, FREQ, B,
                 bandwidth_uncertainty=0.01 * B)
    np.testing.assert_allclose(r.gain_uncertainty / r.gain, 0.01, rtol=1e-12)
    np.testing.assert_allclose(r.gain_db_uncertainty, 10 / np.log(10) * 0.01, rtol=1e-12)
    assert np.all(r.noise_temperature_uncertainty == 0)


CASES = {
    # name: gain, T_n (K), t_hot, t_cold, u(t_hot), u(t_cold), B tau
    "hemt": (1e4, 3.0, 4.0, 0.02, 0.0, 0.0, 1e4),
    "jpa_near_quantum_limit": (100.0, 0.6 * h * 6e9 / k, 0.3, 0.02, 3e-3, 1e-3, 1e4),
    "hemt_thermometry": (1e4, 2.0, 2.0, 0.05, 0.02, 2e-3, 4e4),
}


def noisy_y_factor(case, reps, seed):
    """``reps`` repetitions at 6 GHz: radiometer (gamma) noise and thermometer errors."""
    gain, tn, t_hot, t_cold, u_h, u_c, btau = CASES[case]
    rng = np.random.default_rng(seed)
    p_hot, p_cold = powers(gain, tn, t_hot, t_cold, 6e9)
    ph = rng.gamma(btau, p_hot / btau, reps)
    pc = rng.gamma(btau, p_cold / btau, reps)
    th = t_hot + u_h * rng.standard_normal(reps)
    tc = np.abs(t_cold + u_c * rng.standard_normal(reps))
    r = y_factor(ph, pc, th, tc, 6e9, B, integration_time=btau / B, t_hot_uncertainty=u_h,
                 t_cold_uncertainty=u_c)
    return r, gain, tn


@pytest.mark.parametrize("case", sorted(CASES))
def test_uncertainties_match_monte_carlo(case):
    r, gain, tn = noisy_y_factor(case, 4000, seed=11)
    sd_t = np.std(r.noise_temperature, ddof=1)
    sd_g = np.std(r.gain, ddof=1)
    assert np.median(r.noise_temperature_uncertainty) == pytest.approx(sd_t, rel=0.05)
    assert np.median(r.gain_uncertainty) == pytest.approx(sd_g, rel=0.05)
    assert np.mean(r.noise_temperature) == pytest.approx(tn, abs=0.1 * sd_t)
    assert np.mean(r.gain) == pytest.approx(gain, abs=0.1 * sd_g)


@pytest.mark.parametrize("case", sorted(CASES))
def test_coverage_of_95_percent_intervals(case):
    covered_t, covered_g = [], []
    for seed in range(5):  # 5 seeded repetitions of 1000 measurements each
        r, gain, tn = noisy_y_factor(case, 1000, seed=100 + seed)
        covered_t.append(np.abs(r.noise_temperature - tn) <= 1.96 * r.noise_temperature_uncertainty)
        covered_g.append(np.abs(r.gain - gain) <= 1.96 * r.gain_uncertainty)
    assert 0.93 <= np.mean(covered_t) <= 0.97
    assert 0.93 <= np.mean(covered_g) <= 0.97


def test_noise_temperatures_given_directly():
    th, tc = callen_welton_temperature(FREQ, 0.3), callen_welton_temperature(FREQ, 0.02)
    p_hot, p_cold = powers(50.0, 0.2, 0.3, 0.02, FREQ)
    a = y_factor(p_hot, p_cold, 0.3, 0.02, FREQ, B, integration_time=1.0)
    b = y_factor(p_hot, p_cold, th, tc, FREQ, B, integration_time=1.0, callen_welton=False)
    np.testing.assert_allclose(b.noise_temperature, a.noise_temperature, rtol=1e-14)
    np.testing.assert_allclose(b.t_hot_cw, a.t_hot_cw, rtol=1e-14)


def test_scalar_input_gives_floats():
    r = y_factor(*powers(1e4, 2.0, 4.0, 0.02, 6e9), 4.0, 0.02, 6e9, B, integration_time=1.0)
    assert isinstance(r.noise_temperature, float) and isinstance(r.flags, int)
    assert r.flag_names == () and r.ok is True
    assert r.covariance.shape == (2, 2)
    assert r.covariance[0, 1] == pytest.approx(r.covariance[1, 0])


def test_flags_no_contrast_and_below_quantum_limit():
    p_hot, p_cold = powers(100.0, 0.3 * h * FREQ / k, 0.3, 0.02, FREQ)
    r = y_factor(p_hot, p_cold, 0.3, 0.02, FREQ, B, integration_time=10.0)
    assert all("below_quantum_limit" in names for names in r.flag_names)
    assert not r.ok.any()
    swapped = y_factor(p_cold, p_hot, 0.3, 0.02, FREQ, B)
    assert all("no_contrast" in names for names in swapped.flag_names)
    bad = y_factor(np.nan, 1e-15, 0.3, 0.02, 6e9, B)
    assert "invalid_input" in bad.flag_names and bad.ok is False
