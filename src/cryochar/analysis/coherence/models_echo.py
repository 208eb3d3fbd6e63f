"""Hahn-echo model: ``A exp(-t/(2 T1) - (t/T_phi)^n) + B`` with ``n`` in [1, 2].

The envelope is parameterised by its 1/e time ``T2_echo`` (the reported
decay time, so the profile interval is on it), the exponent ``n`` and the
relaxation part. With ``T1`` known, ``g_a = 1/(2 T1)`` is fixed and

    X(t) = -g_a t - (1 - g_a / g_2) (g_2 t)^n,     g_2 = 1 / T2_echo,

which equals ``-t/(2 T1) - (t/T_phi)^n`` and reaches -1 at ``t = T2_echo``
(so ``T2_echo <= 2 T1``). With ``T1`` fitted the relaxation share
``s = T2_echo / (2 T1)`` in [0, 1) is the third parameter:
``X = -s g_2 t - (1 - s)(g_2 t)^n``. With ``n = 1`` relaxation and pure
dephasing cannot be told apart, so fitting ``T1`` then is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.analysis.coherence import guesses
from cryochar.analysis.coherence.models import Model, _col, rate_bounds
from cryochar.core.errors import FitError

#: Allowed range of the echo exponent n.
EXPONENT_RANGE = (1.0, 2.0)


class Echo(Model):
    """Echo envelope with fixed or fitted exponent and known, absent or fitted T1."""

    name = "echo"
    nonlinear = ("rate", "exponent", "relax")
    names = ("T2_echo", "T_phi", "exponent", "T1", "amplitude", "offset")

    def __init__(self, exponent: float | None = 1.0, T1: Any = None, fit_T1: bool = False):
        if exponent is not None and not EXPONENT_RANGE[0] <= exponent <= EXPONENT_RANGE[1]:
            raise FitError(f"echo exponent must lie in [1, 2], got {exponent}")
        if fit_T1 and T1 is not None:
            raise FitError("give T1 or fit_T1=True, not both")
        if fit_T1 and exponent == 1.0:
            raise FitError("T1 and T_phi cannot be separated with exponent 1",
                           fix="fix T1, or let the exponent float (exponent=None)")
        self.exponent = exponent
        self.fit_T1 = fit_T1
        self.T1 = None if T1 is None else np.asarray(T1, dtype=float)
        if self.T1 is not None and not np.all(self.T1 > 0):
            raise FitError("T1 must be positive (seconds)")

    def free(self):
        return (True, self.exponent is None, self.fit_T1)

    @property
    def one_rate(self):
        """With exponent 1 the envelope is ``exp(-t / T2_echo)``: one rate."""
        return self.exponent == 1.0 and not self.fit_T1

    def block(self, rows, n_traces):
        if self.T1 is None or self.T1.ndim == 0 or self.T1.shape[0] != n_traces:
            return self
        return Echo(self.exponent, self.T1[rows], self.fit_T1)

    def columns(self, grid, theta):
        tau = grid.tau
        g2, n, third = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
        x = g2 * tau
        if self.exponent == 1.0:
            u = x
        elif self.exponent == 2.0:
            u = x * x
        else:
            u = x ** n
        if self.fit_T1:
            X = -third * x - (1 - third) * u
        elif self.exponent == 1.0:
            X = -x  # with n = 1 the envelope is exp(-t / T2_echo) whatever T1 is
        else:
            X = -third * tau - (1 - third / g2) * u
        e = np.exp(X)
        return (e,), (x, u, e)

    def derivatives(self, grid, theta, coef, aux, which):
        tau = grid.tau
        x, u, e = aux
        g2, n, third = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
        ae = coef[:, 0:1] * e
        out = []
        for j in which:
            if j == 0 and self.fit_T1:
                dX = -third * tau - (1 - third) * n * u / g2
            elif j == 0 and self.exponent == 1.0:
                dX = -tau
            elif j == 0:
                dX = (-n * u + third * (n - 1) * u / g2) / g2
            elif j == 1:
                share = (1 - third) if self.fit_T1 else (1 - third / g2)
                with np.errstate(divide="ignore", invalid="ignore"):
                    dX = np.where(x > 0, -share * u * np.log(x), 0.0)
            else:
                dX = u - x
            out.append(ae * dX)
        return tuple(out)

    def bounds(self, batch):
        lo, hi = rate_bounds(batch)
        n0, n1 = EXPONENT_RANGE
        if self.fit_T1:
            lo3, hi3 = np.zeros_like(lo), np.full_like(hi, 1 - 1e-9)
        else:
            ga = self._relax_rate(batch)
            lo = np.maximum(lo, ga * (1 + 1e-9))
            lo3, hi3 = ga, ga
        return (np.stack([lo, np.full_like(lo, n0), lo3], axis=1),
                np.stack([hi, np.full_like(hi, n1), hi3], axis=1))

    def _relax_rate(self, batch) -> np.ndarray:
        if self.T1 is None:
            return np.zeros(batch.m)
        try:
            T1 = np.broadcast_to(self.T1, (batch.m,))
        except ValueError as exc:
            raise FitError(f"T1 has shape {self.T1.shape} for {batch.m} traces") from exc
        return batch.t_scale / (2 * T1)

    def guess(self, batch):
        rate = guesses.exponential_rate(batch)
        lo, hi = self.bounds(batch)
        rate = np.clip(rate, lo[:, 0] * 1.01, hi[:, 0])
        if self.exponent is None:
            n = guesses.envelope_power(batch, rate, EXPONENT_RANGE, known=lo[:, 2])
        else:
            n = np.full(batch.m, float(self.exponent))
        third = guesses.relaxation_share(batch, rate, n) if self.fit_T1 else lo[:, 2]
        return np.stack([rate, n, third], axis=1)

    def physical(self, theta, coef, offset, t_scale):
        g2, n, third = theta[:, 0], theta[:, 1], theta[:, 2]
        share = third if self.fit_T1 else third / g2
        with np.errstate(divide="ignore", invalid="ignore"):
            T1 = np.where(share > 0, t_scale / (2 * share * g2), np.inf)
            T_phi = np.where(share < 1, t_scale / (g2 * np.abs(1 - share) ** (1 / n)), np.inf)
        return {"T2_echo": t_scale / g2, "T_phi": T_phi, "exponent": n, "T1": T1,
                "amplitude": coef[:, 0], "offset": offset}

    def predict(self, t, params):
        t = np.asarray(t, dtype=float)
        X = -t / (2 * _col(params["T1"])) - (t / _col(params["T_phi"])) ** _col(params["exponent"])
        return _col(params["amplitude"]) * np.exp(X) + _col(params["offset"])


__all__ = ["EXPONENT_RANGE", "Echo"]
