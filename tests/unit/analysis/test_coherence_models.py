"""Model variants, model selection and shot-noise weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from cryochar.analysis.coherence import (
    binomial_posterior,
    binomial_sigma,
    fit_echo,
    fit_ramsey,
    fit_ramsey_models,
    fit_t1,
    fit_t1_models,
    select_model,
)
from cryochar.core.errors import FitError

T = np.linspace(0, 300e-6, 80)
T_ECHO = np.linspace(0, 100e-6, 60)


def traces(p, seed, n=1000, shots=1000):
    rng = np.random.default_rng(seed)
    k = rng.binomial(shots, np.broadcast_to(p, (n, np.size(p))))
    return k / shots, binomial_sigma(k, shots)


def robust_sd(x):
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def assert_recovers(values, stderr, truth, max_bias=0.15):
    assert abs(np.median(values) - truth) < max_bias * robust_sd(values)
    assert 0.85 < np.median(stderr) / robust_sd(values) < 1.15


def test_stretched_t1_recovers_beta():
    y, s = traces(0.05 + 0.9 * np.exp(-((T / 60e-6) ** 0.6)), seed=1)
    r = fit_t1(T, y, s, model="stretched")
    assert_recovers(r.T1, r.T1_stderr, 60e-6)
    assert_recovers(r.params["beta"], r.stderrs["beta"], 0.6)
    assert np.mean(r.ok) > 0.97


def test_double_exponential_recovers_both_times():
    p = 0.05 + 0.6 * np.exp(-T / 80e-6) + 0.3 * np.exp(-T / 10e-6)
    y, s = traces(p, seed=2)
    r = fit_t1(T, y, s, model="double")
    assert_recovers(r.T1, r.T1_stderr, 80e-6)
    assert_recovers(r.params["T1_fast"], r.stderrs["T1_fast"], 10e-6)
    assert_recovers(r.params["amplitude_fast"], r.stderrs["amplitude_fast"], 0.3)
    assert np.all(r.params["T1_fast"] <= r.T1)


def test_gaussian_ramsey_recovers_t2_star():
    t = np.linspace(0, 20e-6, 100)
    p = 0.5 + 0.45 * np.exp(-((t / 6e-6) ** 2)) * np.cos(2 * np.pi * 1.1e6 * t - 1.0)
    y, _ = traces(p, seed=3)
    r = fit_ramsey(t, y, shots=1000, envelope="gaussian")  # model-based binomial weights
    assert_recovers(r.T2_star, r.T2_star_stderr, 6e-6)
    assert_recovers(r.detuning, r.detuning_stderr, 1.1e6)
    assert_recovers(r.phase, r.phase_stderr, -1.0)
    assert_recovers(r.amplitude, r.amplitude_stderr, 0.45)


def test_ramsey_detuning_is_non_negative_and_phase_folds():
    t = np.linspace(0, 20e-6, 100)
    p = 0.5 + 0.4 * np.exp(-t / 8e-6) * np.cos(-2 * np.pi * 0.8e6 * t + 0.5)
    r = fit_ramsey(t, p)
    assert r.detuning == pytest.approx(0.8e6, rel=1e-8)
    assert r.phase == pytest.approx(-0.5, abs=1e-8)


def echo_curve(t, T1, Tphi, n):
    return 0.5 + 0.45 * np.exp(-t / (2 * T1) - (t / Tphi) ** n)


def test_echo_with_known_t1_and_free_exponent():
    T1, Tphi, n = 40e-6, 25e-6, 1.6
    T2 = brentq(lambda x: x / (2 * T1) + (x / Tphi) ** n - 1, 1e-9, 1e-3)
    y, s = traces(echo_curve(T_ECHO, T1, Tphi, n), seed=4)
    r = fit_echo(T_ECHO, y, s, exponent=None, T1=T1)
    assert_recovers(r.T2_echo, r.T2_echo_stderr, T2)
    assert_recovers(r.T_phi, r.T_phi_stderr, Tphi)
    assert_recovers(r.exponent, r.exponent_stderr, n)
    cover = np.mean((r.T2_echo_lower <= T2) & (r.T2_echo_upper >= T2))
    assert 0.92 <= cover <= 0.98
    np.testing.assert_allclose(r.T1, T1, rtol=1e-12)
    assert np.all(r.T1_stderr < 1e-9 * T1)


def test_echo_with_fixed_gaussian_exponent_and_per_trace_t1():
    T1 = np.full(500, 60e-6)
    y, s = traces(echo_curve(T_ECHO, 60e-6, 30e-6, 2.0), seed=5, n=500)
    r = fit_echo(T_ECHO, y, s, exponent=2.0, T1=T1)
    assert_recovers(r.T_phi, r.T_phi_stderr, 30e-6)
    assert np.all(r.exponent == 2.0)


def test_echo_with_fitted_t1_is_consistent_but_weakly_determined():
    y, s = traces(echo_curve(T_ECHO, 40e-6, 25e-6, 1.6), seed=6, shots=100000)
    r = fit_echo(T_ECHO, y, s, exponent=None, fit_T1=True)
    ok = r.ok
    assert np.mean(ok) > 0.8
    assert abs(np.median(r.T1[ok]) - 40e-6) < 0.2 * robust_sd(r.T1[ok])
    assert abs(np.median(r.T_phi[ok]) - 25e-6) < 0.2 * robust_sd(r.T_phi[ok])


def test_echo_exponent_one_gives_plain_exponential():
    y, s = traces(0.5 + 0.45 * np.exp(-T_ECHO / 30e-6), seed=7, n=200)
    a = fit_echo(T_ECHO, y, s)
    b = fit_t1(T_ECHO, y, s)
    np.testing.assert_allclose(a.T2_echo, b.T1, rtol=1e-6)
    np.testing.assert_allclose(a.T2_echo_stderr, b.T1_stderr, rtol=1e-4)
    assert np.all(np.isinf(a.T1)) and np.allclose(a.T_phi, a.T2_echo)


@pytest.mark.parametrize(("truth", "p"), [
    ("exponential", 0.05 + 0.9 * np.exp(-T / 60e-6)),
    ("stretched", 0.05 + 0.9 * np.exp(-((T / 60e-6) ** 0.5))),
    ("double", 0.05 + 0.5 * np.exp(-T / 100e-6) + 0.4 * np.exp(-T / 8e-6)),
])
def test_bic_picks_the_true_t1_model(truth, p):
    y, s = traces(p, seed=8, n=300)
    sel = fit_t1_models(T, y, s, criterion="bic")
    assert sel.scores.shape == (3, 300)
    assert np.mean(sel.best == truth) > 0.9
    assert sel.best_fit.model == truth
    np.testing.assert_allclose(sel.weights.sum(axis=0), 1.0)


def test_aic_picks_gaussian_ramsey_envelope():
    t = np.linspace(0, 20e-6, 100)
    p = 0.5 + 0.45 * np.exp(-((t / 6e-6) ** 2)) * np.cos(2 * np.pi * 1.1e6 * t)
    y, s = traces(p, seed=9, n=300)
    for criterion in ("aic", "aicc"):
        sel = fit_ramsey_models(t, y, s, criterion=criterion)
        assert np.mean(sel.best == "gaussian") > 0.9


def test_select_model_single_trace_and_errors():
    y = 0.05 + 0.9 * np.exp(-T / 60e-6) + np.random.default_rng(0).normal(0, 0.01, T.size)
    sel = select_model({"exp": fit_t1(T, y), "str": fit_t1(T, y, model="stretched")})
    assert sel.best in ("exp", "str") and sel.scores.shape == (2,)
    with pytest.raises(FitError):
        select_model({}, "bic")
    with pytest.raises(FitError):
        select_model({"exp": fit_t1(T, y)}, "dic")


def test_binomial_sigma_never_zero_and_matches_large_n():
    k = np.array([0, 1, 500, 999, 1000])
    s = binomial_sigma(k, 1000)
    assert np.all(s > 0)
    assert s[0] == pytest.approx(s[-1])
    assert s[2] == pytest.approx(np.sqrt(0.25 / 1000), rel=2e-3)
    np.testing.assert_allclose(binomial_sigma(k / 1000.0, 1000), s)
    mean, _ = binomial_posterior(0, 10)
    assert mean == pytest.approx(0.5 / 11)
    with pytest.raises(FitError):
        binomial_sigma(np.array([1.5]), 10)
    with pytest.raises(FitError):
        binomial_sigma(np.array([11]), 10)
