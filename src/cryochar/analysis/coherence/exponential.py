"""Single-exponential (T1) fits on the one-dimensional projected chi-square.

After variable projection ``A exp(-k tau) + B`` has one nonlinear parameter,
the rate ``k``. With ``e = exp(-k tau)`` and the weighted sums

    S_p = sum w tau^p e,   Q_p = sum w tau^p e^2,   H_p = sum w (y - ybar) tau^p e,

the amplitude and offset are closed-form, ``A = H_0 / G`` and
``B = ybar - A S_0 / sw`` with ``G = Q_0 - S_0^2 / sw``, and

    chi2(k) = syy - H_0^2 / G,

which is exactly the profile chi-square of the rate. Since
``e(k + d) = e(k) exp(-d tau)``, the moments ``S_p, Q_p, H_p`` for
``p <= ORDER`` at one rate give every sum at nearby rates as a Taylor series
(``S_0(k + d) = sum_p S_p (-d)^p / p!``, ``Q`` with ``-2d``), and with truncated
power-series arithmetic the polynomial of chi2(k + d) itself (:class:`Model`).
One evaluation (an exponential and ``3 (ORDER + 1)`` weighted row sums per
trace) therefore serves the whole fit: Newton steps run on the polynomial,
and a real evaluation is repeated only where the model's minimum lies
outside its trust region or its truncation error is not negligible
(:func:`solve`). The profile-likelihood interval uses the same polynomial
(:mod:`.rate_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from cryochar.analysis.coherence import tiles
from cryochar.analysis.coherence.data import Batch, Scratch
from cryochar.analysis.coherence.linalg import RIDGE
from cryochar.analysis.coherence.varpro import Solution

#: Taylor order of the model of the sums about an evaluated rate.
ORDER = 7
#: Initial and largest trust radius of a model, relative to its centre rate.
RADIUS, MAX_RADIUS = 0.2, 1.0
#: A model minimum is accepted when its truncation error moves it by less
#: than this fraction of the rate (far below a standard error).
MODEL_RTOL = 1e-8
#: Relative step below which the Newton iteration on the polynomial stops
#: (its gradient is resolved to ~1e-11 of the rate; the step left is applied).
POLY_XTOL = 1e-9
MAX_POLY_ITER = 30
#: A new centre whose chi-square exceeds the old one by less than this
#: fraction of ``syy`` (rounding of ``syy - H_0^2 / G``) is still accepted.
TIE_RTOL = 1e-14

_P = np.arange(ORDER + 1)
_INV_FACT = 1.0 / np.array([factorial(p) for p in _P], dtype=float)
#: Taylor coefficients of ``exp(-d tau)`` and ``exp(-2 d tau)`` per power of ``d``.
_SIGN = ((-1.0) ** _P * _INV_FACT)[:, None]
_SIGN_Q = _SIGN * 2.0 ** _P[:, None]


@dataclass(frozen=True, eq=False)
class Sums:
    """Per-block data for the sums: ``tau`` ``(1, n)`` or ``(m, n)``, weights
    ``w`` (None: all 1), ``wyc = w * (y - ybar)``, powers ``tau^p``
    (``p = 1..ORDER``, each ``(1, n)`` or ``(m, n)``), and ``sw``, ``ybar``,
    ``syy``; on a shared time axis also ``vander``, the ``(n, ORDER + 1)``
    matrix of the powers ``tau^0..tau^ORDER``. The powers of a shared axis
    are computed once and kept with its :class:`.data.Grid`."""

    tau: np.ndarray
    w: np.ndarray | None
    wyc: np.ndarray
    powers: list[np.ndarray]
    sw: np.ndarray
    ybar: np.ndarray
    syy: np.ndarray
    vander: np.ndarray | None = None

    @classmethod
    def of(cls, batch: Batch) -> Sums:
        tau = batch.tau
        derived = batch.grid.derived if tau.shape[0] == 1 else {}
        if "sums" not in derived:
            powers = [tau]
            for _ in range(ORDER - 1):
                powers.append(powers[-1] * tau)
            vander = None
            if tau.shape[0] == 1 and tiles.deterministic():
                vander = np.concatenate([np.ones((1, tau.shape[1])), *powers]).T
            derived["sums"] = powers, vander
        powers, vander = derived["sums"]
        w = None if batch.unit_weights else batch.w
        return cls(tau, w, batch.wyc, powers, batch.sw, batch.ybar, batch.syy, vander)

    def rows(self, idx: np.ndarray) -> Sums:
        """The data of traces ``idx`` (gathered)."""
        if idx.size == self.wyc.shape[0]:
            return self
        shared = self.tau.shape[0] == 1
        return Sums(self.tau if shared else self.tau[idx], None if self.w is None else self.w[idx],
                    self.wyc[idx], self.powers if shared else [p[idx] for p in self.powers],
                    self.sw[idx], self.ybar[idx], self.syy[idx], self.vander)

    def decay(self, k: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``exp(-k tau)``, ``(m, n)`` (``(-k) tau`` is exactly ``-(k tau)``)."""
        x = np.multiply(np.negative(k)[:, None], self.tau, out=out)
        return np.exp(x, out=x)

    def reduce(self, a: np.ndarray, order: int) -> np.ndarray:
        """``sum a tau^p`` for ``p = 0..order``, shape ``(order + 1, m)``.

        On a shared time axis: :func:`.tiles.tiled_matmul` with the powers
        (results independent of the row's position in the batch); per-trace
        axes: row dots.
        """
        if self.vander is not None:
            return tiles.tiled_matmul(a, self.vander[:, :order + 1]).T
        out = np.empty((order + 1, a.shape[0]))
        np.einsum("mn->m", a, out=out[0])
        for p in range(1, order + 1):
            np.einsum("mn,mn->m", a, np.broadcast_to(self.powers[p - 1], a.shape), out=out[p])
        return out

    def moments(self, k: np.ndarray, order: int,
                scratch: Scratch | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``S_p``, ``Q_p``, ``H_p`` (``p = 0..order``, each ``(order + 1, m)``) at ``k``."""
        shape = self.wyc.shape
        e = self.decay(k, None if scratch is None else scratch.take("e", shape))
        work = np.empty(shape) if scratch is None else scratch.take("work", shape)
        if self.w is not None:
            np.multiply(self.w, e, out=work)
        S = self.reduce(e if self.w is None else work, order)
        Q = self.reduce(np.multiply(e if self.w is None else work, e, out=work), order)
        return S, Q, self.reduce(np.multiply(e, self.wyc, out=work), order)


# Truncated power series are stored coefficient-major, ``(J, m)``: every
# operation then runs over contiguous rows of traces. Sums over coefficients
# are accumulated term by term with elementwise operations, so a trace's
# result never depends on how many traces share the array (numpy's reductions
# change their summation order with the array's shape).

def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of truncated power series."""
    J = a.shape[0]
    out, term = np.zeros(a.shape), np.empty(a.shape)
    for j in range(J):
        np.multiply(b[:J - j], a[j], out=term[:J - j])
        out[j:] += term[:J - j]
    return out


def _square(a: np.ndarray) -> np.ndarray:
    """``_mul(a, a)`` with each cross product computed once (doubled exactly)."""
    J = a.shape[0]
    out = np.zeros(a.shape)
    term = np.empty(a.shape)
    for i in range((J + 1) // 2):
        n = J - 2 * i  # coefficients 2i..J-1 get a_i a_i, then 2 a_i a_{i+1}, ...
        np.multiply(a[i:i + n], a[i], out=term[:n])
        term[1:n] *= 2.0
        out[2 * i:] += term[:n]
    return out


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Quotient ``a / b`` of truncated power series."""
    out = np.empty(a.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / b[0]
        for i in range(a.shape[0]):
            acc = a[i].copy()
            for j in range(i):
                acc -= out[j] * b[i - j]
            np.multiply(acc, inv, out=out[i])
    return out


def _horner(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The polynomial with coefficients ``c`` ``(J, m)`` at ``x`` ``(m,)``."""
    out = c[-1] * x
    for j in range(c.shape[0] - 2, 0, -1):
        out += c[j]
        out *= x
    out += c[0]
    return out


def _derivative(c: np.ndarray) -> np.ndarray:
    return c[1:] * _P[1:c.shape[0], None]


def ipow(x: np.ndarray, n: int) -> np.ndarray:
    """``x ** n`` for a small integer ``n >= 1`` by repeated squaring (``**`` with
    an integer exponent array goes through the slow general power)."""
    out, base = None, x
    while n:
        if n & 1:
            out = base if out is None else out * base
        n >>= 1
        if n:
            base = base * base
    return out


@dataclass(eq=False)
class Model:
    """Taylor model about centre rates ``k`` ``(m,)``: series coefficients (in
    ``d = k' - k``, shape ``(ORDER + 1, m)``) of ``S_0``, ``Q_0``, ``H_0`` and of
    chi2, and of the first three derivatives of chi2."""

    k: np.ndarray
    s: np.ndarray
    q: np.ndarray
    h: np.ndarray
    c: tuple[np.ndarray, ...]

    @classmethod
    def at(cls, d: Sums, k: np.ndarray) -> Model:
        """Evaluate the moments at ``k`` and build the model (one pass over the data)."""
        return cls.from_moments(k, *d.moments(k, ORDER), d.sw, d.syy)

    @classmethod
    def from_moments(cls, k, S, Q, H, sw, syy) -> Model:
        """The model from the moments ``S``, ``Q``, ``H`` (each ``(ORDER + 1, m)``) at ``k``."""
        s, q, h = S * _SIGN, Q * _SIGN_Q, H * _SIGN
        g = _square(s)
        g /= sw
        np.subtract(q, g, out=g)
        g *= 1 + RIDGE  # as the general solver: a vanishing column gives A = 0
        g[0] += 1e-300
        c = _div(_square(h), g)
        np.negative(c, out=c)
        c[0] += syy
        c1 = _derivative(c)
        c2 = _derivative(c1)
        return cls(k, s, q, h, (c, c1, c2, _derivative(c2)))

    def take(self, sel: np.ndarray) -> Model:
        return Model(self.k[sel], self.s[:, sel], self.q[:, sel], self.h[:, sel],
                     tuple(c[:, sel] for c in self.c))

    def put(self, sel: np.ndarray, other: Model) -> None:
        self.k[sel] = other.k
        for mine, theirs in zip((self.s, self.q, self.h, *self.c),
                                (other.s, other.q, other.h, *other.c), strict=True):
            mine[:, sel] = theirs

    def chi2(self, d: np.ndarray, deriv: int = 0) -> np.ndarray:
        """chi2 (or its ``deriv``-th k-derivative) at offsets ``d`` from the centre."""
        return _horner(self.c[deriv], d)

    def minimise(self, dlo: np.ndarray, dhi: np.ndarray, radius: np.ndarray):
        """Minimum of the chi2 polynomial on ``[dlo, dhi]`` within ``radius * k``.

        Newton steps where the polynomial is convex, else a step to the trust
        boundary downhill. Returns ``(d, done)``; ``done`` where the Newton
        iteration settled inside the trust region (or on a bound the gradient
        pushes against) with a negligible truncation error, or where the
        model is not finite (no descent exists). Elsewhere the caller
        re-evaluates the data at ``d`` and checks that chi2 decreased.
        """
        r = radius * self.k
        lo, hi = np.maximum(dlo, -r), np.minimum(dhi, r)
        d, moving = np.zeros(self.k.size), np.ones(self.k.size, bool)
        for _ in range(MAX_POLY_ITER):
            g, H = self.chi2(d, 1), self.chi2(d, 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(H > 0, -g / H, -np.sign(g) * r)
            new = np.clip(d + step, lo, hi)
            d = np.where(moving, new, d)  # a settled trace stays put: results per trace
            moving &= np.abs(step) > POLY_XTOL * self.k
            if not moving.any():
                break
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            shift = ORDER * self.c[0][ORDER] * ipow(d, ORDER - 1) / H
        pushed = ((d <= dlo) & (g >= 0)) | ((d >= dhi) & (g <= 0))
        edge = (np.abs(d) >= r * (1 - 1e-12)) & ~pushed
        done = ~moving & ~edge & (H > 0) & (np.abs(shift) <= MODEL_RTOL * self.k) | pushed
        done |= ~np.isfinite(self.c[0]).all(axis=0)
        return d, done

    def point(self, d: np.ndarray, sw: np.ndarray, syy: np.ndarray) -> dict[str, np.ndarray]:
        """Fit quantities at offsets ``d``: chi2, ``A``, offset factor ``ebar``,
        the sums of the normal matrix and dchi2/dk^j (``j = 1..3``)."""
        s1, q1 = _derivative(self.s), _derivative(self.q)
        S = np.stack([_horner(self.s, d), -_horner(s1, d)], axis=1)
        Q = np.stack([_horner(self.q, d), -0.5 * _horner(q1, d),
                      0.25 * _horner(_derivative(q1), d)], axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ebar = S[:, 0] / sw
            G = (Q[:, 0] - S[:, 0] * ebar) * (1 + RIDGE) + 1e-300
            H0 = _horner(self.h, d)
            A = H0 / G
        return {"chi2": np.maximum(syy - H0 * A, 0.0), "A": A, "ebar": ebar, "S": S, "Q": Q,
                "d1": self.chi2(d, 1), "d2": self.chi2(d, 2), "d3": self.chi2(d, 3)}


@dataclass
class ExpSolution(Solution):
    """:class:`.varpro.Solution` plus the basis column ``e`` at the optimum, the
    log-rate curvature of chi2 (2nd and 3rd derivatives in ``log k``) there
    and the Taylor model the optimum was found on."""

    e: np.ndarray | None = None
    curv: tuple[np.ndarray, np.ndarray] | None = None
    model: Model | None = None


def descend(model: Model, lo: np.ndarray, hi: np.ndarray, syy: np.ndarray, max_iter: int,
            reevaluate) -> tuple[Model, np.ndarray, np.ndarray, np.ndarray]:
    """Minimise chi2(k) for every trace on Taylor models of the sums.

    The model about the start is minimised by Newton steps within a trust
    region (radius ``RADIUS`` relative, doubling on success up to
    ``MAX_RADIUS``, quartered on failure). Where the minimum is interior and
    its truncation error negligible the trace has converged; elsewhere
    ``reevaluate(idx, k)`` builds new models at the minima of the traces
    ``idx`` (accepted where chi2 does not increase) - ``max_iter`` bounds
    these re-evaluations. A minimum on a bound the gradient pushes against
    also counts as converged. Returns ``(model, step, converged, iterations)``
    with the optimum at ``model.k + step``.
    """
    m = model.k.size
    step, radius = np.zeros(m), np.full(m, RADIUS)
    conv, iters = np.zeros(m, bool), np.zeros(m, int)
    active = np.arange(m)
    for it in range(max_iter + 1):
        part = model if active.size == m else model.take(active)
        dk, done = part.minimise(lo[active] - part.k, hi[active] - part.k, radius[active])
        step[active] = dk
        conv[active[done]] = True
        if done.all() or it == max_iter:
            break
        active, part, dk = active[~done], part.take(~done), dk[~done]
        new = reevaluate(active, part.k + dk)
        better = np.isfinite(new.c[0][0]) & (new.c[0][0] <= part.c[0][0] + TIE_RTOL * syy[active])
        model.put(active[better], new.take(better))
        step[active[better]] = 0.0
        iters[active] += 1
        radius[active] = np.where(better, np.minimum(2 * radius[active], MAX_RADIUS),
                                  0.25 * radius[active])
    return model, step, conv, iters


def solution(model: Model, step, conv, iters, sw, syy, ybar, e=None) -> ExpSolution:
    """The :class:`ExpSolution` at ``model.k + step`` (``e``: the basis column there)."""
    k = model.k + step
    pt = model.point(step, sw, syy)
    a = k * k * pt["d2"] + k * pt["d1"]
    b = k ** 3 * pt["d3"] + 3 * k * k * pt["d2"] + k * pt["d1"]
    return ExpSolution(k[:, None], pt["A"][:, None], ybar - pt["A"] * pt["ebar"], pt["chi2"],
                       conv, iters, _normal(pt["A"], pt["S"], pt["Q"], sw), e=e, curv=(a, b),
                       model=model)


def solve(batch: Batch, k0: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_iter: int = 50,
          data: Sums | None = None) -> ExpSolution:
    """Fit every trace of ``batch`` (see :func:`descend`), one block at a time."""
    d = Sums.of(batch) if data is None else data
    model = Model.at(d, np.clip(k0, lo, hi))
    model, step, conv, iters = descend(model, lo, hi, d.syy, max_iter,
                                       lambda idx, k: Model.at(d.rows(idx), k))
    sol = solution(model, step, conv, iters, d.sw, d.syy, d.ybar)
    sol.e = d.decay(sol.theta[:, 0])
    return sol


def _normal(A, S, Q, sw) -> np.ndarray:
    """``J^T W J`` over ``[k, A, B]`` with ``J = [-A tau e, e, 1]``."""
    row0 = np.stack([A * A * Q[:, 2], -A * Q[:, 1], -A * S[:, 1]], axis=1)
    row1 = np.stack([-A * Q[:, 1], Q[:, 0], S[:, 0]], axis=1)
    row2 = np.stack([-A * S[:, 1], S[:, 0], sw], axis=1)
    return np.stack([row0, row1, row2], axis=1)


def evaluate(d: Sums, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """chi2 and dchi2/dk at rates ``k`` (one pass; first-order moments)."""
    S, Q, H = d.moments(k, 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ebar = S[0] / d.sw
        G = (Q[0] - S[0] * ebar) * (1 + RIDGE) + 1e-300
        A = H[0] / G
        G1 = 2 * (S[0] * S[1] / d.sw - Q[1])
        return np.maximum(d.syy - H[0] * A, 0.0), A * (A * G1 + 2 * H[1])


__all__ = ["ORDER", "ExpSolution", "Model", "Sums", "descend", "evaluate", "solution", "solve"]
