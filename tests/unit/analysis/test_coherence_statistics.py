"""Time-series statistics: summaries, Allan deviation, PSD fit, change points, SEM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from cryochar.analysis.coherence import (
    allan_deviation,
    analyse_series,
    describe,
    detect_changepoints,
    fit_psd,
    histogram,
    mean_standard_error,
    noise_spectrum,
    summarize_series,
    telegraph,
    welch_psd,
)
from cryochar.core.errors import FitError


def test_describe_and_histogram_ignore_non_finite():
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, np.inf])
    d = describe(x)
    assert d.n == 4 and d.median == 2.5 and d.mean == 2.5
    assert d.q25 == pytest.approx(1.75) and d.iqr == pytest.approx(1.5)
    assert d.std == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    h = histogram(x, bins=3)
    assert h.counts.sum() == 4 and h.edges.size == 4
    assert np.sum(h.density * np.diff(h.edges)) == pytest.approx(1.0)
    with pytest.raises(FitError):
        describe([np.nan])


def test_summarize_series_reports_times_and_rates():
    rng = np.random.default_rng(0)
    T = rng.normal(100e-6, 10e-6, 500)
    T[::50] = np.nan
    s = summarize_series(T)
    assert s.n_dropped == 10 and s.time.n == 490
    assert s.time.median == pytest.approx(100e-6, rel=0.03)
    assert s.rate.median == pytest.approx(1 / s.time.median, rel=0.01)
    assert s.rate_hist.counts.sum() == 490
    assert s.mean.se == pytest.approx(10e-6 / np.sqrt(490), rel=0.25)


def test_allan_deviation_of_white_noise_has_slope_minus_half():
    x = np.random.default_rng(1).normal(0, 2.0, 2**16)
    tau, adev = allan_deviation(x, rate=10.0)
    assert tau[0] == pytest.approx(0.1)
    assert adev[0] == pytest.approx(2.0, rel=0.02)
    use = tau < tau[-1] / 20  # the longest taus have few terms
    slope = np.polyfit(np.log(tau[use]), np.log(adev[use]), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.03)
    res = allan_deviation(x, rate=10.0)
    assert np.all(res.adev_err > 0) and np.all(np.diff(res.n_terms) < 0)


def test_allan_deviation_of_random_walk_has_slope_plus_half():
    x = np.cumsum(np.random.default_rng(2).normal(size=2**15))
    tau, adev = allan_deviation(x, rate=1.0)
    use = (tau > 10) & (tau < tau[-1] / 20)
    assert np.polyfit(np.log(tau[use]), np.log(adev[use]), 1)[0] == pytest.approx(0.5, abs=0.1)


def synthetic_series(psd, n, rate, seed):
    """Gaussian series whose one-sided PSD is ``psd(f)`` (exact spectral synthesis)."""
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n, 1 / rate)
    S = np.zeros_like(f)
    S[1:] = psd(f[1:])
    coef = np.sqrt(S * rate * n / 2) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    coef /= np.sqrt(2)
    coef[-1] = coef[-1].real * np.sqrt(2)
    return np.fft.irfft(coef, n)


def test_psd_fit_recovers_lorentzian_flicker_and_white():
    L, fc, K, W = 5.0, 0.01, 0.002, 0.5
    x = synthetic_series(lambda f: L / (1 + (f / fc) ** 2) + K / f + W, 2**16, 1.0, seed=3)
    fit = noise_spectrum(x, rate=1.0, nperseg=4096)
    assert fit.converged
    for value, err, truth in [(fit.lorentzian, fit.lorentzian_stderr, L),
                              (fit.corner_frequency, fit.corner_frequency_stderr, fc),
                              (fit.flicker, fit.flicker_stderr, K),
                              (fit.white, fit.white_stderr, W)]:
        assert abs(value - truth) < 3.5 * err
        assert err < 0.3 * truth
    assert fit.correlation_time == pytest.approx(1 / (2 * np.pi * fc), rel=0.15)
    free = fit_psd(welch_psd(x, 1.0, 4096), alpha=None)
    assert free.alpha == pytest.approx(1.0, abs=3.5 * free.alpha_stderr)


def test_psd_of_telegraph_noise_gives_switching_rate():
    rng = np.random.default_rng(4)
    gamma, rate, n = 0.005, 1.0, 2**18  # switches per second each way
    flips = rng.random(n) < gamma / rate
    state = np.cumsum(flips) % 2
    x = 10.0 * state + rng.normal(0, 1.0, n)
    fit = noise_spectrum(x, rate, nperseg=16384)
    assert fit.corner_frequency == pytest.approx(gamma / np.pi, rel=0.2)
    # Lorentzian plateau 4 var tau_c = 4 * 25 / (2 gamma); white: one-sided unit noise
    assert fit.lorentzian == pytest.approx(100 / (2 * gamma), rel=0.25)
    assert fit.white == pytest.approx(2.0, rel=0.1)


def test_welch_psd_white_level_and_dof():
    x = np.random.default_rng(5).normal(0, 1, 2**14)
    p = welch_psd(x, rate=100.0, nperseg=512)
    assert np.median(p.psd) / np.mean(p.psd) == pytest.approx(1.0, abs=0.1)
    assert np.mean(p.psd) == pytest.approx(2 / 100.0, rel=0.05)
    assert p.n_segments == 63 and 100 < p.dof < 2 * p.n_segments


def telegraph_series(n, switches, low, high, noise, seed):
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(40, n - 40), switches, replace=False))
    state = np.zeros(n, dtype=int)
    for c in cuts:  # a dozen injected switches
        state[c:] ^= 1
    return np.where(state == 1, high, low) + rng.normal(0, noise, n), cuts, state


def test_changepoints_find_injected_switches():
    x, cuts, _ = telegraph_series(4000, 12, 50.0, 80.0, 8.0, seed=6)
    t = np.arange(x.size) * 30.0
    cp = detect_changepoints(x, t)
    assert cp.indices.size == cuts.size
    assert np.all(np.abs(cp.indices - cuts) <= 3)
    np.testing.assert_allclose(cp.times, t[cp.indices])
    assert cp.sigma == pytest.approx(8.0, rel=0.1)
    assert cp.levels.size == cuts.size + 1


def test_changepoints_rarely_in_pure_noise():
    rng = np.random.default_rng(7)
    found = [detect_changepoints(rng.normal(100.0, 5.0, 3000)).indices.size for _ in range(100)]
    assert np.mean(np.array(found) > 0) <= 0.05
    bic = [detect_changepoints(rng.normal(100.0, 5.0, 3000), penalty="bic").indices.size
           for _ in range(20)]
    assert max(bic) < 10


def test_telegraph_levels_switching_times_and_rates():
    x, cuts, state = telegraph_series(4000, 12, 50.0, 80.0, 8.0, seed=8)
    t = np.arange(x.size) * 30.0
    tg = telegraph(x, t)
    assert tg.levels == pytest.approx((50.0, 80.0), abs=1.0)
    assert np.mean(tg.state == state) > 0.99
    assert np.all(np.abs(tg.switch_indices - cuts) <= 3)
    duration = x.size * 30.0
    assert tg.switching_rate == pytest.approx(12 / duration)
    assert tg.dwell_low.sum() + tg.dwell_high.sum() == pytest.approx(duration)
    up = np.sum(np.diff(state) > 0)
    assert tg.rate_up == pytest.approx(up / tg.dwell_low.sum())


def test_autocorrelation_corrected_sem_for_ar1():
    phi, n = 0.8, 5000
    rng = np.random.default_rng(9)
    series = lfilter([1.0], [1.0, -phi], rng.normal(size=(400, n)), axis=1)
    est = [mean_standard_error(s) for s in series]
    tau = np.median([e.tau_int for e in est])
    assert tau == pytest.approx((1 + phi) / (1 - phi), rel=0.1)
    se = np.median([e.se for e in est])
    empirical = np.std(series.mean(axis=1), ddof=1)
    assert se == pytest.approx(empirical, rel=0.15)
    naive = np.median([e.se_naive for e in est])
    assert naive < 0.5 * empirical
    assert all(e.reliable for e in est)


def test_sem_of_independent_data_is_naive():
    x = np.random.default_rng(10).normal(size=10000)
    e = mean_standard_error(x)
    assert e.tau_int == pytest.approx(1.0, abs=0.15)
    assert e.se == pytest.approx(e.se_naive, rel=0.1)


def test_series_functions_reject_bad_input():
    with pytest.raises(FitError):
        allan_deviation([1.0, np.nan, 2.0, 3.0], 1.0)
    with pytest.raises(FitError):
        allan_deviation(np.ones(10), 0.0)
    with pytest.raises(FitError):
        mean_standard_error([1.0, 2.0])
    with pytest.raises(FitError):
        welch_psd(np.ones(8), 1.0)
    with pytest.raises(FitError):
        detect_changepoints([1.0, 2.0], min_size=2)


def test_analyse_series_bundles_everything():
    x, cuts, _ = telegraph_series(3000, 6, 100e-6, 60e-6, 8e-6, seed=11)
    x[[100, 2000]] = np.nan  # two failed fits
    rep = analyse_series(x, rate=1 / 30.0)
    assert rep.summary.n_dropped == 2 and rep.T.size == 2998
    assert rep.time[-1] == pytest.approx(2999 * 30.0)
    assert rep.allan.tau[0] == pytest.approx(30.0)
    assert rep.psd is not None and rep.psd.white > 0
    assert rep.telegraph is not None and rep.telegraph.switch_indices.size == cuts.size
    assert rep.telegraph.levels == pytest.approx((60e-6, 100e-6), rel=0.02)
    short = analyse_series([50e-6, 52e-6, 49e-6, 51e-6, 50e-6], rate=1.0)
    assert short.psd is None and short.summary.time.n == 5
