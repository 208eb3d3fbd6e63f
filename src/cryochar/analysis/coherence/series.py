"""One-call analysis of a coherence time series, as PHYSICS.md asks a report to show.

:func:`analyse_series` bundles the distribution summary (times and rates,
median/IQR, mean/std, histograms, autocorrelation-corrected mean), the
overlapping Allan deviation, the Welch PSD with its Lorentzian + 1/f + white
fit and the telegraph segmentation of a series ``T`` (s) measured every
``1 / rate`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.analysis.coherence.changepoints import TelegraphResult, telegraph
from cryochar.analysis.coherence.spectra import PSDFit, noise_spectrum
from cryochar.analysis.coherence.statistics import (
    AllanDeviation,
    CoherenceSummary,
    allan_deviation,
    summarize_series,
)
from cryochar.core.errors import CryocharError

#: Shortest series for the PSD fit (it needs several Welch segments).
MIN_PSD_POINTS = 64


@dataclass(frozen=True, eq=False)
class SeriesReport:
    """Everything reported for a coherence series ``T`` (s) sampled at ``rate`` (Hz).

    ``time`` is the time of each kept sample (s from the first), ``T`` the
    kept values (non-finite or non-positive ones, e.g. failed fits, are
    dropped and counted in ``summary.n_dropped``; the correlation-based
    parts then treat the kept samples as evenly spaced). ``psd`` is None for
    fewer than ``MIN_PSD_POINTS`` samples or when the fit is impossible;
    ``telegraph`` is None when the series is too short to segment.
    """

    time: np.ndarray
    T: np.ndarray
    summary: CoherenceSummary
    allan: AllanDeviation
    psd: PSDFit | None
    telegraph: TelegraphResult | None


def analyse_series(T: Any, rate: float, bins: Any = "auto") -> SeriesReport:
    """Distribution, Allan deviation, noise spectrum and telegraph analysis of ``T``.

    ``T`` are coherence times (s), one every ``1 / rate`` seconds (``rate``
    in Hz). Raises :class:`~cryochar.core.errors.FitError` when fewer than
    four usable values remain.
    """
    arr = np.asarray(T, dtype=float).ravel()
    keep = np.isfinite(arr) & (arr > 0)
    summary = summarize_series(arr, bins)
    v = arr[keep]
    time = np.flatnonzero(keep) / rate
    psd = None
    if v.size >= MIN_PSD_POINTS:
        try:
            psd = noise_spectrum(v, rate)
        except CryocharError:
            psd = None
    try:
        tg = telegraph(v, time)
    except CryocharError:
        tg = None
    return SeriesReport(time, v, summary, allan_deviation(v, rate), psd, tg)


__all__ = ["MIN_PSD_POINTS", "SeriesReport", "analyse_series"]
