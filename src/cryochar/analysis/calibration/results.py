"""Frozen result objects of the calibration analysis.

Arrays are read-only. Magnitudes of S21 are in dB (``20 log10 |S21|``);
S11 magnitudes are linear. Standard uncertainties are k = 1; the
``expanded_*`` fields carry ``coverage_factor`` (k = 2 by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ComponentUncertainty",
    "DriftCheck",
    "RepeatScatter",
    "ResidualErrorTerms",
    "UncertaintyBudget",
    "VerificationResult",
    "frozen_array",
]


def frozen_array(x: Any, dtype: Any = None) -> np.ndarray:
    """A read-only copy of ``x``."""
    out = np.array(x, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class ComponentUncertainty:
    """Standard uncertainty (k = 1) of one budget component, per frequency."""

    name: str
    s21_db: np.ndarray
    s11_mag: np.ndarray


@dataclass(frozen=True, eq=False, kw_only=True)
class UncertaintyBudget:
    """Uncertainty of a calibrated DUT's |S21| (dB) and |S11| per frequency.

    ``components`` maps each source ("standard_definitions", "vna_noise",
    "switch_repeatability", "path_asymmetry", "temperature_drift") to its
    standard uncertainty; ``combined_*`` is their root sum of squares and
    ``expanded_* = coverage_factor * combined_*``. For Monte Carlo,
    ``joint_*`` is the spread when all sources are drawn together (a check
    of the quadrature sum; ``None`` for the linear method).
    """

    frequency: np.ndarray
    calibration: str
    method: str
    n_draws: int
    seed: int
    coverage_factor: float
    dut_s: np.ndarray = field(repr=False)
    s21_db: np.ndarray = field(repr=False)
    s11_mag: np.ndarray = field(repr=False)
    components: Mapping[str, ComponentUncertainty] = field(repr=False)
    combined_s21_db: np.ndarray = field(repr=False)
    combined_s11_mag: np.ndarray = field(repr=False)
    expanded_s21_db: np.ndarray = field(repr=False)
    expanded_s11_mag: np.ndarray = field(repr=False)
    joint_s21_db: np.ndarray | None = field(default=None, repr=False)
    joint_s11_mag: np.ndarray | None = field(default=None, repr=False)

    @property
    def dominant_s21(self) -> np.ndarray:
        """Name of the largest |S21| component at each frequency."""
        names = list(self.components)
        stack = np.stack([self.components[n].s21_db for n in names])
        return np.array(names)[np.argmax(stack, axis=0)]


@dataclass(frozen=True, eq=False, kw_only=True)
class VerificationResult:
    """Outcome of comparing a calibrated DUT with its reference, per frequency.

    ``limit_db = sqrt(U_meas^2 + U_ref^2)`` (expanded); a point passes when
    ``|deviation_db| <= limit_db`` (``normalised_error = |deviation| / limit``,
    the E_n number). ``failing_bands`` lists contiguous failing stretches as
    ``(start, stop)`` frequencies (Hz) or indices when no frequency is given.
    """

    passed: bool
    passes: np.ndarray
    deviation_db: np.ndarray
    limit_db: np.ndarray
    normalised_error: np.ndarray
    failing_indices: np.ndarray
    failing_frequencies: np.ndarray | None
    failing_bands: tuple[tuple[float, float], ...]
    worst_index: int
    worst_normalised_error: float

    @property
    def pass_fraction(self) -> float:
        """Fraction of frequencies that pass."""
        return float(np.mean(self.passes)) if self.passes.size else 1.0


@dataclass(frozen=True, eq=False, kw_only=True)
class DriftCheck:
    """Re-measured check standard vs its earlier measurement.

    ``stale`` is True when the calibration should be redone: the pooled
    chi-square of the differences (``statistic`` with ``dof``) has
    ``p_value < alpha``, or any point exceeds its ``threshold`` (the
    per-point limit at family-wise level ``alpha``). ``deviation`` is
    ``|remeasured - earlier|`` per point, in the units of the inputs.
    """

    stale: bool
    deviation: np.ndarray
    threshold: np.ndarray
    exceeds: np.ndarray
    statistic: float
    dof: int
    p_value: float
    alpha: float

    @property
    def n_exceeding(self) -> int:
        """Number of points beyond their threshold."""
        return int(np.count_nonzero(self.exceeds))


@dataclass(frozen=True, eq=False, kw_only=True)
class RepeatScatter:
    """Per-actuation scatter from N repeated measurements (switch repeatability).

    ``sigma`` is the complex RMS scatter of one actuation (E|x - mean|^2 =
    sigma^2), with the VNA trace noise removed in quadrature when it was
    given; ``raw_sigma`` before that removal. ``mean`` is the average over
    repeats (what the calibration should use); ``dof`` the degrees of freedom
    of each variance estimate.
    """

    sigma: np.ndarray
    raw_sigma: np.ndarray
    mean: np.ndarray
    n_repeats: int
    dof: int


@dataclass(frozen=True, eq=False, kw_only=True)
class ResidualErrorTerms:
    """Residual one-port error terms left after correction, per frequency.

    ``corrected = directivity + tracking * g / (1 - source_match * g)`` for a
    standard of true reflection ``g``; a perfect calibration has 0, 1, 0.
    ``condition`` is the condition number of each local fit (large: the
    verification data do not separate the terms there); ``window`` the
    number of frequency points per fit.
    """

    directivity: np.ndarray
    source_match: np.ndarray
    tracking: np.ndarray
    condition: np.ndarray
    window: int

    @property
    def directivity_db(self) -> np.ndarray:
        """Residual directivity ``20 log10 |D|`` (dB)."""
        return 20 * np.log10(np.abs(self.directivity))

    @property
    def source_match_db(self) -> np.ndarray:
        """Residual source match ``20 log10 |M|`` (dB)."""
        return 20 * np.log10(np.abs(self.source_match))

    @property
    def tracking_db(self) -> np.ndarray:
        """Residual reflection tracking ``20 log10 |T|`` (dB, 0 when perfect)."""
        return 20 * np.log10(np.abs(self.tracking))
