"""Batched variable-projection Levenberg-Marquardt solver.

For each trace the amplitudes and offset are eliminated in closed form
(weighted linear least squares, :func:`~.linalg.separable_linear`), leaving a
small nonlinear problem in the rates/frequency/exponents. Its Gauss-Newton
matrix uses Kaufman's approximation of the projected Jacobian
``J = -P_perp dPhi/dtheta a``; it is exact at zero residual and converges
super-linearly. Damping (Marquardt, scaled by the diagonal) is kept per trace,
bounds are enforced by projection, and traces leave the iteration as soon as
they converge, so every iteration works on the still-active traces only. The
loop runs over iterations, never over traces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.analysis.coherence.data import Batch
from cryochar.analysis.coherence.linalg import RIDGE, solve_small
from cryochar.analysis.coherence.models import Model
from cryochar.analysis.coherence.sums import DirectSums

#: Relative chi-square gain, predicted by the next Gauss-Newton step, below
#: which a trace has converged: the parameters are then within ~1e-3
#: standard errors of the optimum (for chi-square ~ 100).
FTOL = 1e-8
#: Relative step size below which the search ends.
XTOL = 1e-10
#: Damping above which no descent direction is left (a stationary point).
LAMBDA_MAX = 1e10


@dataclass
class Evaluation:
    """Model at given theta for a subset of traces (internal).

    With derivatives, ``hess``/``grad`` form the reduced Gauss-Newton system
    of the free nonlinear parameters and ``normal`` is the full normal matrix
    ``J^T W J`` over ``[free nonlinear..., amplitudes..., offset]``.
    """

    chi2: np.ndarray
    coef: np.ndarray
    offset: np.ndarray
    hess: np.ndarray | None = None
    grad: np.ndarray | None = None
    normal: np.ndarray | None = None


@dataclass
class Solution:
    """Result of :func:`solve` for the selected traces (internal, scaled units)."""

    theta: np.ndarray
    coef: np.ndarray
    offset: np.ndarray
    chi2: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    normal: np.ndarray | None = None


def evaluate(model: Model, batch: Batch, idx: np.ndarray, theta: np.ndarray,
             which: tuple[int, ...] = ()) -> Evaluation:
    """chi-square, amplitudes and (if ``which``) the Gauss-Newton system.

    Everything is computed from weighted sums over the points
    (:mod:`.sums`) and closed-form algebra on per-trace arrays: the amplitude
    problem is centred on the weighted means, so the offset separates
    exactly. ``idx`` selects traces of ``batch``; ``theta`` has one row per
    selected trace; ``which`` lists the nonlinear parameters to differentiate.
    """
    full = idx.size == batch.m
    grid = batch.grid if full else batch.grid.rows(idx)
    y = batch.y if full else batch.y[idx]
    sw, ybar, syy = batch.sw[idx], batch.ybar[idx], batch.syy[idx]
    w = None if batch.unit_weights else (batch.w if full else batch.w[idx])
    phi, aux = model.columns(grid, theta)
    sums = DirectSums(phi, y, w)
    Sp, Spp, Spy = sums.zeroth()
    pbar = Sp / sw[:, None]
    G = Spp - Sp[:, :, None] * pbar[:, None, :]
    G += (RIDGE * np.einsum("mii->m", G) + 1e-300)[:, None, None] * np.eye(len(phi))
    h = Spy - Sp * ybar[:, None]
    coef = solve_small(G, h)
    offset = ybar - np.einsum("mk,mk->m", coef, pbar)
    chi2 = np.maximum(syy - np.einsum("mk,mk->m", h, coef), 0.0)
    if not which:
        return Evaluation(chi2, coef, offset)
    Sd, Sdd, Sdp, Sdy = sums.derivative(model.derivatives(grid, theta, coef, aux, which))
    U = Sdp - Sd[:, :, None] * pbar[:, None, :]
    GiUt = np.stack([solve_small(G, U[:, j, :]) for j in range(U.shape[1])], axis=1)
    hess = Sdd - Sd[:, :, None] * Sd[:, None, :] / sw[:, None, None] - np.einsum(
        "mqk,mpk->mqp", U, GiUt)
    grad = Sdy - Sd * ybar[:, None] - np.einsum("mqk,mk->mq", U, coef)
    top = np.concatenate([Sdd, Sdp, Sd[:, :, None]], axis=2)
    mid = np.concatenate([np.swapaxes(Sdp, 1, 2), Spp, Sp[:, :, None]], axis=2)
    bot = np.concatenate([Sd, Sp, sw[:, None]], axis=1)[:, None, :]
    return Evaluation(chi2, coef, offset, hess, grad, np.concatenate([top, mid, bot], axis=1))


def _gn_system(hess, grad, theta, lo, hi):
    """Gauss-Newton system with parameters frozen on a bound that the
    gradient pushes against (an active-set projection)."""
    frozen = ((theta <= lo) & (grad < 0)) | ((theta >= hi) & (grad > 0))
    keep = (~frozen).astype(float)
    eye = np.eye(hess.shape[1])
    return hess * keep[:, :, None] * keep[:, None, :] + frozen[:, :, None] * eye, grad * keep


def _damped(H: np.ndarray, g: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Levenberg-Marquardt step with damping scaled by the diagonal."""
    diag = np.einsum("mii->mi", H)
    floor = 1e-12 * np.max(np.abs(diag), axis=1, keepdims=True) + 1e-300
    damp = lam[:, None] * np.maximum(diag, floor) + np.where(diag > floor, 0.0, floor)
    return solve_small(H + damp[:, :, None] * np.eye(H.shape[1]), g)


def _converged(H, g, chi2, theta):
    """Undamped Gauss-Newton step predicts a negligible gain or a negligible move."""
    step = solve_small(H, g)
    gain = np.einsum("mq,mq->m", g, step)
    tiny_step = (np.abs(step) <= XTOL * (np.abs(theta) + XTOL)).all(axis=1)
    return np.isfinite(gain) & ((gain <= FTOL * chi2 + 1e-300) | tiny_step)


def solve(model: Model, batch: Batch, theta0: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          free: tuple[bool, ...], max_iter: int = 50,
          idx: np.ndarray | None = None) -> Solution:
    """Minimise chi-square over the free nonlinear parameters of every trace.

    ``theta0``, ``lo`` and ``hi`` have shape ``(len(idx), p)``; ``free`` marks
    the fitted columns (the others stay at ``theta0``). A trace converges when
    the undamped Gauss-Newton step predicts a chi-square gain below ``FTOL``
    (relative) or moves every parameter by less than ``XTOL`` (relative), or
    when no damping finds a descent (``LAMBDA_MAX``). ``max_iter`` bounds the
    number of trial evaluations. Returns a :class:`Solution` for ``idx``.
    """
    idx = np.arange(batch.m) if idx is None else idx
    which = tuple(j for j, f in enumerate(free) if f)
    theta = np.clip(theta0, lo, hi)
    ev = evaluate(model, batch, idx, theta, which)
    m = idx.size
    state = Solution(theta, ev.coef, ev.offset, ev.chi2, np.zeros(m, bool), np.zeros(m, int),
                     ev.normal)
    if not which:
        state.converged[:] = True
        return state
    hess, grad = ev.hess, ev.grad
    lam = np.full(m, 1e-3)
    active = np.arange(m)
    cols = np.array(which)
    for it in range(max_iter + 1):
        old = state.theta[active]
        lo_a, hi_a = lo[active][:, cols], hi[active][:, cols]
        H, g = _gn_system(hess[active], grad[active], old[:, cols], lo_a, hi_a)
        done = _converged(H, g, state.chi2[active], old[:, cols]) | (lam[active] > LAMBDA_MAX)
        state.converged[active[done]] = True
        keep = ~done
        active, old, H, g, lo_a, hi_a = active[keep], old[keep], H[keep], g[keep], \
            lo_a[keep], hi_a[keep]
        if active.size == 0 or it == max_iter:
            break
        step = _damped(H, g, lam[active])
        trial = old.copy()
        trial[:, cols] = np.clip(old[:, cols] + step, lo_a, hi_a)
        ev = evaluate(model, batch, idx[active], trial, which)
        chi2_old = state.chi2[active]
        better = np.isfinite(ev.chi2) & (ev.chi2 < chi2_old) & np.isfinite(step).all(axis=1)
        acc = active[better]
        state.theta[acc], state.coef[acc] = trial[better], ev.coef[better]
        state.offset[acc], state.chi2[acc] = ev.offset[better], ev.chi2[better]
        hess[acc], grad[acc], state.normal[acc] = ev.hess[better], ev.grad[better], \
            ev.normal[better]
        state.iterations[active] += 1
        lam[active] = np.where(better, np.maximum(lam[active] * 0.1, 1e-12), lam[active] * 10.0)
    return state

__all__ = ["Evaluation", "Solution", "evaluate", "solve"]
