"""Weighted straight-line least squares ``y = a x + b``, batched over columns.

Points run along axis 0, independent problems (frequencies) along axis 1.
Closed form on weighted-mean-centred sums, so it stays accurate when ``x``
has a large offset. Points with zero weight do not count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Line:
    """Fit of ``y = slope x + intercept`` per column (internal).

    ``covariance`` ``(m, 2, 2)`` of ``(slope, intercept)`` from the weights
    taken as absolute ``1/sigma^2``; ``chi2`` weighted residual sum of
    squares; ``n`` number of points with non-zero weight; ``good`` False where
    the design is degenerate (fewer than two distinct weighted x).
    """

    slope: np.ndarray
    intercept: np.ndarray
    covariance: np.ndarray
    chi2: np.ndarray
    n: np.ndarray
    good: np.ndarray


def weighted_columns(x: np.ndarray, y: np.ndarray, w: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                np.ndarray]:
    """``(x, y, w, used, sum of w, weighted mean of x)`` per column, points along axis 0;
    unused points (``w <= 0``) zeroed so they cannot spread NaN into the sums."""
    x, y, w = np.broadcast_arrays(x, y, w)
    used = w > 0
    x = np.where(used, x, 0.0)
    y = np.where(used, y, 0.0)
    sw = w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = (w * x).sum(axis=0) / sw
    return x, y, w, used, sw, xbar


def fit_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Line:
    """Weighted least squares of ``y`` on ``[x, 1]`` per column; shapes ``(n, m)``."""
    x, y, w, used, sw, xbar = weighted_columns(x, y, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = (w * y).sum(axis=0) / sw
        dx = x - xbar
        sxx = (w * dx * dx).sum(axis=0)
        sxy = (w * dx * (y - ybar)).sum(axis=0)
        good = (sw > 0) & (sxx > 1e-14 * (w * x * x).sum(axis=0)) & np.isfinite(sxx)
        slope = sxy / sxx
        intercept = ybar - slope * xbar
        resid = y - slope * x - intercept
        chi2 = (w * resid * resid).sum(axis=0)
        cov = np.empty((*slope.shape, 2, 2))
        cov[..., 0, 0] = 1.0 / sxx
        cov[..., 0, 1] = cov[..., 1, 0] = -xbar / sxx
        cov[..., 1, 1] = 1.0 / sw + xbar * xbar / sxx
    cov[~good] = np.nan
    return Line(slope, intercept, cov, chi2, used.sum(axis=0), good)


def inverse_psd(normal: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """Inverse of stacked symmetric positive semi-definite matrices ``(..., p, p)``.

    Jacobi-scaled before an eigen-decomposition; matrices that are singular
    (eigenvalue ratio below ``rcond``) or not finite give nan.
    """
    d = np.sqrt(np.abs(np.diagonal(normal, axis1=-2, axis2=-1)))
    finite = np.isfinite(normal).all(axis=(-2, -1)) & (d > 0).all(axis=-1)
    d = np.where(finite[..., None], d, 1.0)
    scaled = np.where(finite[..., None, None], normal / (d[..., :, None] * d[..., None, :]),
                      np.eye(normal.shape[-1]))
    vals, vecs = np.linalg.eigh(scaled)
    ok = finite & (vals[..., 0] > rcond * vals[..., -1])
    inv_vals = 1.0 / np.where(vals > 0, vals, 1.0)
    inv = np.einsum("...ij,...j,...kj->...ik", vecs, inv_vals, vecs)
    inv = inv / (d[..., :, None] * d[..., None, :])
    inv[~ok] = np.nan
    return inv


__all__ = ["Line", "fit_line", "inverse_psd", "weighted_columns"]
