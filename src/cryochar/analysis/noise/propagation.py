"""First-order (delta-method) propagation of independent input uncertainties.

``cov_out = J diag(u_in^2) J^T`` per frequency, with ``J`` the Jacobian of the
outputs with respect to the inputs. Inputs are uncorrelated; correlated inputs
are handled by the caller (e.g. a fit's covariance is propagated with
:func:`sandwich`).
"""

from __future__ import annotations

import numpy as np


def propagate(jacobian: list[list[np.ndarray]], uncertainties: list[np.ndarray]) -> np.ndarray:
    """Covariance of the outputs, shape ``(..., n_out, n_out)``.

    ``jacobian[i][j]`` is d(output i)/d(input j) and ``uncertainties[j]`` the
    standard uncertainty of input j; all broadcast to one shape ``(...)``.
    """
    jac = np.stack([np.stack(np.broadcast_arrays(*row), axis=-1) for row in jacobian], axis=-2)
    u = np.stack(np.broadcast_arrays(*uncertainties), axis=-1)
    shape = np.broadcast_shapes(jac.shape[:-2], u.shape[:-1])
    jac = np.broadcast_to(jac, shape + jac.shape[-2:])
    ju = jac * np.broadcast_to(u, shape + u.shape[-1:])[..., None, :]
    return np.einsum("...ij,...kj->...ik", ju, ju)


def sandwich(jacobian: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``J C J^T`` for stacked ``J`` ``(..., n_out, n_in)`` and ``C`` ``(..., n_in, n_in)``."""
    return np.einsum("...ij,...jk,...lk->...il", jacobian, covariance, jacobian)


__all__ = ["propagate", "sandwich"]
