"""The result every qubit-controller driver or adapter returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ExperimentCounts:
    """Single-shot counts of one experiment (satisfies ``protocols.QubitExperiment``).

    ``counts[i]`` of ``shots`` shots read |1> after ``delays[i]`` s; ``started``
    s since the UNIX epoch (controller clock), ``duration`` s, ``detuning`` Hz
    (Ramsey only, else 0). Arrays are read-only.
    """

    kind: str
    delays: np.ndarray
    counts: np.ndarray
    shots: int
    started: float
    duration: float
    detuning: float = 0.0

    def __post_init__(self) -> None:
        delays = np.array(self.delays, dtype=float)
        counts = np.array(self.counts, dtype=np.int64)
        if delays.shape != counts.shape or delays.ndim != 1:
            raise ValueError(f"{delays.size} delays but {counts.size} counts")
        for array in (delays, counts):
            array.flags.writeable = False
        object.__setattr__(self, "delays", delays)
        object.__setattr__(self, "counts", counts)

    @property
    def populations(self) -> np.ndarray:
        """Fraction of shots read in |1> at each delay."""
        return self.counts / self.shots


__all__ = ["ExperimentCounts"]
