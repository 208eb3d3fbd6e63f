"""Weighted sums over the points that the variable-projection algebra needs.

For basis columns ``phi_c`` and model derivatives ``d_l`` the solver needs,
per trace,

    Sp_c = sum w phi_c,  Spp_cc' = sum w phi_c phi_c',  Spy_c = sum w phi_c y,
    Sd_l, Sdd_ll', Sdp_lc, Sdy_l  (the same with d_l).

:class:`DirectSums` forms ``w * phi`` and ``w * d`` and reduces them with
numpy's own (single-threaded, GIL-free) loops, one pass per sum. BLAS is
avoided on purpose: its skinny products start threads on every call, which
is slower here and competes with the block-level thread pool.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("mn,mn->m", a, b)


def _pairs(k: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(k) for j in range(i, k)]


class DirectSums:
    """Sums by direct reduction of the weighted arrays (any time axis)."""

    def __init__(self, phi: tuple[np.ndarray, ...], y: np.ndarray, w: np.ndarray | None):
        self.phi, self.y, self.w = phi, y, w
        self.wphi = list(phi) if w is None else [w * p for p in phi]

    def zeroth(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Sp (m, k)``, ``Spp (m, k, k)``, ``Spy (m, k)``."""
        k = len(self.phi)
        Sp = np.stack([wp.sum(axis=1) for wp in self.wphi], axis=1)
        Spp = np.empty((Sp.shape[0], k, k))
        for i, j in _pairs(k):
            Spp[:, i, j] = Spp[:, j, i] = _rowdot(self.wphi[i], self.phi[j])
        Spy = np.stack([_rowdot(wp, self.y) for wp in self.wphi], axis=1)
        return Sp, Spp, Spy

    def derivative(self, d: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
        """``Sd (m, q)``, ``Sdd (m, q, q)``, ``Sdp (m, q, k)``, ``Sdy (m, q)``."""
        q, k = len(d), len(self.phi)
        wd = list(d) if self.w is None else [self.w * dl for dl in d]
        Sd = np.stack([v.sum(axis=1) for v in wd], axis=1)
        m = Sd.shape[0]
        Sdd, Sdp = np.empty((m, q, q)), np.empty((m, q, k))
        for i, j in _pairs(q):
            Sdd[:, i, j] = Sdd[:, j, i] = _rowdot(wd[i], d[j])
        for i in range(q):
            for c in range(k):
                Sdp[:, i, c] = _rowdot(wd[i], self.phi[c])
        Sdy = np.stack([_rowdot(v, self.y) for v in wd], axis=1)
        return Sd, Sdd, Sdp, Sdy


__all__ = ["DirectSums"]
