"""Row-reproducible products of many short rows with a small shared matrix.

A BLAS product is far faster than row-by-row dot products, but its rounding
may depend on where a row falls in the matrix (edge tiles of the kernel use
other code paths). Results of the fits must not depend on how traces are
blocked or threaded, so :func:`tiled_matmul` always multiplies full tiles of
:data:`TILE` rows (the last one zero-padded) as one stacked ``matmul``; every
row then goes through the same kernel path. :func:`deterministic` checks
once per process that the BLAS in use really gives bitwise-identical rows
wherever they sit in a tile; if not, callers use row dots instead.
"""

from __future__ import annotations

import functools

import numpy as np

#: Rows per BLAS call.
TILE = 64


def tiled_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for ``a`` ``(m, n)`` and a small ``b`` ``(n, k)``, in full tiles."""
    m, n = a.shape
    full = m - m % TILE
    out = np.empty((m, b.shape[1]))
    if full:
        np.matmul(a[:full].reshape(-1, TILE, n), b, out=out[:full].reshape(-1, TILE, b.shape[1]))
    if full < m:
        pad = np.zeros((TILE, n))
        pad[:m - full] = a[full:]
        out[full:] = (pad @ b)[:m - full]
    return out


@functools.cache
def deterministic() -> bool:
    """True when a row's :func:`tiled_matmul` result does not depend on its
    position in the tile or on the other rows (checked once on random data)."""
    rng = np.random.default_rng(12345)
    for n, k in ((80, 8), (37, 3), (201, 5)):
        a, b = rng.standard_normal((3 * TILE + 5, n)), rng.standard_normal((n, k))
        ref = tiled_matmul(a, b)
        for _ in range(4):
            order = rng.permutation(a.shape[0])
            for size in (a.shape[0], TILE + 3, 7, 1):
                idx = order[:size]
                if not np.array_equal(tiled_matmul(a[idx], b), ref[idx]):
                    return False
    return True


__all__ = ["TILE", "deterministic", "tiled_matmul"]
