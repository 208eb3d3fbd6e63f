"""Batched small linear algebra for the coherence solver.

Every function works on stacks: matrices of shape ``(m, q, q)`` and vectors of
shape ``(m, q)``, one per trace. Sizes 1-3 use closed forms (far faster than a
LAPACK call per trace); larger sizes fall back to numpy's batched routines.
Singular systems give NaN in the affected rows instead of raising.
"""

from __future__ import annotations

import numpy as np

#: Relative floor on eigenvalues of a normalised normal matrix before it is
#: called singular (its condition number would exceed 1e12).
SINGULAR_RTOL = 1e-12
#: Relative Tikhonov term added to the amplitude normal equations so that a
#: vanishing column (zero detuning, equal rates) gives a zero amplitude
#: instead of a division by zero. It is far below double-precision noise of a
#: well-posed problem.
RIDGE = 1e-13


def rows_finite(a: np.ndarray) -> np.ndarray:
    """``np.isfinite(a).all()`` over every axis but the first, ``(m,)``: one
    pass (``0 * x`` is NaN exactly where ``x`` is not finite, and a NaN
    survives the row sum) instead of a boolean reduction over tiny rows."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(np.einsum("mk->m", (a * 0.0).reshape(a.shape[0], -1)))


def solve_small(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` for a stack of small square systems.

    ``A`` has shape ``(m, q, q)``, ``b`` shape ``(m, q)``; returns ``(m, q)``.
    Rows whose system is singular come back as NaN or inf.
    """
    q = A.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if q == 1:
            return b / A[:, :, 0]
        if q == 2:
            a, bb, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
            det = a * d - bb * c
            x0 = (d * b[:, 0] - bb * b[:, 1]) / det
            x1 = (a * b[:, 1] - c * b[:, 0]) / det
            return np.stack([x0, x1], axis=-1)
        if q == 3:
            return _solve3(A, b)
        out = np.full(b.shape, np.nan)
        good = np.isfinite(A).all(axis=(1, 2)) & (np.abs(np.linalg.det(
            np.where(np.isfinite(A), A, 0.0))) > 0)
        if good.any():
            out[good] = np.linalg.solve(A[good], b[good][..., None])[..., 0]
        return out


def _solve3(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cramer's rule for a stack of 3x3 systems."""
    c0 = np.cross(A[:, 1, :], A[:, 2, :])
    c1 = np.cross(A[:, 2, :], A[:, 0, :])
    c2 = np.cross(A[:, 0, :], A[:, 1, :])
    det = np.einsum("mi,mi->m", A[:, 0, :], c0)
    # inverse = adjugate / det; adjugate columns are the cross products
    inv = np.stack([c0, c1, c2], axis=-1) / det[:, None, None]
    return np.einsum("mij,mj->mi", inv, b)


def inverse_psd(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of a stack of symmetric positive-definite matrices ``(m, p, p)``.

    The matrices are first normalised to unit diagonal (so the test does not
    depend on parameter units), then factorised by a Cholesky decomposition
    vectorised over the stack (the loops run over the <= 6 rows, not over
    traces); 3x3 matrices use a closed form on their six distinct elements
    (:func:`_inverse3`). Returns ``(inverse, good)``; rows that are not finite,
    not positive definite or have a pivot below ``SINGULAR_RTOL`` (condition
    number beyond ~1e12) are NaN and ``good`` is False there.
    """
    p = H.shape[1]
    if p == 3:
        return _inverse3(H)
    diag = np.einsum("mii->mi", H)
    good = np.isfinite(H).all(axis=(1, 2)) & (diag > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.sqrt(np.where(good[:, None], diag, 1.0))
        C = np.where(good[:, None, None], H, np.eye(p)) * scale[:, :, None] * scale[:, None, :]
        if p <= 3:
            return _inverse_small(C, scale, good)
        L = np.zeros_like(C)
        for j in range(p):
            pivot = C[:, j, j] - np.einsum("mk,mk->m", L[:, j, :j], L[:, j, :j])
            good &= pivot > SINGULAR_RTOL
            L[:, j, j] = np.sqrt(np.where(good, pivot, 1.0))
            for i in range(j + 1, p):
                L[:, i, j] = (C[:, i, j] - np.einsum("mk,mk->m", L[:, i, :j], L[:, j, :j])) \
                    / L[:, j, j]
        Linv = np.zeros_like(L)
        for i in range(p):
            Linv[:, i, i] = 1.0 / L[:, i, i]
            for j in range(i):
                Linv[:, i, j] = -np.einsum("mk,mk->m", L[:, i, j:i], Linv[:, j:i, j]) / L[:, i, i]
        inv = np.einsum("mki,mkj->mij", Linv, Linv) * scale[:, :, None] * scale[:, None, :]
    inv[~good] = np.nan
    return inv, good


def _inverse_small(C: np.ndarray, scale: np.ndarray, good: np.ndarray):
    """Closed-form inverse of unit-diagonal 1x1 and 2x2 matrices; the Cholesky
    pivots are ratios of leading principal minors (Sylvester)."""
    p = C.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            inv = 1.0 / C
        else:
            det = C[:, 0, 0] * C[:, 1, 1] - C[:, 0, 1] * C[:, 1, 0]
            good &= det > SINGULAR_RTOL
            inv = np.stack([np.stack([C[:, 1, 1], -C[:, 0, 1]], -1),
                            np.stack([-C[:, 1, 0], C[:, 0, 0]], -1)], 1) / det[:, None, None]
        inv = inv * scale[:, :, None] * scale[:, None, :]
    inv[~good] = np.nan
    return inv, good


def _inverse3(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`inverse_psd` for symmetric 3x3 matrices, on their six distinct
    elements: unit-diagonal scaling, then adjugate over determinant; the
    Sylvester minors are the Cholesky pivot test."""
    h00, h11, h22 = H[:, 0, 0], H[:, 1, 1], H[:, 2, 2]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        good = (h00 > 0) & (h11 > 0) & (h22 > 0) & rows_finite(H)
        s0, s1, s2 = (1.0 / np.sqrt(np.where(good, x, 1.0)) for x in (h00, h11, h22))
        a, b, c = H[:, 0, 1] * s0 * s1, H[:, 0, 2] * s0 * s2, H[:, 1, 2] * s1 * s2
        minor2 = 1.0 - a * a
        a00, a01, a02 = 1.0 - c * c, b * c - a, a * c - b
        det = a00 + a * a01 + b * a02
        good &= (minor2 > SINGULAR_RTOL) & (det > SINGULAR_RTOL * minor2)
        f = np.where(good, 1.0 / det, np.nan)
        inv = np.empty_like(H)
        inv[:, 0, 0], inv[:, 1, 1], inv[:, 2, 2] = a00 * f * s0 * s0, (1.0 - b * b) * f * s1 * s1, \
            minor2 * f * s2 * s2
        inv[:, 0, 1] = inv[:, 1, 0] = a01 * f * s0 * s1
        inv[:, 0, 2] = inv[:, 2, 0] = a02 * f * s0 * s2
        inv[:, 1, 2] = inv[:, 2, 1] = (a * b - c) * f * s1 * s2
    return inv, good


def separable_linear(phi: np.ndarray, y: np.ndarray, w: np.ndarray, sw: np.ndarray,
                     ybar: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted least squares for the amplitudes of ``phi`` plus an offset.

    ``phi`` has shape ``(k, m, n)``; ``y`` and weights ``w`` ``(m, n)``; ``sw``
    and ``ybar`` are the per-trace weight sums and weighted means of ``y``.
    The columns are centred on their weighted means so the offset separates
    exactly and the remaining ``k x k`` system stays well conditioned.
    Returns ``(coef (m, k), offset (m,), pc, wpc, G)`` with ``pc`` the centred
    columns, ``wpc = w * pc`` and ``G`` the ``(m, k, k)`` normal matrix.
    """
    k = phi.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        phibar = np.einsum("kmn,mn->km", phi, w) / sw
    pc = phi - phibar[:, :, None]
    wpc = pc * w
    if k == 1:
        G = np.einsum("mn,mn->m", wpc[0], pc[0])[:, None, None]
    else:
        G = np.einsum("kmn,jmn->mkj", wpc, pc)
    h = np.einsum("kmn,mn->mk", wpc, y)
    ridge = RIDGE * np.einsum("mii->m", G) + 1e-300
    Gr = G + ridge[:, None, None] * np.eye(k)
    coef = solve_small(Gr, h)
    offset = ybar - np.einsum("mk,km->m", coef, phibar)
    return coef, offset, pc, wpc, Gr


__all__ = ["RIDGE", "SINGULAR_RTOL", "inverse_psd", "rows_finite", "separable_linear",
           "solve_small"]
