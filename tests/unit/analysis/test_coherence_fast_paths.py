"""The fast paths of the coherence fits agree with the general ones.

* uniform-grid linear-prediction (Prony) start vs the integral-method start;
* the one-rate (T1) profile interval vs a brute-force scan of chi2(k);
* the staged one-rate fit vs the block-wise one, and its independence of
  blocking and threads;
* the building blocks: reproducible tiled products, damped rotations.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy import optimize, special

import cryochar.analysis.coherence.data as data_module
import cryochar.analysis.coherence.onerate as onerate
import cryochar.analysis.coherence.pipeline as pipeline
from cryochar.analysis.coherence import (
    FitFlag,
    binomial_sigma,
    fit_echo,
    fit_t1,
    guesses,
    threads,
    tiles,
)
from cryochar.analysis.coherence.data import Grid, prepare
from cryochar.analysis.coherence.models import Exponential
from cryochar.analysis.coherence.trig import damped_cos_sin

T = np.linspace(0, 300e-6, 80)


def t1_curve(t, A, T1, B):
    return A * np.exp(-t / T1) + B


def binomial_traces(p, seed, n, shots=1000):
    rng = np.random.default_rng(seed)
    k = rng.binomial(shots, np.broadcast_to(p, (n, np.size(p))))
    return k / shots, binomial_sigma(k, shots)


def general_grid(monkeypatch):
    """Make every time axis count as non-uniform: integral-method start."""
    monkeypatch.setattr(data_module, "UNIFORM_RTOL", -1.0)


@pytest.mark.parametrize(("T1", "A", "B"), [(20e-6, 0.9, 0.05), (80e-6, -0.6, 0.8),
                                            (400e-6, 0.7, 0.1)])
def test_prony_start_is_exact_on_noiseless_uniform_data(T1, A, B):
    batch = prepare(T, t1_curve(T, A, T1, B))
    assert batch.grid.start is not None
    k = guesses.block_prony(batch)
    np.testing.assert_allclose(k, batch.t_scale / T1, rtol=1e-10)


@pytest.mark.parametrize(("T1", "A", "B"), [(20e-6, 0.9, 0.05), (80e-6, -0.6, 0.8),
                                            (400e-6, 0.7, 0.1)])
def test_prony_path_agrees_with_general_path_on_noiseless_data(monkeypatch, T1, A, B):
    y = t1_curve(T, A, T1, B)
    fast = fit_t1(T, y)
    general_grid(monkeypatch)
    slow = fit_t1(T, y)
    for name in ("T1", "amplitude", "offset"):
        np.testing.assert_allclose(fast.params[name], slow.params[name], rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(fast.params[name], {"T1": T1, "amplitude": A, "offset": B}[name],
                                   rtol=1e-8)


def test_prony_path_gives_identical_statistics_on_noisy_data(monkeypatch):
    y, s = binomial_traces(t1_curve(T, 0.9, 60e-6, 0.05), seed=21, n=2000)
    fast = fit_t1(T, y, s)
    general_grid(monkeypatch)
    slow = fit_t1(T, y, s)
    for name in ("T1", "T1_stderr", "T1_lower", "T1_upper", "amplitude", "offset", "chisq"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-7)
    np.testing.assert_array_equal(fast.flags, slow.flags)


def _chi2(t, y, s, k):
    """chi2 of the best ``A exp(-k t) + B`` by weighted linear least squares."""
    X = np.stack([np.exp(-k * t), np.ones_like(t)], axis=1) / s[:, None]
    coef, *_ = np.linalg.lstsq(X, y / s, rcond=None)
    return float(np.sum((X @ coef - y / s) ** 2))


def _scan_interval(t, y, s, crit):
    """Rate limits from a dense log grid of chi2(k), refined by brentq."""
    ks = np.geomspace(0.05 / t[-1], 50 / (t[1] - t[0]), 4000)
    c = np.array([_chi2(t, y, s, k) for k in ks])
    i = int(np.argmin(c))
    res = optimize.minimize_scalar(lambda u: _chi2(t, y, s, np.exp(u)),
                                   bracket=(np.log(ks[i - 1]), np.log(ks[i]), np.log(ks[i + 1])),
                                   tol=1e-12)
    target = res.fun + crit
    limits = []
    for part in (slice(None, i), slice(i, None)):
        kk, cc = ks[part], c[part] - target
        j = np.flatnonzero(np.diff(np.sign(cc)) != 0)[0]
        limits.append(optimize.brentq(lambda k: _chi2(t, y, s, k) - target, kk[j], kk[j + 1],
                                      xtol=1e-16, rtol=1e-14))
    return limits


@pytest.mark.parametrize("shots", [1000, 100, 30])
def test_t1_profile_interval_matches_dense_scan(shots):
    """Includes low-SNR traces, whose roots leave the fit's Taylor model."""
    y, s = binomial_traces(t1_curve(T, 0.9, 60e-6, 0.05), seed=22, n=12, shots=shots)
    r = fit_t1(T, y, s)
    crit = special.chdtri(1, 0.05)
    for i in range(y.shape[0]):
        k_low, k_high = _scan_interval(T, y[i], s[i], crit)
        np.testing.assert_allclose([r.T1_lower[i], r.T1_upper[i]], [1 / k_high, 1 / k_low],
                                   rtol=1e-6)


def test_staged_and_blockwise_one_rate_fits_agree():
    y, s = binomial_traces(t1_curve(T, 0.9, 60e-6, 0.05), seed=23, n=300)
    staged = fit_t1(T, y, s)
    blockwise = pipeline._fit_block(Exponential(), prepare(T, y, s), 0.95, 50, True)
    np.testing.assert_allclose(staged.T1, blockwise["values"]["T1"], rtol=1e-9)
    np.testing.assert_allclose(staged.T1_stderr, blockwise["stderr"]["T1"], rtol=1e-7)
    np.testing.assert_allclose(staged.T1_upper, blockwise["upper"], rtol=1e-7)
    np.testing.assert_array_equal(staged.flags, blockwise["flags"])


@pytest.mark.parametrize(("grid", "with_sigma"), [("uniform", True), ("uniform", False),
                                                 ("geometric", True)])
def test_staged_fit_does_not_depend_on_blocking_or_threads(monkeypatch, grid, with_sigma):
    t = T if grid == "uniform" else np.geomspace(2e-6, 300e-6, 80)
    y, s = binomial_traces(t1_curve(t, 0.9, 60e-6, 0.05), seed=24, n=700, shots=100)
    y[::50, 3] = np.nan  # some blocks have invalid points, some not
    s = s if with_sigma else None
    ref = fit_t1(t, y, s, workers=1)
    ref_echo = fit_echo(t, y, s, workers=1)
    monkeypatch.setattr(pipeline, "CHUNK", 64)
    monkeypatch.setattr(onerate, "SUPER", 256)
    for workers in (1, 2):
        r = fit_t1(t, y, s, workers=workers)
        for name in ("T1", "T1_stderr", "T1_lower", "T1_upper", "amplitude", "chisq"):
            np.testing.assert_array_equal(getattr(r, name), getattr(ref, name))
        np.testing.assert_array_equal(r.flags, ref.flags)
        np.testing.assert_array_equal(fit_echo(t, y, s, workers=workers).T2_echo, ref_echo.T2_echo)


def test_tiled_matmul_rows_do_not_depend_on_their_position():
    rng = np.random.default_rng(25)
    a, b = rng.standard_normal((300, 80)), rng.standard_normal((80, 8))
    full = tiles.tiled_matmul(a, b)
    np.testing.assert_allclose(full, a @ b, rtol=1e-12, atol=1e-12)
    if not tiles.deterministic():
        pytest.skip("this BLAS rounds rows by position; the fits use row dots instead")
    idx = rng.permutation(300)[:77]
    np.testing.assert_array_equal(tiles.tiled_matmul(a[idx], b), full[idx])


@pytest.mark.parametrize("rate", [None, 3.0])
def test_damped_cos_sin_matches_direct_evaluation(rate):
    tau = np.linspace(0.1, 1.0, 101)[None]
    grid = Grid.build(tau)
    assert grid.start is not None
    freq = np.array([0.3, 7.7, 49.9])
    k = None if rate is None else np.full(3, rate)
    c, s = damped_cos_sin(grid, k, freq)
    env = 1.0 if rate is None else np.exp(-rate * tau)
    np.testing.assert_allclose(c, env * np.cos(2 * np.pi * freq[:, None] * tau), atol=1e-13)
    np.testing.assert_allclose(s, env * np.sin(2 * np.pi * freq[:, None] * tau), atol=1e-13)


def _profile_scan(t, y, sigma, T1):
    """chi2 of the best ``A exp(-t / T1) + B`` for every trace (rows of ``y``)
    and every decay time ``T1``, shape ``(n_traces, T1.size)``; one ``sigma``."""
    e = np.exp(-t[None, :] / T1[:, None])
    ec = e - e.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    proj = yc @ ec.T
    return ((yc * yc).sum(axis=1)[:, None] - proj**2 / (ec * ec).sum(axis=1)) / sigma**2


def test_t1_interval_is_open_where_the_profile_never_reaches_the_level():
    """Pure noise: where chi2 stays below chi2_min + crit on one side of the
    estimate all the way to the bound, that side is open - also where the
    profile is flat to rounding (the polynomial's Newton step then vanishes
    without a root). Estimates on a rate bound (degenerate, flagged) are
    left out."""
    rng = np.random.default_rng(26)
    sigma = 0.02
    y = rng.normal(0.5, sigma, (300, T.size))
    r = fit_t1(T, y, sigma)
    crit = special.chdtri(1, 0.05)
    # the rate bounds of the fit, as decay times
    grid = np.geomspace(T[1] / 50 * 1.0001, T[-1] / 1e-4 * 0.9999, 3000)
    chi2 = _profile_scan(T, y, sigma, grid)
    checked = 0
    for i in np.flatnonzero(r.flags & FitFlag.AT_BOUND == 0):
        level = _chi2(T, y[i], np.full(T.size, sigma), 1 / r.T1[i]) + crit
        below, above = grid < r.T1[i], grid > r.T1[i]
        if below.any() and chi2[i, below].max() < level - 0.1:
            assert r.T1_lower[i] == 0.0, i
            checked += 1
        if above.any() and chi2[i, above].max() < level - 0.1:
            assert r.T1_upper[i] == np.inf, i
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("per_trace", [False, True])
def test_unsorted_time_axes_give_the_same_fit(per_trace):
    """Every output, not only the estimates: the residual stage reads the
    inputs, which must be in time order like the batches."""
    y, s = binomial_traces(t1_curve(T, 0.9, 60e-6, 0.05), seed=27, n=40)
    t = np.broadcast_to(T, y.shape) if per_trace else T
    order = np.random.default_rng(28).permutation(T.size)
    ref = fit_t1(t, y, s)
    r = fit_t1(t[..., order], y[:, order], s[:, order])
    for name in ("T1", "T1_stderr", "T1_lower", "T1_upper", "amplitude", "chisq", "redchi"):
        np.testing.assert_allclose(getattr(r, name), getattr(ref, name), rtol=1e-12)
    np.testing.assert_array_equal(r.flags, ref.flags)


def test_switch_interval_is_shortened_during_threaded_fits_and_restored():
    before = sys.getswitchinterval()
    seen = []
    with threads.short_switch_interval():
        seen.append(sys.getswitchinterval())
        with threads.short_switch_interval():  # nested (a concurrent fit)
            seen.append(sys.getswitchinterval())
        seen.append(sys.getswitchinterval())
    assert seen == pytest.approx([min(before, threads.SWITCH_INTERVAL)] * 3)
    assert sys.getswitchinterval() == before
    y, s = binomial_traces(t1_curve(T, 0.9, 60e-6, 0.05), seed=29, n=5000)
    fit_t1(T, y, s, workers=2)
    assert sys.getswitchinterval() == before
