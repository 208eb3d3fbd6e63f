"""Quality tests that turn a fit into flags (see :mod:`.flags`).

All tests are vectorised over traces and use the significance level
:data:`~.flags.ALPHA`:

* reduced chi-square: ``P(chi2_dof > chi2) < ALPHA`` (only with ``sigma``);
* residual structure: Wald-Wolfowitz runs test on the residual signs in time
  order, one-sided (too few runs), normal approximation;
* contrast: likelihood-ratio test of the model against a constant
  (chi-square with ``P - 1`` degrees of freedom, or the F test when the noise
  level is estimated from the residuals);
* resolvability: decay times against the smallest step and the window,
  Ramsey detuning against the window and the Nyquist frequency.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from cryochar.analysis.coherence.data import Batch
from cryochar.analysis.coherence.flags import ALPHA, RESOLVE_SPAN_FACTOR, FitFlag

#: Relative distance to a bound below which a parameter counts as on it.
BOUND_RTOL = 1e-6
#: One-sided critical z of the runs test at level ALPHA.
Z_RUNS = float(stats.norm.ppf(ALPHA))


def per_unique(func, keys: np.ndarray) -> np.ndarray:
    """``func`` evaluated once per distinct value of ``keys`` (an integer array)."""
    if keys.size and keys.min() == keys.max():
        return np.full(keys.shape, float(np.asarray(func(keys[:1]), dtype=float)[0]))
    uniq, inverse = np.unique(keys, return_inverse=True)
    return np.asarray(func(uniq), dtype=float)[inverse]


def _run_counts(r: np.ndarray, valid: np.ndarray, all_valid: bool):
    """Numbers of positive and negative residuals and of sign runs per trace."""
    if all_valid:
        s = (r > 0).astype(float)
        n_pos = np.einsum("mn->m", s)
        # sign changes = sum (s_i - s_{i-1})^2 for 0/1 signs
        same = np.einsum("mn,mn->m", s[:, 1:], s[:, :-1])
        changes = 2 * n_pos - s[:, 0] - s[:, -1] - 2 * same
        return n_pos, r.shape[1] - n_pos, changes + 1
    s = np.where(valid, np.where(r > 0, 1.0, -1.0), 0.0)
    n_pos = (s > 0).sum(axis=1)
    n_neg = (s < 0).sum(axis=1)
    pos = np.where(s != 0, np.arange(s.shape[1]), -1)
    last = np.maximum.accumulate(pos, axis=1)
    prev = np.take_along_axis(s, np.maximum(last[:, :-1], 0), axis=1)
    prev = np.where(last[:, :-1] >= 0, prev, 0.0)
    cur = s[:, 1:]
    changes = ((cur != 0) & (prev != 0) & (cur != prev)).sum(axis=1)
    return n_pos, n_neg, changes + ((n_pos + n_neg) > 0)


def runs_z(r: np.ndarray, valid: np.ndarray, all_valid: bool = False) -> np.ndarray:
    """z-score of the number of sign runs of ``r`` along the last axis.

    Invalid points are skipped. Negative z means fewer runs than chance
    (residuals that stay on one side of the model for long stretches).
    """
    n_pos, n_neg, runs = _run_counts(r, valid, all_valid)
    n = n_pos + n_neg
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = 2.0 * n_pos * n_neg / n + 1.0
        var = (mu - 1.0) * (mu - 2.0) / (n - 1.0)
        z = (runs - mu) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


def at_bound(theta: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             free: tuple[bool, ...]) -> np.ndarray:
    """True where a free parameter lies on its lower or upper bound."""
    cols = [j for j, f in enumerate(free) if f]
    th, lo, hi = theta[:, cols], lo[:, cols], hi[:, cols]
    tol = BOUND_RTOL * np.maximum(np.maximum(np.abs(lo), np.abs(hi) * BOUND_RTOL), 1e-300)
    return ((th <= lo + tol) | (th >= hi - BOUND_RTOL * np.abs(hi))).any(axis=1)


def unresolved(theta: np.ndarray, batch: Batch, rate_cols: tuple[int, ...],
               freq_cols: tuple[int, ...]) -> np.ndarray:
    """True where a fitted time scale is outside what the sampling resolves."""
    out = np.zeros(batch.m, dtype=bool)
    for j in rate_cols:
        time = 1.0 / theta[:, j]
        out |= (time < batch.dt_min) | (time > RESOLVE_SPAN_FACTOR * batch.span)
    for j in freq_cols:
        f = theta[:, j]
        out |= (f * batch.span < 0.5) | (f > 0.5 / batch.dt_med)
    return out


def statistical_flags(batch: Batch, chi2: np.ndarray, z: np.ndarray, n_params: int,
                      searched: int = 0) -> np.ndarray:
    """Bits for high reduced chi-square, structured residuals and low contrast.

    ``batch`` needs ``m``, ``n_valid``, ``absolute`` and ``syy`` only; ``z`` is
    the :func:`runs_z` score of the residuals.

    ``searched`` counts frequency parameters: their search over about
    ``n / 2`` independent frequencies is a look-elsewhere effect, so the
    contrast test's level is divided by that number (Bonferroni).
    """
    dof = batch.n_valid - n_params
    d = np.maximum(dof, 1)
    flags = np.zeros(batch.m, dtype=np.int64)
    if batch.absolute:
        limit = per_unique(lambda v: special.chdtri(v, ALPHA), d)
        flags |= np.where((dof > 0) & (chi2 > limit), int(FitFlag.HIGH_REDCHI), 0)
    # a residual at rounding level has no meaningful sign structure
    noisy = chi2 > 1e-20 * batch.syy
    flags |= np.where(noisy & (z < Z_RUNS), int(FitFlag.STRUCTURED_RESIDUALS), 0)
    gain = batch.syy - chi2
    df = n_params - 1
    n_freq = np.maximum(batch.n_valid // 2, 1) ** searched
    with np.errstate(divide="ignore", invalid="ignore"):
        if batch.absolute:
            weak = ~(gain >= per_unique(lambda v: special.chdtri(df, ALPHA / v), n_freq))
        else:
            f_stat = (gain / df) / (chi2 / d)
            key = n_freq * 100000 + d  # unique (look-elsewhere factor, dof) pairs
            weak = ~(f_stat >= per_unique(
                lambda k: special.fdtri(df, k % 100000, 1 - ALPHA / (k // 100000)), key))
    flags |= np.where(weak & (dof > 0), int(FitFlag.LOW_CONTRAST), 0)
    return flags


__all__ = ["BOUND_RTOL", "at_bound", "runs_z", "statistical_flags", "unresolved"]
