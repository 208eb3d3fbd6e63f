"""Qubit coherence analysis: batched T1 / Ramsey / echo fits and series statistics.

Fits (pure numpy/scipy, vectorised over traces, see :mod:`.pipeline`)::

    r = fit_t1(t, y, sigma)          # t in s; y (n,) or (n_traces, n)
    r.T1, r.T1_stderr, r.T1_lower, r.T1_upper, r.ok, r.flags

* :func:`fit_t1` (``model="exponential" | "stretched" | "double"``),
  :func:`fit_ramsey` (``envelope="exponential" | "gaussian"``),
  :func:`fit_echo` (exponent in [1, 2] fixed or fitted; T1 given, fitted or
  absent) return frozen :class:`T1Result`, :class:`RamseyResult`,
  :class:`EchoResult`: scalars for 1-D input, read-only arrays for 2-D.
  ``sigma`` gives absolute uncertainties; ``shots=N`` (measured populations)
  weights by the binomial variance of the fitted model, which keeps
  amplitudes and offsets unbiased; ``workers`` sets the thread count.
* :func:`select_model`, :func:`fit_t1_models`, :func:`fit_ramsey_models`:
  choice by AIC/AICc/BIC.
* :func:`binomial_sigma`: shot-noise uncertainty of a population (Jeffreys).
* Quality flags: :class:`FitFlag`, :func:`decode_flags` (see :mod:`.flags`).

Series statistics: :func:`analyse_series` (all of the below in one call),
:func:`describe`, :func:`histogram`,
:func:`summarize_series`, :func:`mean_standard_error`,
:func:`allan_deviation`, :func:`welch_psd` / :func:`fit_psd` /
:func:`noise_spectrum`, :func:`detect_changepoints`, :func:`telegraph`.

Units: SI throughout (s, Hz, 1/s); amplitudes in the units of ``y``.
"""

from cryochar.analysis.coherence.changepoints import (
    ChangePoints,
    TelegraphResult,
    detect_changepoints,
    telegraph,
)
from cryochar.analysis.coherence.fitting import fit_echo, fit_ramsey, fit_t1
from cryochar.analysis.coherence.flags import FLAG_NAMES, FitFlag, decode_flags, encode_flags
from cryochar.analysis.coherence.results import CoherenceFit, EchoResult, RamseyResult, T1Result
from cryochar.analysis.coherence.selection import (
    ModelSelection,
    fit_ramsey_models,
    fit_t1_models,
    select_model,
)
from cryochar.analysis.coherence.series import SeriesReport, analyse_series
from cryochar.analysis.coherence.spectra import PSD, PSDFit, fit_psd, noise_spectrum, welch_psd
from cryochar.analysis.coherence.statistics import (
    AllanDeviation,
    CoherenceSummary,
    Histogram,
    MeanEstimate,
    SeriesStats,
    allan_deviation,
    describe,
    histogram,
    mean_standard_error,
    summarize_series,
)
from cryochar.analysis.coherence.weights import binomial_posterior, binomial_sigma

__all__ = [
    "FLAG_NAMES",
    "PSD",
    "AllanDeviation",
    "ChangePoints",
    "CoherenceFit",
    "CoherenceSummary",
    "EchoResult",
    "FitFlag",
    "Histogram",
    "MeanEstimate",
    "ModelSelection",
    "PSDFit",
    "RamseyResult",
    "SeriesReport",
    "SeriesStats",
    "T1Result",
    "TelegraphResult",
    "allan_deviation",
    "analyse_series",
    "binomial_posterior",
    "binomial_sigma",
    "decode_flags",
    "describe",
    "detect_changepoints",
    "encode_flags",
    "fit_echo",
    "fit_psd",
    "fit_ramsey",
    "fit_ramsey_models",
    "fit_t1",
    "fit_t1_models",
    "histogram",
    "mean_standard_error",
    "noise_spectrum",
    "select_model",
    "summarize_series",
    "telegraph",
    "welch_psd",
]
