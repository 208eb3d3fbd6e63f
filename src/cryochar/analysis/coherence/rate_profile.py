"""Profile-likelihood interval of a single decay rate (one-rate models).

For ``A exp(-k tau) + B`` the projected chi2(k) of :mod:`.exponential` is the
profile chi-square of the rate, so the interval is the pair of roots of
``chi2(k) = chi2_min + crit`` - no nested fit. Each root is found by Newton
steps on ``z = sqrt(chi2 - chi2_min) - sqrt(crit)`` (nearly linear in k),
started from the cubic Taylor expansion of chi2 in ``log k`` at the optimum:

1. on the fit's Taylor polynomial of chi2 (:class:`.exponential.Model`), no
   further pass over the data; a root is kept when the last term of the
   polynomial moves it by less than ``ROOT_RTOL`` (relative), it lies within
   the rate bounds and the model's reach;
2. otherwise on a new Taylor model centred at the root's estimate (one pass
   over the data of those traces);
3. otherwise on real evaluations of chi2 and its derivative, kept in a
   bracket (bisection, or doubling the distance while no point beyond the
   root is known). A side that reaches the rate bound below the critical
   value is open.
"""

from __future__ import annotations

import numpy as np

from cryochar.analysis.coherence.exponential import ORDER, ExpSolution, Model, ipow
from cryochar.analysis.coherence.intervals import RateInterval

#: Largest relative truncation error of a root found on the polynomial
#: (estimated by the last term; far below the statistical uncertainty).
ROOT_RTOL = 1e-7
#: Farthest root (relative to the model's centre rate) taken from the polynomial.
REACH = 0.5
#: Newton steps on real evaluations stop below this step in log k (the
#: quadratic convergence leaves a relative error of order UTOL^2).
UTOL = 3e-4
MAX_ROOT_ITER = 30
#: Largest ``|sqrt(chi2 - chi2_min) - sqrt(crit)|`` (relative to ``sqrt(crit)``)
#: at a settled root on the polynomial; a converged Newton iteration is far
#: closer, a stationary non-root (flat profile) is not.
ROOT_ZTOL = 1e-3
POLY_ROOT_ITER = 8
#: Newton steps on the polynomial stop below this relative step (the step
#: is applied; quadratic convergence leaves an error of its square).
POLY_RTOL = 1e-9


def _taylor_distance(a, b, crit, sign):
    """Distance in ``u = log k`` from the optimum where the cubic Taylor
    expansion ``a v^2 / 2 + sign b v^3 / 6`` of the profile reaches ``crit``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.sqrt(2 * crit / a)
        for _ in range(4):  # fixed point; the cubic term is a small correction
            v = np.sqrt(2 * crit / np.maximum(a + sign * b * v / 3, 0.25 * a))
    return v


def _on_model(model: Model, k_hat, chi2_min, crit, k_start, bound):
    """Roots on the Taylor polynomial from ``k_start``; ``(k, good)``."""
    root = np.sqrt(crit)
    d = k_start - model.k
    settled = np.zeros(d.size, bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(POLY_ROOT_ITER):
            s = np.sqrt(np.maximum(model.chi2(d) - chi2_min, 0.0))
            g = model.chi2(d, 1)
            step = (root - s) * 2 * s / g
            d = np.where(settled, d, d + step)  # settled traces stay put
            settled |= np.abs(step) <= POLY_RTOL * k_hat
            if settled.all():
                break
        # the last term's contribution estimates the truncation error
        error = model.c[0][ORDER] * ipow(d, ORDER) / model.chi2(d, 1)
        k = model.k + d
        # a settled point must be a root: where the profile is flat to rounding
        # (s = 0) the Newton step vanishes without chi2 having risen at all
        good = settled & (np.abs(s - root) <= ROOT_ZTOL * root)
        good &= (np.abs(error) <= ROOT_RTOL * k_hat) & (np.abs(d) <= REACH * model.k)
        good &= ((k - k_hat) * (bound - k_hat) > 0) & ((bound - k) * (bound - k_hat) > 0)
    return k, good


def _side(evaluate_at, u_hat, chi2_min, crit, start, bound, sign):
    """Root on one side in ``u = log k`` from real evaluations, in a bracket.

    ``evaluate_at(idx, k)`` returns chi2 and dchi2/dk of the traces ``idx``.
    Returns ``(u_limit, open)``; a side is open when the bound is reached
    below the critical value.
    """
    m = u_hat.size
    root = np.sqrt(crit)
    u_in, u_out = u_hat.copy(), np.full(m, np.nan)
    limit, is_open = np.full(m, np.nan), np.zeros(m, bool)
    u = np.maximum(start, bound) if sign < 0 else np.minimum(start, bound)
    pending = np.flatnonzero(np.isfinite(u) & np.isfinite(root))
    for _ in range(MAX_ROOT_ITER):
        if pending.size == 0:
            break
        up, bp = u[pending], bound[pending]
        k = np.exp(up)
        chi2, d1 = evaluate_at(pending, k)
        s = np.sqrt(np.maximum(chi2 - chi2_min[pending], 0.0))
        z = s - root[pending]
        out = z >= 0
        u_out[pending[out]], u_in[pending[~out]] = up[out], up[~out]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = up - z * 2 * s / (k * d1)
        a, b = u_in[pending], u_out[pending]
        bracket = np.isfinite(b)
        ok = np.isfinite(new) & np.where(bracket, (new - a) * (new - b) < 0, sign * (new - a) > 0)
        opened = ~out & (up == bp)
        found = ok & (np.abs(new - up) <= UTOL) | bracket & (np.abs(b - a) <= 1e-13)
        limit[pending[found]] = np.where(ok, new, b)[found]
        is_open[pending[opened]] = True
        expand = u_hat[pending] + 2 * (up - u_hat[pending])
        nxt = np.where(ok, new, np.where(bracket, 0.5 * (a + b), expand))
        u[pending] = np.maximum(nxt, bp) if sign < 0 else np.minimum(nxt, bp)
        pending = pending[~(found | opened)]
    # iteration limit: the bracket's outer end, or open if never crossed
    limit[pending] = u_out[pending]
    is_open[pending] |= ~np.isfinite(u_out[pending])
    return np.where(is_open, bound, limit), is_open


def subset(sol: ExpSolution, sel: np.ndarray) -> ExpSolution:
    """The parts of ``sol`` :func:`profile_interval` uses, for traces ``sel``."""
    return ExpSolution(sol.theta[sel], sol.coef[sel], sol.offset[sel], sol.chi2[sel],
                       sol.converged[sel], sol.iterations[sel],
                       curv=tuple(c[sel] for c in sol.curv), model=sol.model.take(sel))


def profile_interval(sol: ExpSolution, crit: np.ndarray, se: np.ndarray, lo: np.ndarray,
                     hi: np.ndarray, evaluate_at, model_at) -> RateInterval:
    """Profile-likelihood limits of the rate (scaled units) for every trace.

    ``crit`` is the critical chi-square increase and ``se`` the unscaled Wald
    standard error of ``k`` (the start where the Taylor expansion fails).
    Where the fit's polynomial is not accurate enough at a root,
    ``model_at(idx, k)`` builds new Taylor models of traces ``idx`` at the
    root estimates; where that fails too, ``evaluate_at(idx, k)`` evaluates
    chi2 and dchi2/dk directly.
    """
    k_hat = sol.theta[:, 0]
    u_hat = np.log(k_hat)
    a, b = sol.curv
    with np.errstate(divide="ignore", invalid="ignore"):
        wald = np.sqrt(crit) * se / k_hat
    out = []
    for sign, bound in ((-1.0, lo), (1.0, hi)):
        v = _taylor_distance(a, b, crit, sign)
        v = np.where(np.isfinite(v) & (v > 0), v,
                     np.where(np.isfinite(wald) & (wald > 0), wald, 0.5))
        start = u_hat + sign * v
        with np.errstate(over="ignore"):
            k_start = np.exp(start)
        k, good = _on_model(sol.model, k_hat, sol.chi2, crit, k_start, bound)
        rest = np.flatnonzero(~good)
        if rest.size:  # a model centred at the estimate of the root
            inside = np.isfinite(k[rest]) & ((bound[rest] - k[rest]) * sign > 0) & (k[rest] > 0)
            centre = np.where(inside, k[rest], np.minimum(k_start[rest], hi[rest]))
            k[rest], again = _on_model(model_at(rest, centre), k_hat[rest], sol.chi2[rest],
                                       crit[rest], centre, bound[rest])
            rest = rest[~again]
        is_open = np.zeros(k.size, bool)
        if rest.size:
            u, is_open[rest] = _side(lambda idx, k, rest=rest: evaluate_at(rest[idx], k),
                                     u_hat[rest], sol.chi2[rest], crit[rest], start[rest],
                                     np.log(bound[rest]), sign)
            k[rest] = np.exp(u)
        out.append((k, is_open))
    (low, open_low), (high, open_high) = out
    return RateInterval(low, high, open_low, open_high)


__all__ = ["profile_interval", "subset"]
