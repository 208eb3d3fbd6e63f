"""Quality flags, lower-bound results, input handling and result objects."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cryochar.analysis.coherence import (
    FLAG_NAMES,
    FitFlag,
    binomial_sigma,
    decode_flags,
    encode_flags,
    fit_echo,
    fit_ramsey,
    fit_t1,
)
from cryochar.core.errors import FitError

T = np.linspace(0, 300e-6, 80)


def traces(p, seed, n=400, shots=1000):
    rng = np.random.default_rng(seed)
    k = rng.binomial(shots, np.broadcast_to(p, (n, np.size(p))))
    return k / shots, binomial_sigma(k, shots)


def exp_curve(t, T1, A=0.9, B=0.05):
    return A * np.exp(-t / T1) + B


def fraction(r, flag):
    return np.mean((np.atleast_1d(r.flags) & int(flag)) > 0)


def test_flag_names_roundtrip():
    assert FLAG_NAMES[0] == "not_converged"
    bits = int(FitFlag.AT_BOUND | FitFlag.LOWER_BOUND_ONLY)
    assert decode_flags(bits) == ("at_bound", "lower_bound_only")
    assert encode_flags(decode_flags(bits)) == bits
    assert decode_flags(np.array([0, bits])) == [(), ("at_bound", "lower_bound_only")]


def test_not_converged_when_iterations_are_cut():
    t = np.linspace(0, 20e-6, 100)
    p = 0.5 + 0.45 * np.exp(-t / 5e-6) * np.cos(2 * np.pi * 0.7e6 * t + 0.3)
    y, s = traces(p, seed=1)
    r = fit_ramsey(t, y, s, max_iter=1)
    assert fraction(r, FitFlag.NOT_CONVERGED) > 0.5
    assert np.all(r.ok <= r.converged)
    assert fit_ramsey(t, y, s).converged.all()


def test_bad_covariance_for_degenerate_data():
    r = fit_t1(T, np.full(T.size, 0.5))
    assert "bad_covariance" in r.flags and "low_contrast" in r.flags
    assert not r.ok


def test_at_bound_for_growing_signal():
    y, s = traces(0.1 + 0.02 * np.exp(T / 100e-6), seed=2)
    r = fit_t1(T, y, s)
    assert fraction(r, FitFlag.AT_BOUND) > 0.9
    assert not r.ok.any()


def test_at_bound_for_exponent_on_its_limit():
    t = np.linspace(0, 100e-6, 60)
    r = fit_echo(t, exp_curve(t, 30e-6), exponent=None)
    assert r.exponent == pytest.approx(1.0)
    assert "at_bound" in r.flags


def test_unresolved_decay_faster_than_sampling():
    y, s = traces(exp_curve(T, 0.5e-6), seed=3, n=100)
    r = fit_t1(T, y, s)
    assert fraction(r, FitFlag.UNRESOLVED) > 0.95


def test_unresolved_decay_much_longer_than_window():
    y, s = traces(exp_curve(T, 10 * 300e-6), seed=4, n=100, shots=10**8)
    r = fit_t1(T, y, s)
    assert fraction(r, FitFlag.UNRESOLVED) == 1.0
    assert fraction(r, FitFlag.LOWER_BOUND_ONLY) < 0.05  # precise enough to close the interval


def test_low_contrast_single_trace():
    y, s = traces(np.full(T.size, 0.3), seed=5, n=1)
    r = fit_t1(T, y[0], s[0])
    assert "low_contrast" in r.flags and not r.ok


def test_high_redchi_when_sigma_is_underestimated():
    y, s = traces(exp_curve(T, 60e-6), seed=6)
    r = fit_t1(T, y, s / 3)
    assert fraction(r, FitFlag.HIGH_REDCHI) > 0.99
    assert fraction(fit_t1(T, y, s), FitFlag.HIGH_REDCHI) < 0.02


def test_structured_residuals_for_wrong_model():
    p = 0.05 + 0.5 * np.exp(-T / 100e-6) + 0.4 * np.exp(-T / 8e-6)
    y, s = traces(p, seed=7, shots=10**5)
    r = fit_t1(T, y, s)
    assert fraction(r, FitFlag.STRUCTURED_RESIDUALS) > 0.9
    assert fraction(fit_t1(T, y, s, model="double"), FitFlag.STRUCTURED_RESIDUALS) < 0.02


def test_too_few_points():
    y = exp_curve(T, 60e-6)
    y[3:] = np.nan
    r = fit_t1(T, y)
    assert "too_few_points" in r.flags and not r.ok


def test_lower_bound_only_when_t1_exceeds_window():
    T1 = 30 * 300e-6
    y, s = traces(exp_curve(T, T1), seed=8, n=2000)
    r = fit_t1(T, y, s)
    open_ = r.lower_bound_only
    assert np.mean(open_) > 0.5
    assert np.all(np.isinf(r.T1_upper[open_]))
    assert np.all(np.isfinite(r.T1_lower[open_]) & (r.T1_lower[open_] > 0))
    assert np.all(r.flags[open_] & int(FitFlag.LOWER_BOUND_ONLY))
    assert not r.ok[open_].any()
    # the lower limit is a valid one-sided bound: true T1 above it in >= 95 % of traces
    assert np.mean(r.T1_lower <= T1) >= 0.95


def test_never_ok_with_non_finite_uncertainty():
    rng = np.random.default_rng(9)
    y = exp_curve(T, rng.uniform(1e-6, 3e-3, size=(500, 1))) + rng.normal(0, 0.02, (500, T.size))
    r = fit_t1(T, y)
    for name in ("T1", "amplitude", "offset"):
        assert np.all(np.isfinite(r.stderrs[name][r.ok]))
    assert np.all(np.isfinite(r.T1_lower[r.ok]) & np.isfinite(r.T1_upper[r.ok]))


def test_invalid_points_are_ignored():
    y, s = traces(exp_curve(T, 60e-6), seed=10, n=1)
    y, s = y[0], s[0]
    keep = np.ones(T.size, bool)
    keep[::7] = False
    y_nan = np.where(keep, y, np.nan)
    a, b = fit_t1(T, y_nan, s), fit_t1(T[keep], y[keep], s[keep])
    assert abs(a.T1 - b.T1) < 1e-3 * b.T1_stderr  # same optimum within solver tolerance
    assert a.n_points == keep.sum() and a.dof == keep.sum() - 3


def test_unsorted_and_per_trace_time_axes():
    y, s = traces(exp_curve(T, 60e-6), seed=11, n=3)
    order = np.random.default_rng(0).permutation(T.size)
    a = fit_t1(T, y, s)
    b = fit_t1(T[order], y[:, order], s[:, order])
    assert np.all(np.abs(a.T1 - b.T1) < 1e-3 * a.T1_stderr)
    t2 = np.stack([T, 2 * T, 0.5 * T])
    p2 = exp_curve(t2, 60e-6)
    c = fit_t1(t2, p2)
    np.testing.assert_allclose(c.T1, 60e-6, rtol=1e-7)


def test_input_validation():
    with pytest.raises(FitError):
        fit_t1(T, np.zeros((3, T.size + 1)))
    with pytest.raises(FitError):
        fit_t1(T, np.zeros(T.size), sigma=np.ones(5))
    with pytest.raises(FitError):
        fit_t1(T, np.zeros(T.size), level=1.5)
    with pytest.raises(FitError):
        fit_t1(T, np.zeros(T.size), model="triple")
    with pytest.raises(FitError):
        fit_ramsey(T, np.zeros(T.size), envelope="lorentzian")
    with pytest.raises(FitError):
        fit_echo(T, np.zeros(T.size), exponent=3.0)
    with pytest.raises(FitError):
        fit_echo(T, np.zeros(T.size), exponent=1.0, fit_T1=True)


def test_results_are_frozen_and_shaped():
    y, s = traces(exp_curve(T, 60e-6), seed=12, n=5)
    r = fit_t1(T, y, s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.T1 = 1.0
    with pytest.raises(ValueError):
        r.T1[0] = 1.0
    with pytest.raises(TypeError):
        r.params["T1"] = 1.0
    assert r.T1.shape == r.ok.shape == r.flags.shape == (5,)
    assert r.covariance.shape == (5, 3, 3)
    assert r.predict(T).shape == (5, T.size)
    one = fit_t1(T, y[0], s[0])
    assert isinstance(one.T1, float) and isinstance(one.flags, tuple)
    assert one.predict(T).shape == (T.size,)
    assert one.covariance.shape == (3, 3)
    assert np.isclose(one.T1, r.T1[0], rtol=1e-12)


def test_blocks_and_threads_do_not_change_results(monkeypatch):
    import cryochar.analysis.coherence.pipeline as pipeline

    y, s = traces(exp_curve(T, 60e-6), seed=13, n=300)
    T1 = np.linspace(50e-6, 70e-6, 300)
    ref = fit_t1(T, y, s, workers=1)
    ref_echo = fit_echo(T, y, s, exponent=2.0, T1=T1, workers=1)
    monkeypatch.setattr(pipeline, "CHUNK", 64)
    for workers in (1, 2):
        r = fit_t1(T, y, s, workers=workers)
        np.testing.assert_array_equal(r.T1, ref.T1)
        np.testing.assert_array_equal(r.T1_upper, ref.T1_upper)
        np.testing.assert_array_equal(r.flags, ref.flags)
        e = fit_echo(T, y, s, exponent=2.0, T1=T1, workers=workers)
        np.testing.assert_array_equal(e.T_phi, ref_echo.T_phi)
        np.testing.assert_allclose(e.T1, T1, rtol=1e-12)
