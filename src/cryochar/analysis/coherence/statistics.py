"""Statistics of a coherence time series (T1, T2, ... measured repeatedly).

A coherence time fluctuates (two-level systems drifting through resonance,
quasiparticle bursts), so a series is reported by its distribution and its
correlations, not by a mean alone:

* :func:`describe` - median and IQR, mean and standard deviation;
* :func:`histogram` and :func:`summarize_series` (times and rates
  ``Gamma = 1/T`` side by side);
* :func:`mean_standard_error` - standard error of the mean corrected for
  autocorrelation through the integrated autocorrelation time (Sokal's
  automatic window);
* :func:`allan_deviation` - overlapping Allan deviation.

Non-finite values (failed fits) are dropped by the descriptive functions;
the correlation-based ones need a complete, evenly sampled series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.core.errors import FitError


@dataclass(frozen=True)
class SeriesStats:
    """Distribution summary of the finite values of a series (units of the input)."""

    n: int
    mean: float
    std: float
    median: float
    q25: float
    q75: float
    iqr: float
    minimum: float
    maximum: float


@dataclass(frozen=True, eq=False)
class Histogram:
    """Bin ``edges`` (``n_bins + 1``), ``counts`` and probability ``density``."""

    edges: np.ndarray
    counts: np.ndarray
    density: np.ndarray


@dataclass(frozen=True)
class MeanEstimate:
    """Mean with its autocorrelation-corrected standard error.

    ``se = sqrt(var * tau_int / n)``; ``tau_int`` is the integrated
    autocorrelation time in samples (1 for independent data), ``n_eff =
    n / tau_int`` and ``window`` the summation window. ``reliable`` is False
    when the window condition could not be met (series shorter than ~50
    autocorrelation times): the error is then underestimated.
    """

    mean: float
    se: float
    se_naive: float
    tau_int: float
    n_eff: float
    n: int
    window: int
    reliable: bool


@dataclass(frozen=True, eq=False)
class AllanDeviation:
    """Overlapping Allan deviation; unpacks as ``tau, adev = result``.

    ``tau`` in s, ``adev`` in the units of the series, ``adev_err`` an
    approximate 1-sigma error (white-noise equivalent degrees of freedom),
    ``n_terms`` the number of overlapping differences per ``tau``.
    """

    tau: np.ndarray
    adev: np.ndarray
    adev_err: np.ndarray
    n_terms: np.ndarray

    def __iter__(self):
        return iter((self.tau, self.adev))


@dataclass(frozen=True, eq=False)
class CoherenceSummary:
    """Summary of a coherence-time series ``T`` (s) and its rates ``1/T`` (1/s)."""

    time: SeriesStats
    rate: SeriesStats
    time_hist: Histogram
    rate_hist: Histogram
    mean: MeanEstimate
    n_dropped: int


def _finite(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def describe(x: Any) -> SeriesStats:
    """Median, quartiles, mean, standard deviation (ddof=1) of the finite values."""
    v = _finite(x)
    if v.size == 0:
        raise FitError("no finite values to describe")
    q25, med, q75 = np.percentile(v, [25, 50, 75])
    std = float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
    return SeriesStats(int(v.size), float(v.mean()), std, float(med), float(q25), float(q75),
                       float(q75 - q25), float(v.min()), float(v.max()))


def histogram(x: Any, bins: Any = "auto", range: tuple[float, float] | None = None) -> Histogram:
    """Histogram of the finite values (``numpy.histogram`` binning rules)."""
    v = _finite(x)
    if v.size == 0:
        raise FitError("no finite values to histogram")
    counts, edges = np.histogram(v, bins=bins, range=range)
    width = np.diff(edges)
    density = counts / (counts.sum() * width)
    return Histogram(edges, counts, density)


def _autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation along the last axis (FFT, zero padded)."""
    n = x.shape[-1]
    xc = x - x.mean(axis=-1, keepdims=True)
    f = np.fft.rfft(xc, 2 * n, axis=-1)
    acov = np.fft.irfft(f * np.conj(f), 2 * n, axis=-1)[..., :n]
    with np.errstate(invalid="ignore", divide="ignore"):
        return acov / acov[..., :1]


def mean_standard_error(x: Any, c: float = 5.0) -> MeanEstimate:
    """Mean of an evenly sampled series with an autocorrelation-corrected error.

    ``tau_int(M) = 1 + 2 sum_{k=1..M} rho_k`` with the smallest window ``M``
    satisfying ``M >= c tau_int(M)`` (Sokal); ``se = std sqrt(tau_int / n)``.
    """
    v = np.asarray(x, dtype=float).ravel()
    if v.size < 4 or not np.all(np.isfinite(v)):
        raise FitError("need at least 4 finite, evenly sampled values",
                       fix="drop or interpolate failed points first")
    n = v.size
    rho = _autocorrelation(v)
    tau = 1.0 + 2.0 * np.cumsum(rho[1:])
    windows = np.arange(1, n)
    good = windows >= c * tau
    reliable = bool(good.any())
    m = int(np.argmax(good)) if reliable else n - 2
    tau_int = float(max(tau[m], 1.0 / n)) if np.isfinite(tau[m]) else 1.0
    var = float(np.var(v, ddof=1))
    se = float(np.sqrt(var * tau_int / n))
    return MeanEstimate(float(v.mean()), se, float(np.sqrt(var / n)), tau_int, n / tau_int, n,
                        int(windows[m]), reliable)


def _octave_factors(n: int, per_decade: int) -> np.ndarray:
    top = max(1, (n - 1) // 2)
    raw = np.logspace(0, np.log10(top), max(2, int(np.log10(top) * per_decade) + 1))
    return np.unique(np.round(raw).astype(int))


def allan_deviation(x: Any, rate: float, per_decade: int = 8) -> AllanDeviation:
    """Overlapping Allan deviation of a series sampled at ``rate`` (Hz).

    Averaging factors ``m`` are log-spaced (``per_decade`` per decade) from 1
    to ``(n - 1) // 2``; ``tau = m / rate``. For averages ``ybar_j`` over
    ``m`` samples, ``adev^2 = <(ybar_{j+m} - ybar_j)^2> / 2`` over all ``j``.
    White noise gives a slope of -1/2 in log-log.
    """
    v = np.asarray(x, dtype=float).ravel()
    if v.size < 3 or not np.all(np.isfinite(v)):
        raise FitError("need at least 3 finite, evenly sampled values",
                       fix="drop or interpolate failed points first")
    if not rate > 0:
        raise FitError(f"rate must be positive (Hz), got {rate}")
    n = v.size
    csum = np.concatenate([[0.0], np.cumsum(v - v.mean())])
    factors = _octave_factors(n, per_decade)
    adev = np.empty(factors.size)
    terms = np.empty(factors.size, dtype=int)
    for i, m in enumerate(factors):  # loop over averaging times, not samples
        avg = (csum[m:] - csum[:-m]) / m
        d = avg[m:] - avg[:-m]
        adev[i] = np.sqrt(0.5 * np.mean(d * d))
        terms[i] = d.size
    # equivalent degrees of freedom for white noise (Howe et al.)
    edf = (3 * (n - 1) / (2 * factors) - 2 * (n - 2) / n) * 4 * factors**2 / (4 * factors**2 + 5)
    err = adev / np.sqrt(2 * np.maximum(edf, 1.0))
    return AllanDeviation(factors / rate, adev, err, terms)


def summarize_series(T: Any, bins: Any = "auto") -> CoherenceSummary:
    """Distribution of a coherence-time series ``T`` (s) and of ``Gamma = 1/T`` (1/s).

    Non-finite and non-positive times are dropped (and counted); the
    autocorrelation-corrected mean uses the remaining values in order.
    """
    arr = np.asarray(T, dtype=float).ravel()
    keep = np.isfinite(arr) & (arr > 0)
    v = arr[keep]
    if v.size < 4:
        raise FitError("need at least 4 positive finite times")
    return CoherenceSummary(describe(v), describe(1.0 / v), histogram(v, bins),
                            histogram(1.0 / v, bins), mean_standard_error(v),
                            int(arr.size - v.size))


__all__ = [
    "AllanDeviation",
    "CoherenceSummary",
    "Histogram",
    "MeanEstimate",
    "SeriesStats",
    "allan_deviation",
    "describe",
    "histogram",
    "mean_standard_error",
    "summarize_series",
]
