"""Two-level-system (TLS) defects switching a qubit's relaxation rate (telegraph noise).

Each defect is a two-state Markov process: while *coupled* it adds
``delta_gamma1`` (s^-1) to the qubit's Gamma_1; it stays coupled for an
exponential time of mean ``mean_coupled`` and uncoupled for one of mean
``mean_uncoupled`` (s). Strengths and mean dwell times are drawn once from a
seeded generator; switch times are generated lazily as the clock advances
and kept, so the state at any past time can be looked up again (ground truth).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

_BATCH = 64  # switch times drawn per extension step


@dataclass(frozen=True)
class TLSDefect:
    """One defect: Gamma_1 it adds when coupled (s^-1) and its mean dwell times (s)."""

    delta_gamma1: float
    mean_coupled: float
    mean_uncoupled: float

    @property
    def occupancy(self) -> float:
        """Long-run fraction of time coupled."""
        return self.mean_coupled / (self.mean_coupled + self.mean_uncoupled)


class TelegraphTLS:
    """``count`` independent defects starting at ``t0`` (s) in their stationary state.

    ``strength`` is the largest Gamma_1 a defect adds (s^-1); each draws
    uniformly in [0.25, 1] x strength. Mean dwell times are log-uniform in
    [``dwell_min``, ``dwell_max``] s.
    """

    def __init__(self, count: int, strength: float, dwell_min: float, dwell_max: float,
                 rng: np.random.Generator, t0: float):
        self._rng = rng
        self._lock = threading.Lock()
        log_min, log_max = np.log(dwell_min), np.log(dwell_max)
        dwell = np.exp(rng.uniform(log_min, log_max, size=(count, 2)))
        strengths = strength * rng.uniform(0.25, 1.0, size=count)
        self.defects = tuple(TLSDefect(float(s), float(d[0]), float(d[1]))
                             for s, d in zip(strengths, dwell, strict=True))
        self.t0 = t0
        self._initial = np.array([rng.random() < d.occupancy for d in self.defects], dtype=bool)
        self._times = [np.empty(0) for _ in self.defects]
        self._horizon = t0

    def _extend(self, until: float) -> None:
        """Draw switch times of every defect past ``until``."""
        if until <= self._horizon:
            return
        for i, defect in enumerate(self.defects):
            times = self._times[i]
            last = times[-1] if times.size else self.t0
            while last <= until:
                coupled_now = self._initial[i] ^ bool(times.size % 2)
                means = np.where((np.arange(_BATCH) % 2 == 0) == coupled_now,
                                 defect.mean_coupled, defect.mean_uncoupled)
                new = last + np.cumsum(self._rng.exponential(means))
                times = np.concatenate([times, new])
                last = times[-1]
            self._times[i] = times
        self._horizon = until

    def coupled(self, t: float | np.ndarray) -> np.ndarray:
        """Whether each defect is coupled at time(s) ``t`` s: shape ``(count,) + shape(t)``."""
        t = np.asarray(t, dtype=float)
        with self._lock:
            self._extend(float(np.max(t)) if t.size else self.t0)
            switches = [np.searchsorted(times, t, side="right") for times in self._times]
        if not self.defects:
            return np.zeros((0, *t.shape), dtype=bool)
        return self._initial.reshape((-1,) + (1,) * t.ndim) ^ (np.stack(switches) % 2 == 1)

    def extra_gamma1(self, t: float | np.ndarray) -> np.ndarray:
        """Gamma_1 added by the coupled defects at time(s) ``t``, s^-1 (shape of ``t``)."""
        t = np.asarray(t, dtype=float)
        if not self.defects:
            return np.zeros(t.shape)
        strengths = np.array([d.delta_gamma1 for d in self.defects])
        return np.tensordot(strengths, self.coupled(t), axes=1)

    def switch_times(self, index: int, until: float) -> tuple[bool, np.ndarray]:
        """Initial state and switch times up to ``until`` s of defect ``index`` (ground truth)."""
        with self._lock:
            self._extend(until)
            times = self._times[index]
        return bool(self._initial[index]), times[times <= until].copy()


__all__ = ["TLSDefect", "TelegraphTLS"]
