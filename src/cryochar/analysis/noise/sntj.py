"""Shot-noise tunnel junction (SNTJ) fit: gain, noise temperature and junction temperature.

Model (Spietz et al. 2003), per frequency, over a bias sweep ``V``::

    P(V) = G k B [T_n + T_SNTJ(V; f, T)]
    T_SNTJ = sum_{+,-} (e V +/- h f)/(4 k) coth((e V +/- h f)/(2 k T))

``a = G k B`` and ``b = G k B T_n`` enter linearly, so they are eliminated in
closed form (variable projection) and only the junction temperature ``T`` is
searched: a log-spaced grid brackets the minimum of the profiled chi-square,
a golden-section search refines it and one Gauss-Newton step on the full
problem polishes it, all vectorised over frequencies. Radiometer weights are
first taken from the data, then from the fitted model (followed by a few
Gauss-Newton steps). The covariance comes from the full Jacobian
``[T_SNTJ, 1, a dT_SNTJ/dT]`` at the optimum. The bias is taken as measured
across the junction (no voltage offset is fitted). With >= 4 distinct
``T_SNTJ`` a quadratic in ``T_SNTJ`` (at the fitted junction temperature, same
weights) tests for gain compression (:mod:`.compression`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.constants import k

from cryochar.analysis.noise.compression import compression_check
from cryochar.analysis.noise.flags import ALPHA, NoiseFlag, set_flag, unresolved_gain
from cryochar.analysis.noise.formulas import sntj_noise_temperature, sntj_temperature_derivative
from cryochar.analysis.noise.linear import Line, fit_line, inverse_psd
from cryochar.analysis.noise.multitemp import as_columns, fit_statistics, point_sigma
from cryochar.analysis.noise.propagation import sandwich
from cryochar.analysis.noise.results import SNTJResult, amplifier_fields, freeze
from cryochar.analysis.noise.yfactor import check_bandwidth
from cryochar.core.errors import FitError

#: Golden-section iterations: shrink the bracket by 0.618^40 ~ 4e-9.
GOLDEN_ITERATIONS = 40
_INVPHI = (np.sqrt(5.0) - 1.0) / 2.0
#: Gauss-Newton steps after the radiometer weights are recomputed from the model.
REWEIGHT_STEPS = 3
#: A fitted temperature within this relative distance of a bound is flagged at_bound.
BOUND_RTOL = 1e-3


class _Problem:
    """Scaled data of one SNTJ fit (internal): points along axis 0, frequencies along 1."""

    def __init__(self, v: np.ndarray, y: np.ndarray, f: np.ndarray, w: np.ndarray):
        self.v, self.y, self.f, self.w = v, y, f, w

    def line(self, temperature: np.ndarray) -> tuple[Line, np.ndarray]:
        """Best line at junction temperatures ``temperature`` ``(m,)`` and the T_SNTJ used."""
        s = np.asarray(sntj_noise_temperature(self.v, self.f, temperature[None, :]))
        return fit_line(s, self.y, self.w), s

    def chi2(self, log_t: np.ndarray) -> np.ndarray:
        line, _ = self.line(np.exp(log_t))
        return np.where(line.good, line.chi2, np.inf)

    def normal(self, line: Line, s: np.ndarray, temperature: np.ndarray) -> np.ndarray:
        """``J^T W J`` ``(m, 3, 3)`` over ``(a, b, T)``."""
        ds = np.asarray(sntj_temperature_derivative(self.v, self.f, temperature[None, :]))
        jac = np.stack(np.broadcast_arrays(s, 1.0, line.slope * ds), axis=-1)
        return np.einsum("nm,nmi,nmj->mij", self.w, jac, jac), jac


def _golden(fun: Any, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Vectorised golden-section minimisation of ``fun`` on ``[lo, hi]`` per column."""
    c, d = hi - _INVPHI * (hi - lo), lo + _INVPHI * (hi - lo)
    fc, fd = fun(c), fun(d)
    for _ in range(GOLDEN_ITERATIONS):  # loop over iterations, never over frequencies
        left = fc < fd
        hi, lo = np.where(left, d, hi), np.where(left, lo, c)
        new_c = np.where(left, hi - _INVPHI * (hi - lo), d)
        new_d = np.where(left, c, lo + _INVPHI * (hi - lo))
        fx = fun(np.where(left, new_c, new_d))
        fc, fd = np.where(left, fx, fd), np.where(left, fc, fx)
        c, d = new_c, new_d
    return np.where(fc < fd, c, d)


def _search(problem: _Problem, bounds: tuple[float, float], grid_points: int) -> np.ndarray:
    """Junction temperature minimising the profiled chi-square, per frequency."""
    grid = np.log(np.geomspace(bounds[0], bounds[1], grid_points))
    m = problem.y.shape[1]
    chi = np.stack([problem.chi2(np.full(m, g)) for g in grid])  # loop over grid points
    best = np.argmin(chi, axis=0)
    lo = grid[np.maximum(best - 1, 0)]
    hi = grid[np.minimum(best + 1, grid_points - 1)]
    log_t = _golden(problem.chi2, lo, hi)
    return np.exp(log_t)


def _polish(problem: _Problem, temperature: np.ndarray,
            bounds: tuple[float, float]) -> tuple[np.ndarray, Line, np.ndarray, np.ndarray]:
    """One Gauss-Newton step in T (kept where it lowers chi-square); the final state."""
    line, s = problem.line(temperature)
    normal, jac = problem.normal(line, s, temperature)
    resid = problem.y - line.slope * s - line.intercept
    grad = np.einsum("nm,nmi,nm->mi", problem.w, jac, resid)
    step = np.einsum("mij,mj->mi", inverse_psd(normal), grad)[:, 2]
    trial = np.clip(temperature + np.nan_to_num(step), bounds[0], bounds[1])
    trial_line, _ = problem.line(trial)
    better = trial_line.good & (trial_line.chi2 < line.chi2)
    temperature = np.where(better, trial, temperature)
    line, s = problem.line(temperature)
    normal, _ = problem.normal(line, s, temperature)
    return temperature, line, s, normal


def _weights(y: np.ndarray, valid: np.ndarray, sigma: np.ndarray | None) -> np.ndarray:
    if sigma is None:
        return valid.astype(float)
    var = sigma**2
    with np.errstate(divide="ignore"):
        return np.where(valid & (var > 0), 1.0 / np.where(var > 0, var, 1.0), 0.0)


def fit_sntj(voltage: Any, powers: Any, frequency: Any, bandwidth: float, *, sigma: Any = None,
             integration_time: float | None = None,
             temperature_bounds: tuple[float, float] = (1e-3, 10.0), grid_points: int = 48,
             alpha: float = ALPHA) -> SNTJResult:
    """Fit gain, noise temperature and junction temperature to an SNTJ bias sweep.

    ``voltage`` (V) shape ``(n_bias,)``; ``powers`` (W) shape ``(n_bias,)`` or
    ``(n_bias, n_frequencies)``; ``frequency`` (Hz) scalar or
    ``(n_frequencies,)``; ``bandwidth`` (Hz). Weights as in
    :func:`~.multitemp.fit_multi_temperature`: ``sigma`` (W, absolute), else
    radiometer noise ``P_model / sqrt(B tau)`` from ``integration_time`` (s,
    then recomputed from the fitted model), else equal weights with the
    covariance scaled by the reduced chi-square. The junction temperature (K)
    is searched within ``temperature_bounds``. Flags as the multi-temperature
    fit, ``compression`` included (with ``curvature`` and ``compression_db``).
    """
    bandwidth = check_bandwidth(bandwidth)
    v = np.asarray(voltage, dtype=float)
    if v.ndim != 1 or v.size < 4:
        raise FitError(f"voltage must be a 1-D sweep of >= 4 biases, got shape {v.shape}")
    lo_t, hi_t = (float(b) for b in temperature_bounds)
    if not 0 < lo_t < hi_t:
        raise FitError(f"bad temperature_bounds {temperature_bounds}", fix="0 < low < high (K)")
    scalar = np.ndim(powers) == 1 and np.ndim(frequency) == 0
    p = as_columns(powers, v.size, "powers")
    f = np.atleast_1d(np.asarray(frequency, dtype=float))[None, :]
    p, f = np.broadcast_arrays(p, f)
    scale = np.nanmean(np.abs(p), axis=0)
    y = p / scale
    valid = np.isfinite(y) & np.isfinite(v)[:, None]
    y = np.where(valid, y, 0.0)
    sig = None if sigma is None else as_columns(sigma, v.size, "sigma") / scale
    sig_p, absolute = point_sigma(y, sig, bandwidth, integration_time)
    v_col = np.where(np.isfinite(v), v, 0.0)[:, None]
    problem = _Problem(v_col, y, f[:1], _weights(y, valid, sig_p))
    temperature = _search(problem, (lo_t, hi_t), grid_points)
    temperature, line, s, normal = _polish(problem, temperature, (lo_t, hi_t))
    if sig is None and absolute:  # radiometer weights from the fitted model, not the data
        sig_p, _ = point_sigma(line.slope * s + line.intercept, sig, bandwidth, integration_time)
        problem.w = _weights(y, valid, sig_p)
        for _ in range(REWEIGHT_STEPS):  # the optimum moves little: Gauss-Newton steps
            temperature, line, s, normal = _polish(problem, temperature, (lo_t, hi_t))
    return _result(problem, temperature, line, s, normal, scale, bandwidth, absolute, alpha,
                   (lo_t, hi_t), scalar)


def _result(problem: _Problem, temperature: np.ndarray, line: Line, s: np.ndarray,
            normal: np.ndarray, scale: np.ndarray, bandwidth: float, absolute: bool,
            alpha: float, bounds: tuple[float, float], scalar: bool) -> SNTJResult:
    stats, flags = fit_statistics(line.chi2, (problem.w > 0).sum(axis=0), 3, line.good,
                                  absolute, alpha)
    cov = inverse_psd(normal)
    if not absolute:
        cov = cov * stats["redchi"][:, None, None]
    a, b = line.slope, line.intercept
    jac = np.zeros((*a.shape, 3, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        jac[:, 0, 0] = scale / (k * bandwidth)
        jac[:, 1, 0] = -b / a**2
        jac[:, 1, 1] = 1.0 / a
        jac[:, 2, 2] = 1.0
        gain, tn = a * scale / (k * bandwidth), b / a
    cov3 = sandwich(jac, cov)
    flags = set_flag(flags, unresolved_gain(gain, cov3[:, 0, 0]), NoiseFlag.NO_CONTRAST)
    near = ((temperature <= bounds[0] * (1 + BOUND_RTOL))
            | (temperature >= bounds[1] * (1 - BOUND_RTOL)))
    flags = set_flag(flags, near, NoiseFlag.AT_BOUND)
    with np.errstate(invalid="ignore"):
        u_t = np.sqrt(cov3[:, 2, 2])
    flags = set_flag(flags, ~np.isfinite(u_t), NoiseFlag.BAD_COVARIANCE)
    compression, compressed = compression_check(s, problem.y, problem.w, scale, absolute)
    flags = set_flag(flags, compressed & line.good, NoiseFlag.COMPRESSION)

    def out(value: Any) -> Any:
        return np.asarray(value)[0] if scalar else value

    fields = amplifier_fields(out(problem.f[0]), out(gain), out(tn), out(cov3[:, :2, :2]),
                              out(flags))
    return SNTJResult(
        **fields, **{n: freeze(out(v)) for n, v in stats.items()}, absolute_sigma=absolute,
        **{n: freeze(out(v)) for n, v in compression.items()},
        junction_temperature=freeze(out(temperature)),
        junction_temperature_uncertainty=freeze(out(u_t)), full_covariance=freeze(out(cov3)))


__all__ = ["fit_sntj"]
