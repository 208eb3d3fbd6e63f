"""The fit pipeline shared by every coherence model.

Steps, all vectorised over traces:

1. data-driven starting values (:mod:`.guesses`);
2. variable-projection Levenberg-Marquardt on the nonlinear parameters only
   (:mod:`.varpro`); one-rate models (``A exp(-k t) + B``) instead minimise
   the closed-form projected chi-square of the rate (:mod:`.exponential`);
3. covariance from the full Jacobian at the optimum, absolute with ``sigma``
   and scaled by the reduced chi-square without (:mod:`.uncertainty`);
4. profile-likelihood interval of the decay time at ``level``
   (:mod:`.intervals`; one-rate models: :mod:`.rate_profile`);
5. quality flags (:mod:`.diagnostics`, :mod:`.flags`).

Traces are processed in blocks of :data:`CHUNK` so that the working arrays
stay in cache; within a block nothing loops over traces or points. Blocks
run on a thread pool (numpy releases the GIL inside its array loops), one
thread per CPU by default; results do not depend on the number of threads.
One-rate fits without ``shots`` are staged instead (:mod:`.onerate`), the
per-trace stages over many blocks at once; with several threads each fits
one contiguous group of traces. While several threads run, the GIL switch
interval is shortened (:mod:`.threads`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

import numpy as np
from scipy import special

from cryochar.analysis.coherence import exponential, onerate, rate_profile
from cryochar.analysis.coherence.data import Batch, build, validate
from cryochar.analysis.coherence.diagnostics import (
    at_bound,
    per_unique,
    runs_z,
    statistical_flags,
    unresolved,
)
from cryochar.analysis.coherence.flags import FitFlag
from cryochar.analysis.coherence.intervals import profile_rate_interval
from cryochar.analysis.coherence.models import Model
from cryochar.analysis.coherence.threads import short_switch_interval
from cryochar.analysis.coherence.uncertainty import internal_covariance, propagate
from cryochar.analysis.coherence.varpro import evaluate, solve
from cryochar.analysis.coherence.weights import binomial_sigma
from cryochar.core.errors import FitError

#: Traces per block: about 1-2 MB per working array for 100-point traces.
CHUNK = 2048
#: Fits with model-based binomial weights when ``shots`` is given.
REWEIGHT_PASSES = 2


def _critical(level: float, dof: np.ndarray, absolute: bool, redchi: np.ndarray) -> np.ndarray:
    """Critical chi-square increase of a one-parameter profile at ``level``."""
    if absolute:
        return np.full(dof.shape, special.chdtri(1, 1 - level))
    quantile = per_unique(lambda d: special.fdtri(1, d, level), np.maximum(dof, 1))
    with np.errstate(invalid="ignore"):
        return np.where(dof > 0, quantile, np.nan) * redchi


#: Below this critical chi-square increase (relative to the data's total sum
#: of squares) the profile is beyond the rounding of chi-square and the
#: (then exact) quadratic approximation is used instead: nearly noiseless data.
PROFILE_RESOLUTION = 1e-8


def _interval(batch, theta, cov, scale, crit, lo, hi, free, profile, limits):
    """Decay-time limits (s) and open-side masks from the rate interval.

    ``cov`` is the scaled covariance and ``crit`` the critical chi-square
    increase, both already multiplied by ``scale`` (1 or the reduced
    chi-square); ``se`` below is the unscaled standard error, so the Wald
    half-width of the rate is ``sqrt(crit) * se``. ``limits(sel, se, crit)``
    computes the profile interval of the traces ``sel``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(cov[:, 0, 0] / scale) if free[0] else np.full(batch.m, np.nan)
    half = np.sqrt(crit) * se
    with np.errstate(invalid="ignore"):
        g_low, g_high = theta[:, 0] - half, theta[:, 0] + half
        open_low, open_high = ~(g_low > lo[:, 0]), ~(g_high < hi[:, 0])
    use = profile & (crit > PROFILE_RESOLUTION * batch.syy)
    if np.any(use):
        sel = np.flatnonzero(use)
        iv = limits(sel, se[sel], crit[sel])
        g_low[sel], g_high[sel], open_low[sel], open_high[sel] = iv.low, iv.high, \
            iv.open_low, iv.open_high
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(open_high, 0.0, batch.t_scale / g_high)
        upper = np.where(open_low, np.inf, batch.t_scale / g_low)
    return lower, upper, open_low, open_high


def _residuals(model: Model, batch: Batch, theta, coef, offset, phi=None) -> np.ndarray:
    if phi is None:
        phi, _ = model.columns(batch.grid, theta)
    r = batch.y - offset[:, None]
    for j, col in enumerate(phi):
        r -= coef[:, j:j + 1] * col
    return r


def _flag_bits(rules: list[tuple[np.ndarray, FitFlag]], flags: np.ndarray) -> np.ndarray:
    for mask, flag in rules:
        flags |= np.where(mask, int(flag), 0)
    return flags


def _solve(model: Model, batch: Batch, start, lo, hi, max_iter: int):
    """The solver for ``model`` and, for a one-rate model, its :class:`.exponential.Sums`.

    One-rate models are fitted on the closed-form 1-D chi-square; the others
    by variable-projection Levenberg-Marquardt.
    """
    if model.one_rate:
        data = exponential.Sums.of(batch)
        sol = exponential.solve(batch, start[:, 0], lo[:, 0], hi[:, 0], max_iter, data)
        if start.shape[1] > 1:  # the fixed parameters stay at their (clipped) start
            theta = np.clip(start, lo, hi)
            theta[:, 0] = sol.theta[:, 0]
            sol.theta = theta
        return sol, data
    return solve(model, batch, start, lo, hi, model.free(), max_iter), None


def _binomial_batch(model: Model, t, y, shots, scalar: bool, max_iter: int):
    """Batch whose weights are the binomial variance of the MODEL, not the data.

    Weights taken from the observed fractions correlate with the noise and
    bias amplitudes and offsets (by ~0.2-0.4 standard errors at 1000 shots);
    iterating fit -> predicted population -> Jeffreys sigma converges to the
    binomial maximum-likelihood estimate instead. Returns the final batch and
    the warm start for it.
    """
    sigma = binomial_sigma(np.clip(np.nan_to_num(y, nan=0.5), 0.0, 1.0), shots)
    theta = None
    for _ in range(REWEIGHT_PASSES):
        batch = build(t, y, sigma, scalar)
        lo, hi = model.bounds(batch)
        start = model.guess(batch) if theta is None else theta
        sol, data = _solve(model, batch, start, lo, hi, max_iter)
        theta = sol.theta
        pred = batch.y - _residuals(model, batch, theta, sol.coef, sol.offset,
                                    None if data is None else (sol.e,))
        sigma = binomial_sigma(np.clip(np.nan_to_num(pred, nan=0.5), 0.0, 1.0), shots)
    return build(t, y, sigma, scalar), theta


def _limits(model: Model, batch: Batch, sol, data, lo, hi, free):
    """``limits(sel, se, crit)`` for :func:`_interval`: the profile interval."""
    def limits(sel: np.ndarray, se: np.ndarray, crit: np.ndarray):
        full = sel.size == batch.m
        if data is not None:
            part = sol if full else rate_profile.subset(sol, sel)
            return rate_profile.profile_interval(
                part, crit, se, lo[sel, 0], hi[sel, 0],
                lambda idx, k: exponential.evaluate(data.rows(sel[idx]), k),
                lambda idx, k: exponential.Model.at(data.rows(sel[idx]), k))
        sub = batch if full else batch.slice(sel)
        return profile_rate_interval(model, sub, sol.theta[sel], sol.chi2[sel], se, crit,
                                     lo[sel], hi[sel], free)
    return limits


def _fit_block(model: Model, batch: Batch, level: float, max_iter: int, profile: bool,
               theta0: np.ndarray | None = None) -> dict[str, Any]:
    """Fit one block of traces; every returned array has one row per trace."""
    free = model.free()
    lo, hi = model.bounds(batch)
    start = model.guess(batch) if theta0 is None else theta0
    sol, data = _solve(model, batch, start, lo, hi, max_iter)
    sol.theta, sol.coef = model.canonical(sol.theta, sol.coef)
    if model.relabels:
        which = tuple(j for j, f in enumerate(free) if f)
        sol.normal = evaluate(model, batch, np.arange(batch.m), sol.theta, which).normal
    r = _residuals(model, batch, sol.theta, sol.coef, sol.offset,
                   None if data is None else (sol.e,))
    chi2 = np.einsum("mn,mn->m", batch.w * r, r)
    z = runs_z(r, batch.valid, batch.all_valid)
    return finish(model, batch, sol, chi2, z, lo, hi, level, profile,
                  _limits(model, batch, sol, data, lo, hi, free))


def finish(model: Model, meta, sol, chi2, z, lo, hi, level: float, profile: bool,
           limits) -> dict[str, Any]:
    """Covariance, reported parameters, interval and flags from a solution.

    ``meta`` is the :class:`.data.Batch` or any object with its per-trace
    fields ``m``, ``n_valid``, ``absolute``, ``syy``, ``t_scale``, ``span``,
    ``dt_min``, ``dt_med``; ``chi2`` and ``z`` are the residual chi-square and
    runs-test score, ``limits`` computes the profile interval (see
    :func:`_interval`).
    """
    free = model.free()
    which = tuple(j for j, f in enumerate(free) if f)
    n_params = len(which) + model.n_columns + 1
    theta, coef = sol.theta, sol.coef
    dof = meta.n_valid - n_params
    with np.errstate(divide="ignore", invalid="ignore"):
        redchi = np.where(dof > 0, chi2 / dof, np.nan)
    scale = np.ones(meta.m) if meta.absolute else redchi
    cov, good = internal_covariance(sol.normal, scale)
    values, cov_phys = propagate(model, theta, coef, sol.offset, meta.t_scale, which, cov)
    sd = np.sqrt(np.einsum("mii->mi", cov_phys))
    stderr_ok = np.ones(meta.m, dtype=bool)  # a finite value needs a finite stderr
    for j, name in enumerate(model.names):
        stderr_ok &= np.isfinite(sd[:, j]) | ~np.isfinite(values[name])
    crit = _critical(level, dof, meta.absolute, redchi)
    lower, upper, open_low, open_high = _interval(meta, theta, cov, scale, crit, lo, hi, free,
                                                  profile, limits)
    flags = _flag_bits([
        (dof < 1, FitFlag.TOO_FEW_POINTS),
        (~sol.converged, FitFlag.NOT_CONVERGED),
        (~good | ~stderr_ok, FitFlag.BAD_COVARIANCE),
        (at_bound(theta, lo, hi, free), FitFlag.AT_BOUND),
        (unresolved(theta, meta, model.rate_cols, model.freq_cols) | open_high,
         FitFlag.UNRESOLVED),
        (open_low, FitFlag.LOWER_BOUND_ONLY),
    ], statistical_flags(meta, chi2, z, n_params, len(model.freq_cols)))
    n = meta.n_valid
    with np.errstate(divide="ignore", invalid="ignore"):
        fit_term = chi2 if meta.absolute else n * np.log(chi2 / n)
    return {
        "values": values, "stderr": {name: sd[:, j] for j, name in enumerate(model.names)},
        "covariance": cov_phys, "chisq": chi2, "dof": dof, "redchi": redchi, "n_points": n,
        "aic": fit_term + 2 * n_params, "bic": fit_term + n_params * np.log(n),
        "converged": sol.converged, "flags": flags, "lower": lower, "upper": upper,
    }


def _concat(parts: list[Any]) -> Any:
    if isinstance(parts[0], dict):
        return {key: _concat([p[key] for p in parts]) for key in parts[0]}
    return np.concatenate(parts)


def _check(level: float, max_iter: int, sigma: Any, shots: Any) -> None:
    if not 0 < level < 1:
        raise FitError(f"level must lie in (0, 1), got {level}")
    if max_iter < 1:
        raise FitError(f"max_iter must be >= 1, got {max_iter}")
    if shots is not None and sigma is not None:
        raise FitError("give sigma or shots, not both",
                       fix="shots derives sigma from the binomial variance of the model")


def fit_model(model: Model, t: Any, y: Any, sigma: Any = None, *, shots: Any = None,
              level: float = 0.95, max_iter: int = 50, profile: bool = True,
              workers: int | None = None) -> tuple[dict[str, Any], bool]:
    """Fit any separable model; returns the result fields and whether input was 1-D.

    With ``shots`` (instead of ``sigma``) ``y`` are measured populations and
    the weights are the binomial variances of the fitted model (iterated).
    ``workers`` threads fit blocks in parallel (default: one per CPU);
    one-rate models without ``shots`` go through the staged fit of
    :mod:`.onerate`, one contiguous group of traces per thread. The fields
    are per-trace arrays; ``values``/``stderr`` hold the reported parameters
    and ``lower``/``upper`` the decay-time interval (s).
    """
    _check(level, max_iter, sigma, shots)
    t2, y2, s2, scalar = validate(t, y, sigma)
    n2 = None if shots is None else np.broadcast_to(np.asarray(shots, dtype=float), y2.shape)
    n_traces = y2.shape[0]

    def block(start: int) -> dict[str, Any]:
        sl = slice(start, start + CHUNK)
        tb = t2 if t2.shape[0] == 1 else t2[sl]
        part = model.block(sl, y2.shape[0])
        if n2 is not None:
            batch, theta0 = _binomial_batch(part, tb, y2[sl], n2[sl], scalar, max_iter)
            return _fit_block(part, batch, level, max_iter, profile, theta0)
        batch = build(tb, y2[sl], None if s2 is None else s2[sl], scalar)
        return _fit_block(part, batch, level, max_iter, profile)

    # blocks of traces bound the working set; each block is fully vectorised
    n_threads = min(-(-n_traces // CHUNK), workers or os.cpu_count() or 1)
    threaded = n_threads > 1
    with short_switch_interval() if threaded else nullcontext(), \
            ThreadPoolExecutor(n_threads) if threaded else nullcontext() as pool:
        if model.one_rate and n2 is None:
            job = onerate.Job(model, t2, y2, s2, scalar, level, max_iter, profile, CHUNK)
            out = _concat(onerate.fit_all(job) if pool is None
                          else onerate.fit_groups(job, pool, n_threads))
        else:
            starts = range(0, n_traces, CHUNK)
            out = _concat(list(map(block, starts) if pool is None else pool.map(block, starts)))
    values, stderr = out["values"], out["stderr"]
    fields = {
        "model": model.name, "amplitude": values["amplitude"],
        "amplitude_stderr": stderr["amplitude"], "offset": values["offset"],
        "offset_stderr": stderr["offset"], "ok": out["flags"] == 0, "level": level,
        "absolute_sigma": s2 is not None or n2 is not None, "params": values, "stderrs": stderr,
        "param_names": model.names, "evaluator": model,
    }
    return {**out, **fields}, scalar


__all__ = ["CHUNK", "fit_model"]
