"""Vectorised SOLR / unknown-thru calibration (Ferrero & Pisani 1992).

Two one-port (SOL) calibrations fix both error boxes up to the transmission
factor ``k``; a reciprocal thru of unknown S-parameters fixes ``k`` up to its
sign, which is chosen (per frequency) so the corrected thru's S21 phase is
closest to the approximate thru definition. Same algorithm and conventions as
``skrf.calibration.UnknownThru``; every frequency (and draw) solved at once.
"""

from __future__ import annotations

import numpy as np

from cryochar.analysis.calibration.base import TwoPortCalibration
from cryochar.analysis.calibration.errorterms import ErrorTerms
from cryochar.analysis.calibration.linalg import lstsq_soa

__all__ = ["UnknownThru", "solve_one_port", "solve_unknown_thru"]


def solve_one_port(measured: np.ndarray, ideals: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-port (3-term) error model from >= 3 reflection standards.

    ``measured`` and ``ideals`` have shape ``(n_std, ...)`` (broadcastable);
    returns ``(directivity, reflection_tracking, source_match)`` of the
    broadcast leading shape, with ``measured = D + T g / (1 - M g)``.
    """
    gm, gi = np.broadcast_arrays(measured, ideals)
    if gm.shape[0] < 3:
        raise ValueError(f"a one-port calibration needs >= 3 standards, got {gm.shape[0]}")
    a = np.stack([gi, np.ones_like(gi), -gi * gm], axis=1)
    try:
        t11, t12, t21 = lstsq_soa(a, gm)
    except np.linalg.LinAlgError as exc:
        raise ValueError("one-port system is singular: reflection standards coincide") from exc
    return t12, t11 - t12 * t21, -t21


def solve_unknown_thru(m_ut: np.ndarray, ideals: np.ndarray, isolation: tuple = (0.0, 0.0),
                       switch_terms: tuple = (0.0, 0.0)) -> ErrorTerms:
    """SOLR error terms from switch-free standards ``(n_std, ..., n_freq, 2, 2)``.

    The last standard is the reciprocal thru; its ideal only picks the sign
    of the square root (S21 needs to be known within +/- 90 degrees). The
    others are reflection standards on both ports (their S11 and S22 are used).
    """
    d1, t1, s1 = solve_one_port(m_ut[:-1, ..., 0, 0], ideals[:-1, ..., 0, 0])
    d2, t2, s2 = solve_one_port(m_ut[:-1, ..., 1, 1], ideals[:-1, ..., 1, 1])
    thru = m_ut[-1]
    e10e32 = np.sqrt(t1 * t2 * thru[..., 1, 0] / thru[..., 0, 1])
    k = e10e32 / t2
    terms = ErrorTerms(d1, s1, t1, d2, s2, t2, k, *isolation, *switch_terms)
    s21 = terms.correct_unterminated(thru)[..., 1, 0]
    ref = ideals[-1][..., 1, 0]
    keep = np.abs(np.angle(s21 / ref)) < np.abs(np.angle(-s21 / ref))
    return ErrorTerms(d1, s1, t1, d2, s2, t2, np.where(keep, k, -k), *isolation, *switch_terms)


class UnknownThru(TwoPortCalibration):
    """SOLR calibration (reflects on both ports + unknown reciprocal thru, last), skrf compatible.

    ``UnknownThru(measured=[...], ideals=[...], switch_terms=(gamma_f, gamma_r))``;
    ``run()``, ``coefs``, ``apply_cal(ntwk)``. The reflect standards' S21/S12
    are not used.
    """

    family = "UnknownThru"

    def _solve(self, m_ut: np.ndarray, ideals: np.ndarray) -> ErrorTerms:
        return solve_unknown_thru(m_ut, ideals, self._isolation, self._switch)
