"""Batched complex linear least squares for the calibration solvers.

``numpy.linalg.lstsq`` solves one system per call; a calibration has one small
system per frequency (and per Monte Carlo draw). :func:`batched_lstsq` solves
all of them at once: normal equations, a Cholesky factorisation (insensitive
to column scaling, so no explicit equilibration is needed), and one step of
iterative refinement on the original residual, which recovers the accuracy
of an orthogonal (QR/SVD) solve for the well-posed systems that calibration
standards produce, at a fraction of the cost. The factorisation and the
triangular solves run "structure of arrays" (batch axis last), so the only
Python loops are over the handful of unknowns.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batched_lstsq", "condition_number", "lstsq_soa"]


def _hermitian(a: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(a, -1, -2))


def _cholesky(gram: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of Hermitian ``gram`` of shape ``(p, p, N)`` (batch last)."""
    p = gram.shape[0]
    lower = np.zeros_like(gram)
    for j in range(p):
        row = lower[j, :j]
        pivot = gram[j, j].real - (row.real**2 + row.imag**2).sum(axis=0)
        if not np.all(pivot > 0):
            raise np.linalg.LinAlgError("normal equations are singular")
        lower[j, j] = d = np.sqrt(pivot)
        row_c = row.conj()
        for i in range(j + 1, p):
            lower[i, j] = (gram[i, j] - (lower[i, :j] * row_c).sum(axis=0)) / d
    return lower


def _cholesky_solve(lower: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``L L^H x = rhs`` with ``lower`` of shape ``(p, p, N)`` and ``rhs`` ``(p, N)``."""
    p = lower.shape[0]
    y = np.empty_like(rhs)
    for j in range(p):
        y[j] = (rhs[j] - (lower[j, :j] * y[:j]).sum(axis=0)) / lower[j, j]
    x = np.empty_like(rhs)
    for j in reversed(range(p)):
        x[j] = (y[j] - (lower[j + 1:, j].conj() * x[j + 1:]).sum(axis=0)) / lower[j, j].conj()
    return x


def batched_lstsq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least-squares solutions ``x`` of ``a @ x ~= b`` for stacks of systems.

    ``a`` has shape ``(..., m, n)`` with ``m >= n``, ``b`` shape ``(..., m)``;
    returns ``(..., n)`` (the exact solution when ``m == n``). Raises
    ``numpy.linalg.LinAlgError`` when a system is singular (rank deficient).
    """
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    a = a.reshape(-1, m, n)
    b = b.reshape(-1, m)
    if m * n > _SMALL:
        x = _lstsq_stacked(a, b)
    else:
        x = _lstsq_soa(np.ascontiguousarray(np.moveaxis(a, 0, -1)),
                       np.ascontiguousarray(b.T)).T
    return x.reshape(*batch, n)


def lstsq_soa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`batched_lstsq` for systems stored batch last: ``a (m, n, ...)``, ``b (m, ...)``.

    Returns ``x`` of shape ``(n, ...)``. Efficient for small systems (a few
    standards, a few unknowns) over many frequencies/draws.
    """
    m, n, *batch = a.shape
    a, b = a.reshape(m, n, -1), b.reshape(m, -1)
    if m == n == 3:
        x = _solve3_soa(a, b)
        x = x + _solve3_soa(a, b - (a * x[None]).sum(axis=1))
    else:
        x = _lstsq_soa(a, b)
    return x.reshape(n, *batch)


def _solve3_soa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Square 3x3 systems ``(3, 3, N)`` by cofactors (Cramer), batch last."""
    c0 = a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]
    c1 = a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]
    c2 = a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]
    det = a[0, 0] * c0 + a[0, 1] * c1 + a[0, 2] * c2
    if not np.all(np.abs(det) > 0):
        raise np.linalg.LinAlgError("singular 3x3 system")
    inv = np.array([
        [c0, a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2], a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]],
        [c1, a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0], a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]],
        [c2, a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1], a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]],
    ])
    return (inv * b[None]).sum(axis=1) / det


#: Systems with at most this many matrix entries are solved "structure of
#: arrays" throughout; larger ones form their normal equations with matmul.
_SMALL = 32


def _lstsq_stacked(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` of shape ``(N, m, n)``, ``b`` ``(N, m)``; normal equations by matmul."""
    a_h = _hermitian(a)
    lower = _cholesky(np.ascontiguousarray(np.moveaxis(a_h @ a, 0, -1)))

    def solve(vector: np.ndarray) -> np.ndarray:
        rhs = np.ascontiguousarray((a_h @ vector[..., None])[..., 0].T)
        return _cholesky_solve(lower, rhs).T

    x = solve(b)
    return x + solve(b - (a @ x[..., None])[..., 0])


def _lstsq_soa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` of shape ``(m, n, N)``, ``b`` ``(m, N)`` (batch last); returns ``(n, N)``."""
    n = a.shape[1]
    a_c = a.conj()
    gram = np.empty((n, n, a.shape[-1]), dtype=complex)
    for i in range(n):
        for j in range(i, n):
            gram[i, j] = (a_c[:, i] * a[:, j]).sum(axis=0)
            gram[j, i] = gram[i, j].conj()
    lower = _cholesky(gram)

    def solve(vector: np.ndarray) -> np.ndarray:
        return _cholesky_solve(lower, (a_c * vector[:, None]).sum(axis=0))

    x = solve(b)
    return x + solve(b - (a * x[None]).sum(axis=1))


def condition_number(a: np.ndarray) -> np.ndarray:
    """2-norm condition number of each column-equilibrated ``(..., m, n)`` matrix."""
    scale = np.sqrt(np.einsum("...ij,...ij->...j", a.conj(), a).real)
    s = np.linalg.svd(a / np.where(scale > 0, scale, 1.0)[..., None, :], compute_uv=False)
    with np.errstate(divide="ignore"):
        return s[..., 0] / s[..., -1]
