"""Coherence models in separable form for variable projection.

Every model is ``y = sum_c a_c phi_c(tau; theta) + B``: the amplitudes ``a_c``
and the offset ``B`` enter linearly and are solved in closed form; only the
rates, frequency and exponents ``theta`` are nonlinear. The solver works in
scaled time ``tau = t / t_scale`` (rates in units of ``1 / t_scale``), and
``theta[:, 0]`` is always the rate whose inverse is the reported decay time, so
the profile-likelihood interval is computed on it.

Shapes: ``grid.tau`` is ``(1, n)`` or ``(m, n)``, ``theta`` ``(m, p)``,
``coef`` ``(m, k)``; :meth:`Model.columns` returns a tuple of ``k`` arrays
``(m, n)`` and :meth:`Model.derivatives` a tuple of ``len(which)`` arrays
``(m, n)``, the derivatives d(sum_c a_c phi_c)/d theta_l.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cryochar.analysis.coherence import guesses
from cryochar.analysis.coherence.data import Batch, Grid
from cryochar.analysis.coherence.trig import cos_sin, damped_cos_sin

#: Rates below ``RATE_FLOOR / span`` (decay times above 1e4 windows) are not
#: searched; a fit there is ``at_bound``.
RATE_FLOOR = 1e-4
#: Rates above ``RATE_CEIL / dt_min`` decay within a small fraction of a step.
RATE_CEIL = 50.0


def rate_bounds(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Search range of a decay rate in scaled units, per trace."""
    lo = RATE_FLOOR / batch.span
    hi = RATE_CEIL / np.where(np.isfinite(batch.dt_min), batch.dt_min, batch.span)
    return lo, hi


def _col(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=float)[..., None]


class Model:
    """Base class: a separable model (see the module docstring)."""

    name = ""
    nonlinear: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    angles: tuple[str, ...] = ()
    n_columns = 1
    #: theta columns that are decay rates / frequencies (for resolvability checks)
    rate_cols: tuple[int, ...] = (0,)
    freq_cols: tuple[int, ...] = ()
    #: True when :meth:`canonical` may reorder parameters
    relabels = False
    #: True when the model is ``A exp(-theta_0 tau) + B`` with every other
    #: parameter fixed: it is then fitted on the closed-form 1-D projected
    #: chi-square (:mod:`.exponential`)
    one_rate = False

    def free(self) -> tuple[bool, ...]:
        """Which nonlinear parameters are fitted (the others stay at their guess)."""
        return (True,) * len(self.nonlinear)

    def block(self, rows: slice, n_traces: int) -> Model:
        """The model for traces ``rows`` of ``n_traces`` (per-trace settings sliced)."""
        return self

    def columns(self, grid: Grid, theta: np.ndarray) -> tuple[tuple[np.ndarray, ...], Any]:
        """Basis functions (``k`` arrays ``(m, n)``) and auxiliary data."""
        raise NotImplementedError

    def derivatives(self, grid: Grid, theta: np.ndarray, coef: np.ndarray, aux: Any,
                    which: Sequence[int]) -> tuple[np.ndarray, ...]:
        """d(model)/d theta_l for ``l`` in ``which``, each ``(m, n)``."""
        raise NotImplementedError

    def bounds(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of ``theta``, each ``(m, p)``."""
        lo, hi = rate_bounds(batch)
        return lo[:, None], hi[:, None]

    def guess(self, batch: Batch) -> np.ndarray:
        """Data-driven starting values of ``theta`` ``(m, p)``."""
        raise NotImplementedError

    def canonical(self, theta: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Resolve label symmetries after a fit (identity by default)."""
        return theta, coef

    def physical(self, theta: np.ndarray, coef: np.ndarray, offset: np.ndarray,
                 t_scale: np.ndarray) -> dict[str, np.ndarray]:
        """Reported parameters in SI units (s, Hz, rad) from internal ones."""
        raise NotImplementedError

    def predict(self, t: Any, params: Mapping[str, Any]) -> np.ndarray:
        """Model curve at times ``t`` (s) from physical parameters."""
        raise NotImplementedError

    def jacobian(self, theta: np.ndarray, coef: np.ndarray, offset: np.ndarray,
                 t_scale: np.ndarray, which: Sequence[int]) -> np.ndarray | None:
        """d(reported parameters)/d[free theta, coef, offset]: ``(m, Q, P)``, or
        ``(m, P)`` when diagonal; None: use central differences."""
        return None


class Exponential(Model):
    """T1: ``A exp(-t/T1) + B``."""

    name = "exponential"
    nonlinear = ("rate",)
    names = ("T1", "amplitude", "offset")
    one_rate = True

    def columns(self, grid, theta):
        x = np.multiply(-theta[:, 0:1], grid.tau)
        e = np.exp(x, out=x)
        return (e,), e

    def derivatives(self, grid, theta, coef, aux, which):
        d = np.multiply(grid.tau, aux)
        return (np.multiply(d, -coef[:, 0:1], out=d),)

    def guess(self, batch):
        return guesses.exponential_rate(batch)[:, None]

    def physical(self, theta, coef, offset, t_scale):
        return {"T1": t_scale / theta[:, 0], "amplitude": coef[:, 0], "offset": offset}

    def jacobian(self, theta, coef, offset, t_scale, which):
        ones = np.ones_like(offset)
        return np.stack([-t_scale / theta[:, 0] ** 2, ones, ones], axis=1)

    def predict(self, t, params):
        t = np.asarray(t, dtype=float)
        return _col(params["amplitude"]) * np.exp(-t / _col(params["T1"])) + _col(params["offset"])


class Stretched(Model):
    """Stretched T1: ``A exp(-(t/T1)^beta) + B`` with ``beta`` in [0.2, 2]."""

    name = "stretched"
    nonlinear = ("rate", "beta")
    names = ("T1", "beta", "amplitude", "offset")
    beta_range = (0.2, 2.0)

    def columns(self, grid, theta):
        x = theta[:, 0:1] * grid.tau
        u = x ** theta[:, 1:2]
        e = np.exp(-u)
        return (e,), (x, u, e)

    def derivatives(self, grid, theta, coef, aux, which):
        x, u, e = aux
        ae = coef[:, 0:1] * e
        out = []
        for j in which:
            if j == 0:
                out.append(-ae * theta[:, 1:2] * u / theta[:, 0:1])
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    out.append(np.where(x > 0, -ae * u * np.log(x), 0.0))
        return tuple(out)

    def bounds(self, batch):
        lo, hi = rate_bounds(batch)
        b0, b1 = self.beta_range
        return (np.stack([lo, np.full_like(lo, b0)], axis=1),
                np.stack([hi, np.full_like(hi, b1)], axis=1))

    def guess(self, batch):
        rate = guesses.exponential_rate(batch)
        beta = guesses.envelope_power(batch, rate, self.beta_range)
        return np.stack([rate, beta], axis=1)

    def physical(self, theta, coef, offset, t_scale):
        return {"T1": t_scale / theta[:, 0], "beta": theta[:, 1], "amplitude": coef[:, 0],
                "offset": offset}

    def predict(self, t, params):
        t = np.asarray(t, dtype=float)
        x = (t / _col(params["T1"])) ** _col(params["beta"])
        return _col(params["amplitude"]) * np.exp(-x) + _col(params["offset"])


class DoubleExponential(Model):
    """Double-exponential T1: ``A exp(-t/T1) + A_f exp(-t/T1_fast) + B``.

    ``T1`` is the slower component (``T1 >= T1_fast`` after the fit).
    """

    name = "double"
    nonlinear = ("rate", "rate_fast")
    names = ("T1", "T1_fast", "amplitude", "amplitude_fast", "offset")
    n_columns = 2
    rate_cols = (0, 1)
    relabels = True

    def columns(self, grid, theta):
        e = tuple(np.exp(-theta[:, j:j + 1] * grid.tau) for j in (0, 1))
        return e, e

    def derivatives(self, grid, theta, coef, aux, which):
        return tuple(-coef[:, j:j + 1] * grid.tau * aux[j] for j in which)

    def bounds(self, batch):
        lo, hi = rate_bounds(batch)
        return np.stack([lo, lo], axis=1), np.stack([hi, hi], axis=1)

    def guess(self, batch):
        return guesses.double_rates(batch)

    def canonical(self, theta, coef):
        swap = theta[:, 0] > theta[:, 1]
        return np.where(swap[:, None], theta[:, ::-1], theta), np.where(
            swap[:, None], coef[:, ::-1], coef)

    def physical(self, theta, coef, offset, t_scale):
        return {"T1": t_scale / theta[:, 0], "T1_fast": t_scale / theta[:, 1],
                "amplitude": coef[:, 0], "amplitude_fast": coef[:, 1], "offset": offset}

    def predict(self, t, params):
        t = np.asarray(t, dtype=float)
        return (_col(params["amplitude"]) * np.exp(-t / _col(params["T1"]))
                + _col(params["amplitude_fast"]) * np.exp(-t / _col(params["T1_fast"]))
                + _col(params["offset"]))


class Ramsey(Model):
    """Ramsey: ``A exp(-(t/T2*)^p) cos(2 pi detuning t + phase) + B``.

    ``p = 1`` (exponential envelope) or ``p = 2`` (Gaussian envelope). The
    amplitudes of the cosine and sine columns are linear; ``A >= 0`` and
    ``phase`` in (-pi, pi] are derived from them; ``detuning >= 0``.
    """

    nonlinear = ("rate", "frequency")
    names = ("T2_star", "detuning", "phase", "amplitude", "offset")
    angles = ("phase",)
    n_columns = 2
    freq_cols = (1,)

    def __init__(self, envelope: str = "exponential"):
        if envelope not in ("exponential", "gaussian"):
            raise ValueError(f"envelope must be 'exponential' or 'gaussian', not {envelope!r}")
        self.power = 1 if envelope == "exponential" else 2
        self.name = f"ramsey_{envelope}"

    def columns(self, grid, theta):
        if self.power == 1:  # the envelope is folded into the complex rotation
            c, s = damped_cos_sin(grid, theta[:, 0], theta[:, 1])
            return (c, s), (None, c, s)
        x = theta[:, 0:1] * grid.tau
        env = np.exp(-(x * x))
        c, s = cos_sin(grid, theta[:, 1])
        c *= env
        s *= env
        return (c, s), (x, c, s)

    def derivatives(self, grid, theta, coef, aux, which):
        x, c, s = aux
        tau = grid.tau
        out = []
        for j in which:
            if j == 0:
                m = coef[:, 0:1] * c + coef[:, 1:2] * s
                m *= -tau if self.power == 1 else -2 * x * tau
                out.append(m)
            else:
                d = coef[:, 1:2] * c - coef[:, 0:1] * s
                d *= (2 * np.pi) * tau
                out.append(d)
        return tuple(out)

    def bounds(self, batch):
        lo, hi = rate_bounds(batch)
        fmax = 0.5 / np.where(np.isfinite(batch.dt_min), batch.dt_min, batch.span)
        return np.stack([lo, np.zeros_like(lo)], axis=1), np.stack([hi, fmax], axis=1)

    def guess(self, batch):
        rate, freq = guesses.ramsey(batch, self.power)
        return np.stack([rate, freq], axis=1)

    def physical(self, theta, coef, offset, t_scale):
        return {"T2_star": t_scale / theta[:, 0], "detuning": theta[:, 1] / t_scale,
                "phase": np.arctan2(-coef[:, 1], coef[:, 0]),
                "amplitude": np.hypot(coef[:, 0], coef[:, 1]), "offset": offset}

    def jacobian(self, theta, coef, offset, t_scale, which):
        # x = [rate, frequency, c, s, offset]; phase = atan2(-s, c), amplitude = hypot(c, s)
        c, s = coef[:, 0], coef[:, 1]
        r2 = c * c + s * s
        with np.errstate(divide="ignore", invalid="ignore"):
            inv2 = np.where(r2 > 0, 1.0 / r2, 0.0)  # zero amplitude: as central differences
            inv = np.sqrt(inv2)
        jac = np.zeros((offset.size, 5, 5))
        jac[:, 0, 0] = -t_scale / theta[:, 0] ** 2
        jac[:, 1, 1] = 1.0 / t_scale
        jac[:, 2, 2], jac[:, 2, 3] = s * inv2, -c * inv2
        jac[:, 3, 2], jac[:, 3, 3] = c * inv, s * inv
        jac[:, 4, 4] = 1.0
        return jac

    def predict(self, t, params):
        t = np.asarray(t, dtype=float)
        env = np.exp(-((t / _col(params["T2_star"])) ** self.power))
        osc = np.cos(2 * np.pi * _col(params["detuning"]) * t + _col(params["phase"]))
        return _col(params["amplitude"]) * env * osc + _col(params["offset"])


__all__ = [
    "DoubleExponential", "Exponential", "Model", "Ramsey", "Stretched", "rate_bounds",
]
