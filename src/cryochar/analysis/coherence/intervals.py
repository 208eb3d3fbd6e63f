"""Profile-likelihood interval of the decay rate, vectorised over traces.

For the rate ``g = theta[:, 0]`` the profile ``chi2_p(g)`` minimises chi-square
over everything else (amplitudes and offset in closed form, other nonlinear
parameters by a warm-started inner solve). The interval is where
``chi2_p(g) - chi2_min`` stays below a critical value: ``chi2_1`` quantile with
``sigma`` given, or ``F(1, dof)`` quantile times ``chi2_min / dof`` without.
Each side is bracketed by growing a Wald step (the bound is the last try),
then found by the Illinois variant of regula falsi on ``sqrt(delta chi2)``,
which is nearly linear in
``g`` (typically two or three evaluations per side). A side that reaches the
rate bound without crossing the critical value is open: for the low-rate side
that means the decay time has only a lower bound.

Other nonlinear parameters (a Ramsey detuning, an echo exponent) follow the
profile by one Gauss-Newton step per evaluation, warm-started from the
previous point; the chi-square is corrected by the step's predicted gain
(the Schur complement), which is exact to second order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.analysis.coherence.data import Batch
from cryochar.analysis.coherence.linalg import solve_small
from cryochar.analysis.coherence.models import Model
from cryochar.analysis.coherence.varpro import evaluate

MAX_EXPAND = 8
GROWTH = 4.0
MAX_ROOT_ITER = 20
#: Root tolerance on sqrt(delta chi2): the limit is found to ~1e-3 standard errors,
#: which moves the coverage of a 95 % interval by ~1e-4.
ROOT_ATOL = 1e-3


@dataclass(frozen=True)
class RateInterval:
    """Rate limits (scaled units) and whether each side stayed open."""

    low: np.ndarray
    high: np.ndarray
    open_low: np.ndarray
    open_high: np.ndarray


@dataclass
class _Profile:
    model: Model
    batch: Batch
    theta: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    free: tuple[bool, ...]

    def chi2(self, g: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """Profile chi-square at rates ``g`` for traces ``sel`` (warm-started)."""
        th = self.theta[sel].copy()
        th[:, 0] = g
        nuisance = tuple(j for j in range(1, len(self.free)) if self.free[j])
        if not nuisance:
            return evaluate(self.model, self.batch, sel, th).chi2
        ev = evaluate(self.model, self.batch, sel, th, nuisance)
        cols = list(nuisance)
        step = solve_small(ev.hess, ev.grad)
        new = np.clip(th[:, cols] + step, self.lo[sel][:, cols], self.hi[sel][:, cols])
        step = new - th[:, cols]
        gain = 2 * np.einsum("mq,mq->m", ev.grad, step) - np.einsum(
            "mq,mqp,mp->m", step, ev.hess, step)
        ok = np.isfinite(gain) & (gain > 0)
        upd = sel[ok]
        self.theta[np.ix_(upd, cols)] = new[ok]
        return ev.chi2 - np.where(ok, gain, 0.0)


def _predict(dist1, z1, root_crit, slope):
    """Distance from the optimum where z = 0, from the quadratic
    ``z(v) = -sqrt(crit) + slope v + a v^2`` through (dist1, z1)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = (z1 + root_crit - slope * dist1) / dist1**2
        disc = slope**2 + 4 * a * root_crit
        quad = 2 * root_crit / (slope + np.sqrt(np.maximum(disc, 0)))
    return np.where((disc > 0) & np.isfinite(quad) & (quad > 0), quad, np.nan)


def _side(prof: _Profile, g_hat, step, chi2_min, crit, sign, bound):
    """Limit of the rate on one side; ``step`` is the Wald distance to it."""
    m = g_hat.size
    root_crit = np.sqrt(crit)
    g_in, z_in = g_hat.copy(), -root_crit.copy()
    g_out, z_out = np.full(m, np.nan), np.full(m, np.nan)
    is_open = np.zeros(m, dtype=bool)
    pending = np.flatnonzero(np.isfinite(g_hat) & np.isfinite(crit))
    dist = step.copy()
    for k in range(MAX_EXPAND):
        if pending.size == 0:
            break
        cand = g_hat[pending] + sign * dist[pending]
        if k == MAX_EXPAND - 1:
            cand = bound[pending]  # last try: the bound itself decides whether the side is open
        cand = np.maximum(cand, bound[pending]) if sign < 0 else np.minimum(cand, bound[pending])
        z = np.sqrt(np.maximum(prof.chi2(cand, pending) - chi2_min[pending], 0)) - root_crit[
            pending]
        hit = z >= 0
        g_out[pending[hit]], z_out[pending[hit]] = cand[hit], z[hit]
        miss = pending[~hit]
        g_in[miss], z_in[miss] = cand[~hit], z[~hit]
        is_open[miss] = cand[~hit] == bound[miss]
        # next distance: quadratic extrapolation of z, at least GROWTH times further
        d1 = np.abs(cand[~hit] - g_hat[miss])
        guess = _predict(d1, z[~hit], root_crit[miss], root_crit[miss] / step[miss])
        dist[miss] = np.fmax(np.fmin(guess * 1.05, d1 * GROWTH), d1 * 1.5)
        pending = miss[~is_open[miss]]
    is_open[pending] = True
    _illinois(prof, g_in, z_in, g_out, z_out, chi2_min, crit, g_hat, step)
    limit = np.where(np.isfinite(z_out), g_out, np.nan)
    limit = np.where(is_open, bound, limit)
    return limit, is_open


def _illinois(prof, g_in, z_in, g_out, z_out, chi2_min, crit, g_hat, step):
    """Refine brackets in place until the root of z is located.

    While the inner end is still the optimum, the first step uses the
    quadratic model of z (value and Wald slope at the optimum, value at the
    outer end) instead of the chord.
    """
    act = np.flatnonzero(np.isfinite(z_out) & (z_out > 0))
    side = np.zeros(g_hat.size, dtype=int)
    root_crit = np.sqrt(crit)
    for _ in range(MAX_ROOT_ITER):
        if act.size == 0:
            break
        a, b, za, zb = g_in[act], g_out[act], z_in[act], z_out[act]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = b - zb * (b - a) / (zb - za)
            d1 = np.abs(b - g_hat[act])
            quad = g_hat[act] + np.sign(b - g_hat[act]) * _predict(
                d1, zb, root_crit[act], root_crit[act] / step[act])
        first = (a == g_hat[act]) & np.isfinite(quad)
        g = np.where(first, quad, g)
        g = np.where(np.isfinite(g) & ((g - a) * (g - b) < 0), g, 0.5 * (a + b))
        z = np.sqrt(np.maximum(prof.chi2(g, act) - chi2_min[act], 0)) - root_crit[act]
        out = z >= 0
        # Illinois: halve the stale end's function value when the same end is kept twice
        z_in[act] = np.where(out, np.where(side[act] == 1, 0.5 * za, za), z)
        z_out[act] = np.where(out, z, np.where(side[act] == -1, 0.5 * zb, zb))
        g_in[act] = np.where(out, a, g)
        g_out[act] = np.where(out, g, b)
        side[act] = np.where(out, 1, -1)
        done = (np.abs(g_out[act] - g_in[act]) <= 1e-12 * np.abs(g_hat[act])) | (
            np.abs(z) <= ROOT_ATOL)
        g_out[act] = np.where(done & ~out, g, g_out[act])
        act = act[~done]


def profile_rate_interval(model: Model, batch: Batch, theta: np.ndarray, chi2_min: np.ndarray,
                          se: np.ndarray, crit: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          free: tuple[bool, ...]) -> RateInterval:
    """Profile-likelihood limits of ``theta[:, 0]``.

    ``crit`` is the critical chi-square increase per trace (already in
    chi-square units); ``se`` the UNSCALED Wald standard error of the rate
    (``sqrt`` of the inverse normal matrix, not multiplied by the reduced
    chi-square), so that ``delta chi2 ~ ((g - g_hat) / se)^2`` near the optimum.
    """
    g_hat = theta[:, 0]
    step = np.sqrt(crit) * se
    step = np.where(np.isfinite(step) & (step > 0), step, 0.5 * g_hat)
    out = []
    for sign, bound in ((-1.0, lo[:, 0]), (1.0, hi[:, 0])):
        prof = _Profile(model, batch, theta.copy(), lo, hi, free)
        out.append(_side(prof, g_hat, step, chi2_min, crit, sign, bound))
    (low, open_low), (high, open_high) = out
    return RateInterval(low, high, open_low, open_high)


__all__ = ["RateInterval", "profile_rate_interval"]
