"""Acceptance tests of the T1 / Ramsey / echo fits on synthetic shot-noise data.

Every statistical test uses >= 2000 traces with binomial shot noise and a
fixed seed; ``sigma`` is the Jeffreys shot-noise uncertainty of the counts.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from cryochar.analysis.coherence import binomial_sigma, fit_echo, fit_ramsey, fit_t1

N_TRACES = 2000
SHOTS = 1000


def binomial_traces(t, p, seed, n=N_TRACES, shots=SHOTS):
    """Observed fractions k/N and their Jeffreys sigma for ``n`` traces."""
    rng = np.random.default_rng(seed)
    k = rng.binomial(shots, np.broadcast_to(p, (n, np.size(t))))
    return k / shots, binomial_sigma(k, shots)


def covered(lower, upper, truth):
    """Fraction of intervals [lower, upper] that contain ``truth``."""
    return np.mean((lower <= truth) & (upper >= truth))


def robust_sd(x):
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def t1_curve(t, A, T1, B):
    return A * np.exp(-t / T1) + B


def ramsey_curve(t, A, T2, f, phase, B):
    return A * np.exp(-t / T2) * np.cos(2 * np.pi * f * t + phase) + B


T1_T = np.linspace(0, 300e-6, 80)
T1_TRUE = 60e-6
RAMSEY_T = np.linspace(0, 20e-6, 100)
RAMSEY_TRUE = (0.45, 5e-6, 0.7e6, 0.3, 0.5)
ECHO_T = np.linspace(0, 100e-6, 60)
ECHO_TRUE = 30e-6


@pytest.fixture(scope="module")
def t1_fit():
    y, s = binomial_traces(T1_T, t1_curve(T1_T, 0.9, T1_TRUE, 0.05), seed=1)
    return fit_t1(T1_T, y, s)


@pytest.fixture(scope="module")
def ramsey_fit():
    y, s = binomial_traces(RAMSEY_T, ramsey_curve(RAMSEY_T, *RAMSEY_TRUE), seed=2)
    return fit_ramsey(RAMSEY_T, y, s)


@pytest.fixture(scope="module")
def echo_fit():
    y, s = binomial_traces(ECHO_T, t1_curve(ECHO_T, 0.45, ECHO_TRUE, 0.5), seed=3)
    return fit_echo(ECHO_T, y, s)


CASES = [("t1_fit", "T1", T1_TRUE), ("ramsey_fit", "T2_star", RAMSEY_TRUE[1]),
         ("echo_fit", "T2_echo", ECHO_TRUE)]


@pytest.mark.parametrize(("fixture", "name", "truth"), CASES)
def test_median_bias_below_tenth_sigma(request, fixture, name, truth):
    r = request.getfixturevalue(fixture)
    values = getattr(r, name)
    assert values.shape == (N_TRACES,)
    assert abs(np.median(values) - truth) < 0.1 * robust_sd(values)


@pytest.mark.parametrize(("fixture", "name", "truth"), CASES)
def test_profile_interval_coverage(request, fixture, name, truth):
    r = request.getfixturevalue(fixture)
    lower, upper = getattr(r, f"{name}_lower"), getattr(r, f"{name}_upper")
    assert np.all(lower < getattr(r, name)) and np.all(getattr(r, name) < upper)
    coverage = covered(lower, upper, truth)
    assert 0.93 <= coverage <= 0.97


@pytest.mark.parametrize(("fixture", "name", "truth"), CASES)
def test_standard_uncertainty_matches_scatter(request, fixture, name, truth):
    r = request.getfixturevalue(fixture)
    ratio = np.median(getattr(r, f"{name}_stderr")) / robust_sd(getattr(r, name))
    assert 0.9 < ratio < 1.1
    wald = np.mean(np.abs(getattr(r, name) - truth) <= 1.96 * getattr(r, f"{name}_stderr"))
    assert 0.93 <= wald <= 0.97


@pytest.mark.parametrize("fixture", ["t1_fit", "ramsey_fit", "echo_fit"])
def test_good_data_is_ok(request, fixture):
    r = request.getfixturevalue(fixture)
    assert np.mean(r.ok) > 0.98
    assert np.all(np.isfinite(r.amplitude_stderr[r.ok]))
    assert np.all(np.isfinite(r.offset_stderr[r.ok]))


def test_ramsey_detuning_unbiased_and_covered(ramsey_fit):
    det = ramsey_fit.detuning
    assert abs(np.median(det) - RAMSEY_TRUE[2]) < 0.1 * robust_sd(det)
    cover = np.mean(np.abs(det - RAMSEY_TRUE[2]) <= 1.96 * ramsey_fit.detuning_stderr)
    assert 0.93 <= cover <= 0.97


@pytest.mark.parametrize(("kind", "truth"), [
    ("t1", {"T1": T1_TRUE, "amplitude": 0.9, "offset": 0.05}),
    ("ramsey", {"T2_star": RAMSEY_TRUE[1], "amplitude": RAMSEY_TRUE[0], "offset": 0.5}),
])
def test_binomial_weights_on_the_model_give_unbiased_amplitudes(kind, truth):
    if kind == "t1":
        t, p, fit = T1_T, t1_curve(T1_T, 0.9, T1_TRUE, 0.05), fit_t1
    else:
        t, p, fit = RAMSEY_T, ramsey_curve(RAMSEY_T, *RAMSEY_TRUE), fit_ramsey
    y, _ = binomial_traces(t, p, seed=6)
    r = fit(t, y, shots=SHOTS)
    assert r.absolute_sigma
    for name, value in truth.items():
        assert abs(np.median(r.params[name]) - value) < 0.1 * robust_sd(r.params[name]), name
    time = r.time_name
    lower, upper = getattr(r, f"{time}_lower"), getattr(r, f"{time}_upper")
    coverage = covered(lower, upper, truth[time])
    assert 0.93 <= coverage <= 0.97


def test_redchi_near_one_with_sigma(t1_fit):
    assert abs(np.median(t1_fit.redchi) - 1) < 0.05


def test_without_sigma_covariance_is_scaled():
    y, _ = binomial_traces(T1_T, t1_curve(T1_T, 0.9, T1_TRUE, 0.05), seed=4, n=N_TRACES)
    r = fit_t1(T1_T, y)
    assert not r.absolute_sigma
    coverage = covered(r.T1_lower, r.T1_upper, T1_TRUE)
    assert 0.93 <= coverage <= 0.97
    assert 0.9 < np.median(r.T1_stderr) / robust_sd(r.T1) < 1.1


@pytest.mark.parametrize("kind", ["t1", "ramsey", "echo"])
def test_pure_noise_is_flagged(kind):
    t = {"t1": T1_T, "ramsey": RAMSEY_T, "echo": ECHO_T}[kind]
    fit = {"t1": fit_t1, "ramsey": fit_ramsey, "echo": fit_echo}[kind]
    y, s = binomial_traces(t, np.full(t.size, 0.4), seed=5)
    for sigma in (s, None):
        r = fit(t, y, sigma)
        assert np.mean(~r.ok) >= 0.99
        assert np.mean(r.flags & 16 > 0) >= 0.97  # low_contrast


def _agree(ours, ref, rtol=1e-6):
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize(("T1", "A", "B"), [(20e-6, 0.9, 0.05), (80e-6, -0.6, 0.8),
                                            (500e-6, 0.7, 0.1)])
def test_noiseless_t1_agrees_with_curve_fit(T1, A, B):
    t = np.geomspace(1e-6, 600e-6, 70)
    y = t1_curve(t, A, T1, B)
    ref, _ = curve_fit(t1_curve, t, y, p0=(A * 1.1, T1 * 0.9, B + 0.01), xtol=1e-15, ftol=1e-15,
                       gtol=1e-15, maxfev=10000)
    r = fit_t1(t, y)
    _agree([r.amplitude, r.T1, r.offset], ref)
    np.testing.assert_allclose([r.amplitude, r.T1, r.offset], [A, T1, B], rtol=1e-8)


@pytest.mark.parametrize(("T2", "f", "phase"), [(5e-6, 0.7e6, 0.3), (12e-6, 2.1e6, -2.5),
                                                (3e-6, 0.2e6, 1.2)])
def test_noiseless_ramsey_agrees_with_curve_fit(T2, f, phase):
    t = np.linspace(0, 20e-6, 120)
    truth = (0.4, T2, f, phase, 0.5)
    y = ramsey_curve(t, *truth)
    p0 = (0.42, T2 * 1.05, f * 1.001, phase + 0.02, 0.49)
    ref, _ = curve_fit(ramsey_curve, t, y, p0=p0, xtol=1e-15, ftol=1e-15, gtol=1e-15,
                       maxfev=10000)
    r = fit_ramsey(t, y)
    _agree([r.amplitude, r.T2_star, r.detuning, r.phase, r.offset], ref)


def test_noiseless_echo_with_known_t1_agrees_with_curve_fit():
    t = np.linspace(0, 120e-6, 80)
    T1, Tphi, n = 50e-6, 35e-6, 1.7

    def curve(t, A, Tp, nn, B):
        return A * np.exp(-t / (2 * T1) - (t / Tp) ** nn) + B

    y = curve(t, 0.45, Tphi, n, 0.5)
    ref, _ = curve_fit(curve, t, y, p0=(0.4, Tphi * 1.1, 1.5, 0.52), xtol=1e-15, ftol=1e-15,
                       gtol=1e-15, maxfev=10000)
    r = fit_echo(t, y, exponent=None, T1=T1)
    _agree([r.amplitude, r.T_phi, r.exponent, r.offset], ref)
    assert np.isclose(r.T1, T1, rtol=1e-12) and r.T1_stderr < 1e-9 * T1


def test_noiseless_results_are_ok_for_one_trace():
    r = fit_t1(T1_T, t1_curve(T1_T, 0.9, T1_TRUE, 0.05))
    assert isinstance(r.T1, float) and isinstance(r.ok, bool)
    assert r.ok and r.flags == ()
