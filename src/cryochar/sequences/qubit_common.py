"""Pieces shared by the qubit sequences: delay grids and quick coherence fits."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cryochar.analysis.coherence import fit_echo, fit_t1
from cryochar.core.units import Duration


class Delays(BaseModel):
    """A delay grid from ``min_delay`` to ``max_delay`` (s): linear, or logarithmic
    (which resolves short and long decays with one grid; ``min_delay`` > 0 then)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_delay: Duration = Field(gt=0, le=1.0)
    min_delay: Duration = Field(0.0, ge=0)
    points: int = Field(41, ge=8, le=2001)
    spacing: Literal["linear", "log"] = "linear"

    def grid(self) -> np.ndarray:
        """The delays, s."""
        if self.spacing == "log":
            start = self.min_delay if self.min_delay > 0 else self.max_delay / 1000
            return np.geomspace(start, self.max_delay, self.points)
        return np.linspace(self.min_delay, self.max_delay, self.points)


def fit_t1_and_echo(t1_delays: np.ndarray, t1_counts: np.ndarray, echo_delays: np.ndarray,
                    echo_counts: np.ndarray, shots: int, **kwargs: Any) -> tuple[Any, Any]:
    """T1 and T2-echo fits of counts (one trace or a batch), binomial weights."""
    f1 = fit_t1(t1_delays, np.asarray(t1_counts) / shots, shots=shots, **kwargs)
    fe = fit_echo(echo_delays, np.asarray(echo_counts) / shots, shots=shots, **kwargs)
    return f1, fe


__all__ = ["Delays", "fit_t1_and_echo"]
