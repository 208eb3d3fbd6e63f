"""Verification, drift check, repeat statistics, trace noise and residual error terms."""

from __future__ import annotations

import numpy as np
import pytest

from cryochar.analysis.calibration import (
    actuation_scatter,
    check_drift,
    residual_error_terms,
    trace_noise,
    verify,
)


def _cn(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    return sigma * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)


# -- verify --------------------------------------------------------------------------------------
def test_verify_passes_within_expanded_uncertainty() -> None:
    f = np.linspace(4e9, 12e9, 9)
    ref = np.full(9, -20.70)
    r = verify(ref + 0.05, ref, 0.08, frequency=f)
    assert r.passed and r.pass_fraction == 1.0
    assert r.failing_indices.size == 0 and r.failing_bands == ()
    np.testing.assert_allclose(r.normalised_error, 0.05 / 0.08)


def test_verify_reports_where_it_fails() -> None:
    f = np.linspace(4e9, 12e9, 10)
    measured = np.full(10, -20.0)
    measured[[2, 3, 7]] = [-20.3, -19.8, -20.11]
    measured[9] = np.nan
    r = verify(measured, -20.0, 0.1, frequency=f)
    assert not r.passed
    np.testing.assert_array_equal(r.failing_indices, [2, 3, 7, 9])
    np.testing.assert_allclose(r.failing_frequencies, f[[2, 3, 7, 9]])
    assert r.failing_bands == ((f[2], f[3]), (f[7], f[7]), (f[9], f[9]))
    assert r.worst_index == 9  # the NaN point is the worst
    assert r.passes.tolist() == [True, True, False, False, True, True, True, False, True, False]
    # the reference's own uncertainty widens the limit: 0.11 dB now passes at k=2 sum
    r2 = verify(measured[:9], -20.0, 0.1, reference_expanded_db=0.05)
    assert r2.failing_bands == ((2.0, 3.0),)
    np.testing.assert_allclose(r2.limit_db, np.hypot(0.1, 0.05))


# -- drift ---------------------------------------------------------------------------------------
def test_drift_check_quiet_without_drift_and_flags_a_drift() -> None:
    rng = np.random.default_rng(0)
    truth = 0.3 * np.exp(-1j * np.linspace(0, 40, 401))
    sigma = 2e-3
    earlier = truth + _cn(rng, 401, sigma)
    again = truth + _cn(rng, 401, sigma)
    quiet = check_drift(again, earlier, sigma)
    assert not quiet.stale and quiet.n_exceeding == 0 and quiet.dof == 802
    drifted = again.copy()
    drifted[100:120] += 6 * sigma
    loud = check_drift(drifted, earlier, sigma)
    assert loud.stale and loud.p_value < 1e-3
    assert set(np.flatnonzero(loud.exceeds)) <= set(range(100, 120))
    # a small drift everywhere is caught by the pooled statistic, not point by point
    creep = check_drift(again + 0.8 * sigma, earlier, sigma)
    assert creep.stale and creep.n_exceeding == 0


def test_drift_check_false_alarm_rate_and_real_input() -> None:
    rng = np.random.default_rng(1)
    alarms = sum(check_drift(rng.normal(0, 0.01, 201), rng.normal(0, 0.01, 201), 0.01).stale
                 for _ in range(200))
    assert alarms <= 3  # expected ~0.4 at alpha = 1e-3 (two tests)
    r = check_drift(np.array([-20.0, -20.5]), np.array([-20.0, -20.0]), 0.01)
    assert r.stale and r.exceeds.tolist() == [False, True]
    with pytest.raises(ValueError, match="positive"):
        check_drift([1.0], [1.0], 0.0)


def test_drift_threshold_from_repeat_statistics() -> None:
    rng = np.random.default_rng(2)
    repeats = 0.5 + _cn(rng, (8, 101), 1e-3)
    scatter = actuation_scatter(repeats, pool_axis=0)
    check = check_drift(0.5 + _cn(rng, 101, 1e-3), scatter.mean, scatter)
    assert not check.stale


# -- repeat statistics and trace noise -----------------------------------------------------------
def test_actuation_scatter_removes_trace_noise() -> None:
    rng = np.random.default_rng(3)
    n_std, n_rep, n_f = 4, 10, 301
    switch, noise = 2e-3, 1e-3
    truth = 0.5 * np.exp(1j * rng.uniform(0, 6, (n_std, 1, n_f, 2, 2)))
    repeats = truth + _cn(rng, (n_std, n_rep, n_f, 2, 2), switch) + \
        _cn(rng, (n_std, n_rep, n_f, 2, 2), noise)
    s = actuation_scatter(repeats, axis=1, noise_sigma=noise, pool_axis=1)
    assert s.sigma.shape == (n_std, 1, 2, 2) and s.mean.shape == (n_std, n_f, 2, 2)
    assert s.n_repeats == n_rep and s.dof == (n_rep - 1) * n_f
    np.testing.assert_allclose(s.sigma, switch, rtol=0.05)
    np.testing.assert_allclose(s.raw_sigma, np.hypot(switch, noise), rtol=0.05)
    with pytest.raises(ValueError, match="2 repeats"):
        actuation_scatter(repeats[:, :1], axis=1)


def test_trace_noise_of_a_rotating_trace() -> None:
    rng = np.random.default_rng(4)
    f = np.linspace(4e9, 12e9, 4001)
    smooth = 0.2 * np.exp(-2j * np.pi * f * 5e-9) * (1 + 0.1 * np.sin(f / 1e9))
    trace = smooth + _cn(rng, f.size, 1e-3)
    assert trace_noise(trace) == pytest.approx(1e-3, rel=0.08)
    two = np.stack([trace, smooth + _cn(rng, f.size, 3e-3)])
    np.testing.assert_allclose(trace_noise(two), [1e-3, 3e-3], rtol=0.08)
    real = 20 * np.log10(np.abs(smooth)) + rng.normal(0, 0.01, f.size)
    assert trace_noise(real) == pytest.approx(0.01, rel=0.08)
    with pytest.raises(ValueError, match="window"):
        trace_noise(trace[:5])


# -- residual error terms ------------------------------------------------------------------------
def _corrupt(g: np.ndarray, d, m, t) -> np.ndarray:
    return d + t * g / (1 - m * g)


def test_residual_terms_from_three_verification_standards() -> None:
    f = np.linspace(4e9, 12e9, 201)
    d = 0.01 * np.exp(1j * f / 1e9)
    m = 0.02 * np.exp(-2j * f / 1e9)
    t = 1.0 + 0.005j
    ideal = np.stack([-np.exp(-2j * np.pi * f * 30e-12), np.exp(-2j * np.pi * f * 30e-12),
                      np.full(f.size, 0.2 + 0.1j)])
    r = residual_error_terms(_corrupt(ideal, d, m, t), ideal)
    np.testing.assert_allclose(r.directivity, d, atol=1e-12)
    np.testing.assert_allclose(r.source_match, m, atol=1e-12)
    np.testing.assert_allclose(r.tracking, t, atol=1e-12)
    assert r.window == 1 and np.all(r.condition < 100)
    np.testing.assert_allclose(r.directivity_db, 20 * np.log10(0.01))


def test_residual_terms_from_one_offset_short_by_sliding_window() -> None:
    """Ripple method: one long offset short, residual terms constant over each window."""
    f = np.linspace(4e9, 12e9, 801)
    ideal = -np.exp(-2j * np.pi * f * 2 * 1e-9) * 0.98
    d, m, t = 0.003 - 0.002j, 0.01 + 0.004j, 0.999 + 0.001j
    r = residual_error_terms(_corrupt(ideal, d, m, t), ideal, window=41)
    np.testing.assert_allclose(r.directivity, d, atol=1e-10)
    np.testing.assert_allclose(r.source_match, m, atol=1e-10)
    with pytest.raises(ValueError, match="window"):
        residual_error_terms(ideal, ideal)
    with pytest.raises(ValueError, match="window"):
        residual_error_terms(ideal, ideal, window=2)
