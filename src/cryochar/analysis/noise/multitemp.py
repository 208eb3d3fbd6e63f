"""Gain and noise temperature from more than two source temperatures.

``P_i = G k B [T_CW(T_i) + T_n]`` is a straight line in ``T_CW(T_i)`` with
slope ``a = G k B`` and intercept ``b = G k B T_n``: a weighted linear least
squares per frequency, all frequencies at once. Weights are ``1 / sigma^2``
with, when a thermometer uncertainty is given, the effective variance
``sigma_P^2 + (a dT_CW/dT u_T)^2``; radiometer weights
(``sigma_P = P_model / sqrt(B tau)``) and the effective variance are
iterated with the fitted line (iteratively reweighted least squares).
With >= 4 distinct source temperatures a quadratic with the same weights
tests for gain compression (:mod:`.compression`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.constants import k
from scipy.stats import chi2 as chi2_dist

from cryochar.analysis.noise.compression import compression_check
from cryochar.analysis.noise.flags import ALPHA, NoiseFlag, set_flag, unresolved_gain
from cryochar.analysis.noise.linear import Line, fit_line
from cryochar.analysis.noise.propagation import sandwich
from cryochar.analysis.noise.results import MultiTemperatureResult, amplifier_fields, freeze
from cryochar.analysis.noise.yfactor import check_bandwidth, source_temperatures
from cryochar.core.errors import FitError

#: Reweighting passes of the radiometer / effective-variance weights.
REWEIGHT_PASSES = 3


def as_columns(values: Any, n_points: int, name: str) -> np.ndarray:
    """``values`` as an array of shape ``(n_points, m)`` (1-D input becomes one column)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        arr = np.full((n_points, 1), float(arr))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n_points:
        raise FitError(f"{name} has shape {np.shape(values)}; expected ({n_points},) or "
                       f"({n_points}, n_frequencies)")
    return arr


def point_sigma(model: np.ndarray, sigma: Any, bandwidth: float,
                integration_time: float | None) -> tuple[np.ndarray | None, bool]:
    """Power uncertainties (scaled units) and whether they are absolute."""
    if sigma is not None:
        return np.asarray(sigma, float), True
    if integration_time is not None:
        if not integration_time > 0:
            raise FitError(f"integration_time must be > 0 s, got {integration_time}")
        return np.abs(model) / np.sqrt(bandwidth * integration_time), True
    return None, False


def goodness(chi2: np.ndarray, dof: np.ndarray, absolute: bool,
             alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``(p_value, poor_fit)``: the chi-square upper tail; nan/False without absolute weights."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = chi2_dist.sf(chi2, np.where(dof > 0, dof, np.nan)) if absolute else np.nan + 0 * chi2
    return p, np.asarray(p < alpha)


def gain_noise_covariance(line: Line, scale: np.ndarray,
                          bandwidth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gain (W/W), T_n (K) and their covariance from a line fit in scaled power units."""
    a, b = line.slope, line.intercept
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = a * scale / (k * bandwidth)
        tn = b / a
        jac = np.zeros((*a.shape, 2, 2))
        jac[..., 0, 0] = scale / (k * bandwidth)
        jac[..., 1, 0] = -b / a**2
        jac[..., 1, 1] = 1.0 / a
    return gain, tn, sandwich(jac, line.covariance)


def fit_multi_temperature(temperatures: Any, powers: Any, frequency: Any, bandwidth: float, *,
                          sigma: Any = None, integration_time: float | None = None,
                          temperature_uncertainty: Any = 0.0, callen_welton: bool = True,
                          alpha: float = ALPHA) -> MultiTemperatureResult:
    """Fit ``P_i = G k B [T_CW(T_i) + T_n]`` per frequency over >= 3 source temperatures.

    ``powers`` (W) has shape ``(n_temperatures,)`` or ``(n_temperatures,
    n_frequencies)``; ``temperatures`` (physical, K; noise temperatures with
    ``callen_welton=False``) shape ``(n_temperatures,)`` or that of ``powers``;
    ``frequency`` (Hz) scalar or ``(n_frequencies,)``; ``bandwidth`` (Hz).

    Weights: ``sigma`` (W, absolute, broadcast to ``powers``), else radiometer
    noise from ``integration_time`` (s), else equal weights with the
    covariance scaled by the reduced chi-square (``absolute_sigma=False``,
    ``p_value`` nan). ``temperature_uncertainty`` (K, per source temperature)
    enters through the effective variance and needs absolute weights. A fit
    with p-value below ``alpha`` is flagged ``poor_fit``; a significant
    downward bend of the power (>= 4 distinct temperatures) ``compression``,
    with ``curvature`` (W/K^2) and ``compression_db`` (dB) in the result.
    """
    bandwidth = check_bandwidth(bandwidth)
    p = np.asarray(powers, dtype=float)
    n_t = p.shape[0] if p.ndim else 0
    if n_t < 3:
        raise FitError(f"need at least 3 source temperatures, got {n_t}",
                       fix="use y_factor() for two")
    scalar = p.ndim == 1 and np.ndim(frequency) == 0
    p = as_columns(p, n_t, "powers")
    temps = as_columns(temperatures, n_t, "temperatures")
    f = np.atleast_1d(np.asarray(frequency, dtype=float))[None, :]
    p, temps, f = np.broadcast_arrays(p, temps, f)
    x, dx = source_temperatures(f, temps, callen_welton)
    scale = np.nanmean(np.abs(p), axis=0)
    y = p / scale
    u_t = as_columns(temperature_uncertainty, n_t, "temperature_uncertainty")
    sig = None if sigma is None else as_columns(sigma, n_t, "sigma") / scale
    line, absolute, weights = _reweighted_fit(x, y, dx, u_t, sig, bandwidth, integration_time)
    stats, flags = fit_statistics(line.chi2, line.n, 2, line.good, absolute, alpha)
    if not absolute:
        line = Line(line.slope, line.intercept, line.covariance * stats["redchi"][:, None, None],
                    line.chi2, line.n, line.good)
    gain, tn, cov = gain_noise_covariance(line, scale, bandwidth)
    flags = set_flag(flags, unresolved_gain(gain, cov[..., 0, 0]), NoiseFlag.NO_CONTRAST)
    compression, compressed = compression_check(x, y, weights, scale, absolute)
    flags = set_flag(flags, compressed & line.good, NoiseFlag.COMPRESSION)
    out = _squeeze if scalar else (lambda v: v)
    fields = amplifier_fields(out(f[0]), out(gain), out(tn), out(cov), out(flags))
    return MultiTemperatureResult(**fields, **{n: freeze(out(v)) for n, v in stats.items()},
                                  **{n: freeze(out(v)) for n, v in compression.items()},
                                  absolute_sigma=absolute)


def fit_statistics(chi2: np.ndarray, n_points: np.ndarray, n_params: int, good: np.ndarray,
                   absolute: bool, alpha: float) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Goodness-of-fit fields (``chi2``, ``dof``, ``redchi``, ``p_value``, ``poor_fit``,
    ``n_points``) and the flags they imply (``no_contrast`` where not ``good``,
    ``too_few_points``, ``poor_fit``)."""
    dof = n_points - n_params
    with np.errstate(divide="ignore", invalid="ignore"):
        redchi = chi2 / dof
    p_value, poor = goodness(chi2, dof, absolute, alpha)
    flags = np.zeros(chi2.shape, dtype=np.int64)
    flags = set_flag(flags, ~good, NoiseFlag.NO_CONTRAST)
    flags = set_flag(flags, dof < 1, NoiseFlag.TOO_FEW_POINTS)
    flags = set_flag(flags, poor, NoiseFlag.POOR_FIT)
    return {"chi2": chi2, "dof": dof, "redchi": redchi, "p_value": p_value, "poor_fit": poor,
            "n_points": n_points}, flags


def _squeeze(value: np.ndarray) -> np.ndarray:
    return np.asarray(value)[0]


def _reweighted_fit(x: np.ndarray, y: np.ndarray, dx: np.ndarray, u_t: np.ndarray,
                    sig: np.ndarray | None, bandwidth: float,
                    integration_time: float | None) -> tuple[Line, bool, np.ndarray]:
    """Line fit with (iterated) absolute or unit weights, whether they are absolute, and
    the weights of the final fit; invalid points get zero weight."""
    valid = np.isfinite(x) & np.isfinite(y)
    model = np.where(valid, y, 0.0)
    sigma_p, absolute = point_sigma(model, sig, bandwidth, integration_time)
    if not absolute and np.any(u_t > 0):
        raise FitError("temperature_uncertainty needs absolute power uncertainties",
                       fix="give sigma or integration_time")
    passes = REWEIGHT_PASSES if (sig is None and absolute) or np.any(u_t > 0) else 1
    slope = np.zeros(y.shape[1])
    line, w = None, None
    for _ in range(passes):  # a few reweighting passes, vectorised over frequencies
        if absolute:
            var = sigma_p**2 + (slope * dx * u_t) ** 2
            with np.errstate(divide="ignore"):
                w = np.where(valid & (var > 0), 1.0 / np.where(var > 0, var, 1.0), 0.0)
        else:
            w = valid.astype(float)
        line = fit_line(np.where(valid, x, 0.0), np.where(valid, y, 0.0), w)
        slope = np.where(line.good, line.slope, 0.0)
        model = np.where(line.good, line.slope * x + line.intercept, model)
        sigma_p, _ = point_sigma(model, sig, bandwidth, integration_time)
    return line, absolute, w


__all__ = ["as_columns", "fit_multi_temperature", "fit_statistics", "gain_noise_covariance",
           "goodness", "point_sigma"]
