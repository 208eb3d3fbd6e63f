"""Noise and repeatability estimates that feed the uncertainty budget.

* :func:`trace_noise`: complex RMS trace noise of a single smooth trace,
  from its residual about a local polynomial (Savitzky-Golay) fit; robust
  to a few spikes. Raw VNA traces of cryogenic lines rotate fast in phase,
  which a local cubic follows.
* :func:`actuation_scatter`: per-actuation scatter from N repeated
  measurements of each standard (switch repeatability), with the trace
  noise removed in quadrature.

Sigma convention: complex RMS, ``E|x - <x>|^2 = sigma^2`` (each of the real
and imaginary parts has ``sigma / sqrt(2)``); for real input, the ordinary
standard deviation. Units are those of the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.signal import savgol_coeffs, savgol_filter
from scipy.stats import chi2

from cryochar.analysis.calibration.results import RepeatScatter, frozen_array

__all__ = ["actuation_scatter", "trace_noise"]


def trace_noise(trace: Any, *, window: int = 11, order: int = 3, axis: int = -1) -> Any:
    """Noise RMS of ``trace`` along ``axis`` (needs more than ``window`` points).

    Returns a float for a 1-D trace, else an array over the other axes.
    The residual about the local fit has variance ``sigma^2 (1 - h0)``
    (``h0``: centre weight of the smoothing filter), estimated from its
    median so that isolated features do not inflate it.
    """
    x = np.moveaxis(np.asarray(trace), axis, -1)
    if x.shape[-1] <= window:
        raise ValueError(f"trace_noise needs more than window={window} points")
    half = window // 2
    h0 = savgol_coeffs(window, order)[half]

    def residual(part: np.ndarray) -> np.ndarray:
        return (part - savgol_filter(part, window, order, axis=-1))[..., half:-half]

    if np.iscomplexobj(x):
        r2 = residual(x.real) ** 2 + residual(x.imag) ** 2
        var = np.median(r2, axis=-1) / np.log(2.0)
    else:
        var = np.median(residual(x) ** 2, axis=-1) / chi2.median(1)
    sigma = np.sqrt(var / (1.0 - h0))
    return float(sigma) if np.ndim(sigma) == 0 else sigma


def actuation_scatter(repeats: Any, *, axis: int = 0, noise_sigma: Any = 0.0,
                      pool_axis: int | tuple[int, ...] | None = None) -> RepeatScatter:
    """Per-actuation scatter from repeated measurements along ``axis``.

    ``repeats``: e.g. ``(n_repeats, n_freq, 2, 2)`` for one standard, or
    ``(n_std, n_repeats, n_freq, 2, 2)`` with ``axis=1``. ``pool_axis``
    (axes of the result, e.g. the frequency axis) averages the variance
    there (kept with length 1): a steadier estimate when N is small and the
    scatter is flat. ``noise_sigma`` (trace noise of one reading) is removed
    in quadrature.
    """
    x = np.asarray(repeats)
    n = x.shape[axis]
    if n < 2:
        raise ValueError("actuation_scatter needs at least 2 repeats")
    mean = x.mean(axis=axis)
    var = (np.abs(x - np.expand_dims(mean, axis)) ** 2).sum(axis=axis) / (n - 1)
    dof = n - 1
    if pool_axis is not None:
        before = var.size
        var = var.mean(axis=pool_axis, keepdims=True)
        dof *= before // var.size
    corrected = np.maximum(var - np.abs(np.asarray(noise_sigma)) ** 2, 0.0)
    return RepeatScatter(sigma=frozen_array(np.sqrt(corrected)),
                         raw_sigma=frozen_array(np.sqrt(var)), mean=frozen_array(mean),
                         n_repeats=n, dof=dof)
