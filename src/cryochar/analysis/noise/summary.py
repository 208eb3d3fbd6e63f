"""Summary fields of an amplifier-noise run, with expanded uncertainties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.analysis.noise.budget import NoiseBudget
from cryochar.analysis.noise.results import AmplifierNoise, freeze


@dataclass(frozen=True, eq=False, kw_only=True)
class NoiseSummary:
    """What the amplifier-noise sequence reports, per frequency.

    Every ``*_uncertainty`` is an EXPANDED uncertainty, ``coverage_factor``
    (k = 2 by default, ~95 % coverage) times the standard uncertainty.
    """

    #: Frequency (Hz).
    frequency: Any
    #: Gain (dB).
    gain_db: Any
    #: Expanded uncertainty of the gain (dB, k = coverage_factor).
    gain_db_uncertainty: Any
    #: Input-referred noise temperature (K, Callen-Welton convention).
    noise_temperature: Any
    #: Expanded uncertainty of the noise temperature (K, k = coverage_factor).
    noise_temperature_uncertainty: Any
    #: Added noise in quanta, k T_n / h f (>= 1/2 for a phase-preserving amplifier).
    n_added: Any
    #: Expanded uncertainty of the added noise (quanta, k = coverage_factor).
    n_added_uncertainty: Any
    #: Coverage factor k of the ``*_uncertainty`` fields.
    coverage_factor: float

    def as_dict(self) -> dict[str, Any]:
        """Plain Python (lists of floats) for JSON and run-file attributes."""
        out: dict[str, Any] = {}
        for name in ("frequency", "gain_db", "gain_db_uncertainty", "noise_temperature",
                     "noise_temperature_uncertainty", "n_added", "n_added_uncertainty"):
            value = np.asarray(getattr(self, name), float)
            out[name] = value.tolist()
        out["coverage_factor"] = self.coverage_factor
        return out


def summarize_noise(result: AmplifierNoise | NoiseBudget, *,
                    coverage_factor: float = 2.0) -> NoiseSummary:
    """The summary fields of a Y-factor / fit / de-embedded result or of a budget.

    For a result, uncertainties are ``coverage_factor`` x its standard
    uncertainties; for a :class:`~.budget.NoiseBudget`, ``coverage_factor`` x
    the combined (Monte Carlo) standard uncertainties.
    """
    k = float(coverage_factor)
    if isinstance(result, NoiseBudget):
        values = {name: (getattr(result, name).value, getattr(result, name).combined)
                  for name in ("gain_db", "noise_temperature", "n_added")}
    else:
        values = {name: (getattr(result, name), getattr(result, f"{name}_uncertainty"))
                  for name in ("gain_db", "noise_temperature", "n_added")}
    fields: dict[str, Any] = {"frequency": freeze(result.frequency)}
    for name, (value, u) in values.items():
        fields[name] = freeze(value)
        fields[f"{name}_uncertainty"] = freeze(k * np.asarray(u, float))
    return NoiseSummary(**fields, coverage_factor=k)


__all__ = ["NoiseSummary", "summarize_noise"]
