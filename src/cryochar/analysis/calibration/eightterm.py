"""Vectorised 8-term (error-box) calibration from known two-port standards.

Same model, linear system and coefficient conventions as
``skrf.calibration.EightTerm`` (Speciale 1977, Rytting 1996), but the
least-squares problem of every frequency (and of every Monte Carlo draw) is
solved at once (:func:`~cryochar.analysis.calibration.linalg.batched_lstsq`)
instead of in a Python loop over frequency.
"""

from __future__ import annotations

import numpy as np

from cryochar.analysis.calibration.base import TwoPortCalibration
from cryochar.analysis.calibration.errorterms import ErrorTerms
from cryochar.analysis.calibration.linalg import batched_lstsq, condition_number

__all__ = ["EightTerm", "eight_term_system", "solve_eight_term"]


def eight_term_system(m_ut: np.ndarray, ideals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear system ``q @ e = b`` of the 8-term model, stacked over leading axes.

    ``m_ut`` (switch-free raw) and ``ideals`` have shape ``(n_std, ..., 2, 2)``
    (broadcastable); returns ``q`` of shape ``(..., 4 n_std, 7)`` and ``b`` of
    shape ``(..., 4 n_std)``. Unknowns ``e = [e00, e11, det X, k e33, k e22,
    k det Y, k]``.
    """
    m, i = np.broadcast_arrays(m_ut, ideals)
    nstd, batch = m.shape[0], m.shape[1:-2]
    q = np.zeros((*batch, nstd, 4, 7), dtype=complex)
    b = np.zeros((*batch, nstd, 4), dtype=complex)
    mv = np.moveaxis(m, 0, -3)
    iv = np.moveaxis(i, 0, -3)
    m00, m01, m10, m11 = mv[..., 0, 0], mv[..., 0, 1], mv[..., 1, 0], mv[..., 1, 1]
    i00, i01, i10, i11 = iv[..., 0, 0], iv[..., 0, 1], iv[..., 1, 0], iv[..., 1, 1]
    q[..., 0, 0] = 1.0
    q[..., 0, 1], q[..., 0, 2], q[..., 0, 4] = i00 * m00, -i00, i10 * m01
    q[..., 1, 1], q[..., 1, 2], q[..., 1, 4], q[..., 1, 6] = i01 * m00, -i01, i11 * m01, -m01
    q[..., 2, 1], q[..., 2, 4], q[..., 2, 5] = i00 * m10, i10 * m11, -i10
    q[..., 3, 1], q[..., 3, 3], q[..., 3, 4] = i01 * m10, 1.0, i11 * m11
    q[..., 3, 5], q[..., 3, 6] = -i11, -m11
    b[..., 0], b[..., 2] = m00, m10
    return q.reshape(*batch, 4 * nstd, 7), b.reshape(*batch, 4 * nstd)


def solve_eight_term(m_ut: np.ndarray, ideals: np.ndarray, isolation: tuple = (0.0, 0.0),
                     switch_terms: tuple = (0.0, 0.0)) -> ErrorTerms:
    """8-term error coefficients from switch-free standards ``(n_std, ..., n_freq, 2, 2)``.

    Needs at least two standards that together determine the seven unknowns
    (e.g. short/open/load pairs and a thru). Coefficient arrays have the
    broadcast leading shape ``(..., n_freq)``.
    """
    q, b = eight_term_system(m_ut, ideals)
    try:
        e = batched_lstsq(q, b)
    except np.linalg.LinAlgError as exc:
        raise ValueError("8-term system is singular: the standards do not determine "
                         "the error boxes (check standard definitions and order)") from exc
    e = np.moveaxis(e, -1, 0)
    esr, edr = e[4] / e[6], e[3] / e[6]
    return ErrorTerms(
        forward_directivity=e[0],
        forward_source_match=e[1],
        forward_reflection_tracking=e[0] * e[1] - e[2],
        reverse_directivity=edr,
        reverse_source_match=esr,
        reverse_reflection_tracking=esr * edr - e[5] / e[6],
        k=e[6],
        forward_isolation=isolation[0], reverse_isolation=isolation[1],
        forward_switch_term=switch_terms[0], reverse_switch_term=switch_terms[1],
    )


class EightTerm(TwoPortCalibration):
    """8-term calibration with known standards, scikit-rf compatible.

    ``EightTerm(measured=[...], ideals=[...], switch_terms=(gamma_f, gamma_r),
    isolation=None)``; ``run()``, ``coefs``, ``apply_cal(ntwk)``. Agrees with
    ``skrf.calibration.EightTerm`` to rounding and runs all frequencies at once.
    """

    family = "EightTerm"

    def _solve(self, m_ut: np.ndarray, ideals: np.ndarray) -> ErrorTerms:
        return solve_eight_term(m_ut, ideals, self._isolation, self._switch)

    @property
    def condition(self) -> np.ndarray:
        """Condition number of the (column-equilibrated) 8-term system per frequency.

        Large values (> ~1e6) mean the standards barely determine the error
        terms at that frequency.
        """
        return condition_number(eight_term_system(self.measured_unterminated, self._ideals_s)[0])
