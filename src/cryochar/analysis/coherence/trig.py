"""Fast cosine and sine of ``2 pi f tau`` for many traces at once."""

from __future__ import annotations

import numpy as np

from cryochar.analysis.coherence.data import Grid


def cos_sin(grid: Grid, freq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cos`` and ``sin`` of ``2 pi freq tau``, each ``(m, n)``.

    On a uniform grid the angles are split as ``n = B i + j`` and combined by
    the angle-addition formulas from ``~2 sqrt(n)`` evaluations per trace
    (baby-step giant-step), which is an order of magnitude faster than
    ``np.cos`` on every point and as accurate (each factor is evaluated
    directly, not by recursion).
    """
    w = (2 * np.pi) * freq
    if grid.start is None:
        ph = w[:, None] * grid.tau
        return np.cos(ph), np.sin(ph)
    n = grid.tau.shape[1]
    B = int(np.ceil(np.sqrt(n)))
    nb = -(-n // B)
    small = (w * grid.step)[:, None] * np.arange(B)
    big = w[:, None] * (grid.start[:, None] + (grid.step * B)[:, None] * np.arange(nb))
    cs, ss = np.cos(small)[:, None, :], np.sin(small)[:, None, :]
    cb, sb = np.cos(big)[:, :, None], np.sin(big)[:, :, None]
    c = (cb * cs - sb * ss).reshape(w.size, nb * B)
    s = (sb * cs + cb * ss).reshape(w.size, nb * B)
    if nb * B != n:
        c, s = np.ascontiguousarray(c[:, :n]), np.ascontiguousarray(s[:, :n])
    return c, s


__all__ = ["cos_sin"]
