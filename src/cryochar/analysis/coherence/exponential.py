"""Single-exponential (T1) fits on the one-dimensional projected chi-square.

After variable projection ``A exp(-k tau) + B`` has one nonlinear parameter,
the rate ``k``. With ``e = exp(-k tau)`` and the weighted sums

    S_p = sum w tau^p e,    Q_p = sum w tau^p e^2,    P_p = sum w tau^p e y,

the amplitude and offset are closed-form, ``A = h / G`` and
``B = ybar - A S_0 / sw`` with ``G = Q_0 - S_0^2 / sw``, ``h = P_0 - S_0 ybar``,
and

    chi2(k) = syy - h^2 / G.

Since ``dS_p/dk = -S_{p+1}`` (likewise ``Q``, ``P``), the sums up to ``p = 2``
(or 3) give chi2 and its first two (three) derivatives in closed form from one
exponential and three weighted reductions per trace. This chi2(k) is exactly
the profile chi-square of the rate, so

* the fit is a safeguarded Newton iteration on ``u = log k`` (:func:`solve`),
  with the same stopping rule as :func:`.varpro.solve`;
* the profile-likelihood interval is the pair of roots of
  ``chi2(k) = chi2_min + crit`` (:func:`profile_interval`): started from the
  cubic Taylor expansion at the optimum and refined by Halley steps on
  ``sqrt(chi2 - chi2_min)``, typically one evaluation per side, no nested fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.analysis.coherence.data import Batch
from cryochar.analysis.coherence.intervals import RateInterval
from cryochar.analysis.coherence.linalg import RIDGE
from cryochar.analysis.coherence.varpro import FTOL, XTOL, Solution

#: Largest Newton step relative to the rate.
MAX_STEP = 4.0
#: Trust radius (relative to k) below which no descent is left: a stationary point.
MIN_RADIUS = 1e-14
#: A trial point whose chi-square exceeds the current one by less than this
#: fraction of ``syy`` (rounding of ``syy - h^2 / G``) is still accepted.
TIE_RTOL = 1e-14
#: Newton steps on the profile stop below this step in log k: the quadratic
#: convergence leaves a relative error of order UTOL^2 in the limit.
UTOL = 3e-4
MAX_ROOT_ITER = 30


@dataclass(frozen=True, eq=False)
class Sums:
    """Per-block data for the sums: ``tau`` ``(1, n)`` or ``(m, n)``, weights
    ``w`` (None: all 1), ``wyc = w * (y - ybar)``, powers ``tau^p`` (p = 1..3,
    each ``(1, n)`` or ``(m, n)``), and ``sw``, ``ybar``, ``syy``."""

    tau: np.ndarray
    w: np.ndarray | None
    wyc: np.ndarray
    powers: list[np.ndarray]
    sw: np.ndarray
    ybar: np.ndarray
    syy: np.ndarray

    @classmethod
    def of(cls, batch: Batch) -> Sums:
        tau = batch.tau
        w = None if batch.unit_weights else batch.w
        powers = [tau, tau * tau, tau * tau * tau]
        return cls(tau, w, batch.wyc, powers, batch.sw, batch.ybar, batch.syy)

    def rows(self, idx: np.ndarray) -> Sums:
        """The data of traces ``idx`` (gathered)."""
        if idx.size == self.wyc.shape[0]:
            return self
        if self.tau.shape[0] == 1:
            tau, powers = self.tau, self.powers
        else:
            tau, powers = self.tau[idx], [p[idx] for p in self.powers]
        return Sums(tau, None if self.w is None else self.w[idx], self.wyc[idx], powers,
                    self.sw[idx], self.ybar[idx], self.syy[idx])

    def decay(self, k: np.ndarray) -> np.ndarray:
        """``exp(-k tau)`` ``(m, n)``."""
        x = np.multiply(k[:, None], self.tau)
        return np.exp(np.negative(x, out=x), out=x)

    def reduce(self, a: np.ndarray, order: int) -> np.ndarray:
        """``sum a tau^p`` for ``p = 0..order``, shape ``(m, order + 1)``.

        Row dots, not BLAS: a BLAS product's rounding depends on the row's
        position in the batch, and results must not depend on the blocking.
        """
        out = np.empty((a.shape[0], order + 1))
        out[:, 0] = np.einsum("mn->m", a)
        for p in range(1, order + 1):
            out[:, p] = np.einsum("mn,mn->m", a, np.broadcast_to(self.powers[p - 1], a.shape))
        return out


@dataclass
class Point:
    """chi2, amplitude ``A``, weighted mean ``ebar`` of the basis column (the
    offset is ``ybar - A ebar``) and dchi2/dk^j at a rate (all ``(m,)``), plus
    the sums the normal matrix needs (``S`` ``(m, 2+)``, ``Q`` ``(m, 3+)``)."""

    chi2: np.ndarray
    A: np.ndarray
    ebar: np.ndarray
    S: np.ndarray
    Q: np.ndarray
    d1: np.ndarray | None = None
    d2: np.ndarray | None = None
    d3: np.ndarray | None = None

    def take(self, mask: np.ndarray) -> Point:
        return Point(*(None if v is None else v[mask] for v in vars(self).values()))

    def put(self, idx: np.ndarray, other: Point) -> None:
        for name in ("chi2", "A", "ebar", "S", "Q", "d1"):
            getattr(self, name)[idx] = getattr(other, name)


def evaluate(d: Sums, k: np.ndarray, order: int = 2) -> tuple[np.ndarray, Point]:
    """``e = exp(-k tau)`` ``(m, n)`` and the :class:`Point` at rates ``k``.

    ``order`` (1..3) is the highest derivative of chi2 computed; the sums of
    the normal matrix are always included.
    """
    e = d.decay(k)
    work = np.empty(e.shape) if d.w is None else np.multiply(d.w, e)
    S = d.reduce(e if d.w is None else work, order)
    Q = d.reduce(np.multiply(e if d.w is None else work, e, out=work), max(order, 2))
    H = d.reduce(np.multiply(e, d.wyc, out=work), order)
    return e, _algebra(S, Q, H, d.sw, d.syy, order)


def _algebra(S, Q, H, sw, syy, order) -> Point:
    """chi2 and its k-derivatives from the sums (see the module docstring);
    ``H_p = sum w (y - ybar) tau^p e``, so ``h = H_0`` and ``h^(j) = (-1)^j H_j``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ebar = S[:, 0] / sw
        G = Q[:, 0] - S[:, 0] * ebar
        G += RIDGE * G + 1e-300  # as the general solver: a vanishing column gives A = 0
        h = H[:, 0]
        A = h / G
        pt = Point(np.maximum(syy - h * A, 0.0), A, ebar, S, Q)
        G1 = 2 * (S[:, 0] * S[:, 1] / sw - Q[:, 1])
        A1 = (-H[:, 1] - A * G1) / G
        pt.d1 = A * (A * G1 + 2 * H[:, 1])
        if order == 1:
            return pt
        G2 = 4 * Q[:, 2] - 2 * (S[:, 1] ** 2 + S[:, 0] * S[:, 2]) / sw
        pt.d2 = A * (A * G2 - 2 * H[:, 2]) - 2 * G * A1 * A1
        if order == 2:
            return pt
        G3 = 2 * (3 * S[:, 1] * S[:, 2] + S[:, 0] * S[:, 3]) / sw - 8 * Q[:, 3]
        A2 = (H[:, 2] - 2 * A1 * G1 - A * G2) / G
        pt.d3 = -(2 * A1 * H[:, 2] - 2 * A * H[:, 3] - 2 * A * A1 * G2 - A * A * G3
                  + 2 * G1 * A1 * A1 + 4 * G * A1 * A2)
    return pt


@dataclass
class ExpSolution(Solution):
    """:class:`.varpro.Solution` plus the basis column at the optimum and
    the log-rate curvature of chi2 (2nd and 3rd derivatives) there."""

    e: np.ndarray | None = None
    curv: tuple[np.ndarray, np.ndarray] | None = None


def _newton_step(k, g, H, chi2, radius, lo, hi):
    """Newton step on k (bounded by ``radius * k``) and which traces have converged."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        convex = H > 0
        step = np.where(convex, -g / H, -np.sign(g) * radius * k)
        gain = np.where(convex, 0.5 * g * g / H, np.inf)
    done = ((k <= lo) & (g >= 0)) | ((k >= hi) & (g <= 0)) | ~np.isfinite(step)
    done |= (gain <= FTOL * chi2 + 1e-300) | (np.abs(step) <= XTOL * k)
    done |= radius < MIN_RADIUS
    return np.clip(step, -radius * k, radius * k), done


def solve(batch: Batch, k0: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_iter: int = 50,
          order: int = 2, data: Sums | None = None) -> ExpSolution:
    """Minimise chi2(k) for every trace by safeguarded Newton steps.

    The start is evaluated with the exact second (``order=3``: and third)
    derivative; later points with the first only, the curvature then being
    the secant of the exact gradients (super-linear in 1-D). A step is at
    most ``radius * k`` (the radius grows on success and shrinks on failure;
    a step down may reach the lower bound at once); bounds are enforced by
    projection. A trace converges as in :func:`.varpro.solve`: the Newton step
    predicts a relative gain below ``FTOL`` or moves ``k`` by less than
    ``XTOL`` (relative), it sits on a bound the gradient pushes against, or no
    step finds a descent. ``max_iter`` bounds the trial evaluations.
    """
    d = Sums.of(batch) if data is None else data
    m = batch.m
    k = np.clip(k0, lo, hi)
    E, pt = evaluate(d, k, max(order, 2))
    curv, d3 = pt.d2.copy(), pt.d3
    pt = Point(pt.chi2, pt.A, pt.ebar, pt.S[:, :2].copy(), pt.Q[:, :3].copy(), pt.d1)
    radius, conv, iters = np.full(m, 1.0), np.zeros(m, bool), np.zeros(m, int)
    active = np.arange(m)
    for it in range(max_iter + 1):
        part = pt if active.size == m else pt.take(active)
        step, done = _newton_step(k[active], part.d1, curv[active], part.chi2, radius[active],
                                  lo[active], hi[active])
        conv[active[done]] = True
        if done.any():
            active, step, part = active[~done], step[~done], part.take(~done)
        if active.size == 0 or it == max_iter:
            break
        k_old = k[active]
        trial = np.clip(k_old + step, lo[active], hi[active])
        e, new = evaluate(d.rows(active), trial, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = (new.d1 - part.d1) / (trial - k_old)
        curv[active] = np.where(np.isfinite(secant) & (secant > 0), secant, curv[active])
        better = np.isfinite(new.chi2) & (new.chi2 <= part.chi2 + TIE_RTOL * d.syy[active])
        if better.all() and active.size == m:
            E, pt, k = e, new, trial
        else:
            acc = active[better]
            pt.put(acc, new.take(better))
            E[acc], k[acc] = e[better], trial[better]
        iters[active] += 1
        rel = np.abs(step) / k_old
        radius[active] = np.where(better, np.minimum(np.maximum(radius[active], 2 * rel),
                                                     MAX_STEP), 0.25 * rel)
    return ExpSolution(k[:, None], pt.A[:, None], d.ybar - pt.A * pt.ebar, pt.chi2, conv, iters,
                       _normal(pt, d.sw), e=E, curv=_log_curvature(k, pt.d1, curv, d3))


def _log_curvature(k, d1, d2, d3):
    """2nd and 3rd derivatives of chi2 in ``u = log k`` (3rd: None without ``d3``)."""
    a = k * k * d2 + k * d1
    return a, None if d3 is None else k ** 3 * d3 + 3 * k * k * d2 + k * d1


def _normal(pt: Point, sw: np.ndarray) -> np.ndarray:
    """``J^T W J`` over ``[k, A, B]`` with ``J = [-A tau e, e, 1]``."""
    S, Q, A = pt.S, pt.Q, pt.A
    row0 = np.stack([A * A * Q[:, 2], -A * Q[:, 1], -A * S[:, 1]], axis=1)
    row1 = np.stack([-A * Q[:, 1], Q[:, 0], S[:, 0]], axis=1)
    row2 = np.stack([-A * S[:, 1], S[:, 0], sw], axis=1)
    return np.stack([row0, row1, row2], axis=1)


def _taylor_distance(a, b, crit, sign):
    """Distance in ``u`` from the optimum where the cubic Taylor expansion
    ``a v^2 / 2 + sign b v^3 / 6`` of the profile reaches ``crit``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.sqrt(2 * crit / a)
        for _ in range(4):  # fixed point; the cubic term is a small correction
            v = np.sqrt(2 * crit / np.maximum(a + sign * b * v / 3, 0.25 * a))
    return v


def _side(d: Sums, u_hat, chi2_min, crit, start, bound, sign):
    """Root of the profile on one side in ``u = log k``, kept in a bracket.

    Newton steps on ``z = sqrt(chi2 - chi2_min) - sqrt(crit)`` (first
    derivatives only); a step leaving the bracket is replaced by bisection,
    or by doubling the distance from the optimum while no point beyond the
    root is known. Returns ``(u_limit, open)``; a side is open when the bound
    is reached below the critical value.
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
        _, pt = evaluate(d.rows(pending), k, 1)
        s = np.sqrt(np.maximum(pt.chi2 - chi2_min[pending], 0.0))
        z = s - root[pending]
        out = z >= 0
        u_out[pending[out]], u_in[pending[~out]] = up[out], up[~out]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = up - z * 2 * s / (k * pt.d1)
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


def profile_interval(d: Sums, sol: ExpSolution, crit: np.ndarray, se: np.ndarray,
                     lo: np.ndarray, hi: np.ndarray) -> RateInterval:
    """Profile-likelihood limits of the rate (scaled units) for every trace.

    ``crit`` is the critical chi-square increase, ``se`` the unscaled Wald
    standard error of ``k`` (the start where the Taylor expansion fails).
    Returns ``(low, high, open_low, open_high)``.
    """
    k_hat = sol.theta[:, 0]
    u_hat = np.log(k_hat)
    a, b = sol.curv
    wald = np.sqrt(crit) * se / k_hat
    out = []
    for sign, bound in ((-1.0, lo), (1.0, hi)):
        v = _taylor_distance(a, b, crit, sign)
        v = np.where(np.isfinite(v) & (v > 0), v, np.where(np.isfinite(wald) & (wald > 0),
                                                            wald, 0.5))
        u, is_open = _side(d, u_hat, sol.chi2, crit, u_hat + sign * v, np.log(bound), sign)
        out.append((np.exp(u), is_open))
    (low, open_low), (high, open_high) = out
    return RateInterval(low, high, open_low, open_high)


__all__ = ["ExpSolution", "Point", "Sums", "evaluate", "profile_interval", "solve"]
