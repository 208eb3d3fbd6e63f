"""Common surface of the vectorised two-port calibrations (scikit-rf compatible).

A calibration is built like its scikit-rf namesake,
``Cal(measured=[...], ideals=[...], switch_terms=(gamma_f, gamma_r))``, from
lists of ``skrf.Network`` (or from arrays ``(n_std, n_freq, 2, 2)`` plus
``frequency=`` in Hz). :meth:`run` solves every frequency at once;
:attr:`coefs` has scikit-rf's keys and conventions; :meth:`apply_cal` returns
a ``skrf.Network``. No file or instrument I/O happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import skrf

from cryochar.analysis.calibration.errorterms import ErrorTerms
from cryochar.analysis.calibration.sparams import as_gamma, as_s

__all__ = ["TwoPortCalibration"]


def _stack(items: Any) -> np.ndarray:
    if isinstance(items, np.ndarray):
        return np.asarray(items, dtype=complex)
    return np.stack([as_s(item) for item in items])


class TwoPortCalibration:
    """Base class: input handling, coefficient access, correction and embedding.

    Subclasses implement :meth:`_solve` returning :class:`ErrorTerms` from the
    switch-free, isolation-subtracted standards ``(n_std, n_freq, 2, 2)``.
    """

    family = ""

    def __init__(self, measured: Sequence[skrf.Network] | np.ndarray,
                 ideals: Sequence[skrf.Network] | np.ndarray,
                 switch_terms: tuple[Any, Any] | None = None,
                 isolation: skrf.Network | np.ndarray | None = None,
                 frequency: skrf.Frequency | np.ndarray | None = None,
                 name: str | None = None) -> None:
        self.measured = list(measured) if not isinstance(measured, np.ndarray) else measured
        self.ideals = list(ideals) if not isinstance(ideals, np.ndarray) else ideals
        self.switch_terms = switch_terms
        self.isolation = isolation
        self.name = name
        self._measured_s = _stack(measured)
        self._ideals_s = _stack(ideals)
        if self._measured_s.shape != self._ideals_s.shape or self._measured_s.shape[-2:] != (2, 2):
            raise ValueError("measured and ideals must be equally many 2-port networks "
                             f"on one frequency grid, got {self._measured_s.shape} and "
                             f"{self._ideals_s.shape}")
        self._frequency = self._resolve_frequency(frequency)
        self._check_grids()
        n = self._measured_s.shape[1]
        zero = np.zeros(n, dtype=complex)
        gf, gr = (zero, zero) if switch_terms is None else (as_gamma(g) for g in switch_terms)
        iso = np.zeros((n, 2, 2), dtype=complex) if isolation is None else as_s(isolation)
        self._switch = (np.broadcast_to(gf, (n,)), np.broadcast_to(gr, (n,)))
        self._isolation = (iso[:, 1, 0].copy(), iso[:, 0, 1].copy())
        self._terms: ErrorTerms | None = None

    def _resolve_frequency(self, frequency: Any) -> skrf.Frequency:
        if isinstance(frequency, skrf.Frequency):
            return frequency
        if frequency is not None:
            return skrf.Frequency.from_f(np.asarray(frequency, dtype=float), unit="Hz")
        first = self.measured[0]
        if not hasattr(first, "frequency"):
            raise ValueError("frequency= (Hz) is required when measured is given as arrays")
        return first.frequency

    def _check_grids(self) -> None:
        f = self._frequency.f
        for item in (*self.measured, *self.ideals):
            grid = getattr(getattr(item, "frequency", None), "f", None)
            if grid is not None and not np.array_equal(grid, f):
                raise ValueError("measured and ideal networks must share one frequency grid "
                                 "(interpolate the ideals first)")

    # -- inputs -----------------------------------------------------------------------------
    @property
    def frequency(self) -> skrf.Frequency:
        """The calibration's frequency grid (``skrf.Frequency``)."""
        return self._frequency

    @property
    def nstandards(self) -> int:
        """Number of measured/ideal standard pairs."""
        return self._measured_s.shape[0]

    @property
    def measured_unterminated(self) -> np.ndarray:
        """Raw standards with isolation subtracted and switch terms removed ``(n_std, n, 2, 2)``."""
        return self._blank_terms().unterminate_raw(self._measured_s)

    def _blank_terms(self) -> ErrorTerms:
        one = np.ones(self._measured_s.shape[1], dtype=complex)
        return ErrorTerms(one, one, one, one, one, one, one, *self._isolation, *self._switch)

    # -- solving ----------------------------------------------------------------------------
    def _solve(self, m_ut: np.ndarray, ideals: np.ndarray) -> ErrorTerms:
        raise NotImplementedError

    def run(self) -> None:
        """Solve the error terms at every frequency at once."""
        self._terms = self._solve(self.measured_unterminated, self._ideals_s)

    @property
    def error_terms(self) -> ErrorTerms:
        """The solved :class:`ErrorTerms` (runs the calibration on first access)."""
        if self._terms is None:
            self.run()
        return self._terms

    @property
    def coefs(self) -> dict[str, np.ndarray]:
        """Error coefficients with scikit-rf's ``EightTerm.coefs`` keys, arrays ``(n_freq,)``."""
        return self.error_terms.coefs

    @property
    def coefs_8term(self) -> dict[str, np.ndarray]:
        """Same as :attr:`coefs` (scikit-rf name)."""
        return self.coefs

    @property
    def coefs_12term(self) -> dict[str, np.ndarray]:
        """12-term coefficients incl. load match and transmission tracking."""
        return self.error_terms.coefs_12term

    # -- use --------------------------------------------------------------------------------
    def apply_cal(self, ntwk: skrf.Network) -> skrf.Network:
        """Calibrated copy of a raw two-port measurement."""
        caled = ntwk.copy()
        caled.s = self.error_terms.correct(ntwk.s)
        return caled

    def embed(self, ntwk: skrf.Network) -> skrf.Network:
        """Raw measurement the VNA would read for a DUT (inverse of :meth:`apply_cal`)."""
        embedded = ntwk.copy()
        embedded.s = self.error_terms.embed(ntwk.s)
        return embedded

    def to_skrf(self) -> skrf.calibration.EightTerm:
        """An equivalent scikit-rf ``EightTerm`` (for its plotting and conversion helpers)."""
        return skrf.calibration.EightTerm.from_coefs(self.frequency, self.coefs)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(nstandards={self.nstandards}, "
                f"npoints={self._measured_s.shape[1]}, solved={self._terms is not None})")
