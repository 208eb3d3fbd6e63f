"""Covariance at the optimum and propagation to the reported parameters.

The covariance is built from the FULL Jacobian of the model with respect to
every fitted parameter (free nonlinear ones, amplitudes and offset) at the
optimum, so amplitude and offset uncertainties include their correlation with
the rates. With ``sigma`` given it is absolute, ``(J^T W J)^-1``; without, it
is scaled by the reduced chi-square (as ``curve_fit(absolute_sigma=False)``).
Reported parameters (times, detuning, amplitude, phase) are propagated with
the delta method, the Jacobian taken by central differences vectorised over
traces.
"""

from __future__ import annotations

import numpy as np

from cryochar.analysis.coherence.linalg import inverse_psd, rows_finite
from cryochar.analysis.coherence.models import Model


def internal_covariance(normal: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance ``(m, P, P)`` of ``[free nonlinear, amplitudes, offset]`` (scaled units).

    ``normal`` is ``J^T W J`` of the full Jacobian at the optimum and
    ``scale`` multiplies the inverse per trace (1, or the reduced
    chi-square). Returns ``(cov, good)``; ``good`` is False where the normal
    matrix is singular or the result is not finite.
    """
    inv, good = inverse_psd(normal)
    cov = inv * scale[:, None, None]
    good &= rows_finite(cov)
    return cov, good


def _unpack(x: np.ndarray, theta: np.ndarray, which: tuple[int, ...],
            k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = len(which)
    th = theta.copy()
    th[:, list(which)] = x[:, :q]
    return th, x[:, q:q + k], x[:, q + k]


def _finite_difference(model: Model, theta, coef, offset, t_scale, which, cov) -> np.ndarray:
    """Jacobian ``(m, Q, P)`` of the reported parameters by central differences."""
    k = coef.shape[1]
    x = np.concatenate([theta[:, list(which)], coef, offset[:, None]], axis=1)
    names = model.names
    sd = np.sqrt(np.abs(np.einsum("mii->mi", cov)))
    size = np.where(np.isfinite(sd), np.maximum(np.abs(x), sd), np.abs(x))
    h = 1e-6 * np.where(size > 0, size, 1.0)
    jac = np.zeros((x.shape[0], len(names), x.shape[1]))
    for i in range(x.shape[1]):  # loop over parameters (<= 6), never over traces
        xp, xm = x.copy(), x.copy()
        xp[:, i] += h[:, i]
        xm[:, i] -= h[:, i]
        fp = model.physical(*_unpack(xp, theta, which, k), t_scale)
        fm = model.physical(*_unpack(xm, theta, which, k), t_scale)
        for j, name in enumerate(names):
            with np.errstate(invalid="ignore"):
                diff = fp[name] - fm[name]
                if name in model.angles:
                    diff = (diff + np.pi) % (2 * np.pi) - np.pi
                jac[:, j, i] = np.where(fp[name] == fm[name], 0.0, diff / (2 * h[:, i]))
    return jac


def propagate(model: Model, theta: np.ndarray, coef: np.ndarray, offset: np.ndarray,
              t_scale: np.ndarray, which: tuple[int, ...],
              cov: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reported parameters and their covariance ``(m, Q, Q)`` in SI units.

    The order of the covariance axes is ``model.names``. Parameters that do
    not depend on the fitted ones (a fixed T1) get zero variance. The
    Jacobian is the model's analytic one where it has one
    (:meth:`~.models.Model.jacobian`), else central differences.
    """
    values = model.physical(theta, coef, offset, t_scale)
    jac = model.jacobian(theta, coef, offset, t_scale, which)
    if jac is None:
        jac = _finite_difference(model, theta, coef, offset, t_scale, which, cov)
    elif jac.ndim == 2:  # diagonal
        return values, cov * jac[:, :, None] * jac[:, None, :]
    return values, np.matmul(np.matmul(jac, cov), np.swapaxes(jac, 1, 2))


__all__ = ["internal_covariance", "propagate"]
