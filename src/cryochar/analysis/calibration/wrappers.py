"""Thin wrappers over scikit-rf's two-port calibrations (built and run in one call).

SOLT, TRL and NIST multiline TRL are scikit-rf's own implementations;
SOLR is cryochar's vectorised :class:`~.unknownthru.UnknownThru` (same
algorithm as ``skrf.calibration.UnknownThru``). Inputs are lists of
``skrf.Network`` in the order each method documents; every keyword goes to
the underlying class. :func:`error_terms_of` turns any of them into
:class:`~.errorterms.ErrorTerms` for vectorised correction and budgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import skrf
from skrf.calibration import SOLT, TRL, NISTMultilineTRL

from cryochar.analysis.calibration.errorterms import ErrorTerms
from cryochar.analysis.calibration.unknownthru import UnknownThru

__all__ = ["error_terms_of", "multiline_trl", "solr", "solt", "trl"]


def solt(measured: Sequence[skrf.Network], ideals: Sequence[skrf.Network | None],
         **kwargs: Any) -> SOLT:
    """12-term SOLT (``skrf.calibration.SOLT``): reflects then thru(s); a ``None`` thru is flush."""
    cal = SOLT(measured=list(measured), ideals=list(ideals), **kwargs)
    cal.run()
    return cal


def solr(measured: Sequence[skrf.Network], ideals: Sequence[skrf.Network],
         switch_terms: tuple[skrf.Network, skrf.Network] | None = None,
         **kwargs: Any) -> UnknownThru:
    """SOLR: reflects on both ports, reciprocal thru last (vectorised :class:`UnknownThru`)."""
    cal = UnknownThru(measured=measured, ideals=ideals, switch_terms=switch_terms, **kwargs)
    cal.run()
    return cal


def trl(measured: Sequence[skrf.Network], ideals: Sequence[skrf.Network | None] | None = None,
        switch_terms: tuple[skrf.Network, skrf.Network] | None = None,
        **kwargs: Any) -> TRL:
    """TRL / multiline TRL (``skrf.calibration.TRL``): order [thru, reflect(s), line(s)]."""
    cal = TRL(measured=list(measured), ideals=ideals, switch_terms=switch_terms, **kwargs)
    cal.run()
    return cal


def multiline_trl(measured: Sequence[skrf.Network], Grefls: Sequence[complex],
                  lengths: Sequence[float],
                  switch_terms: tuple[skrf.Network, skrf.Network] | None = None,
                  **kwargs: Any) -> NISTMultilineTRL:
    """NIST multiline TRL (``skrf.calibration.NISTMultilineTRL``, its ``l``: ``lengths`` in m).

    ``measured``: [thru, reflect(s), lines]; ``Grefls``: approximate reflect
    reflection coefficients; ``lengths``: thru and line lengths.
    """
    cal = NISTMultilineTRL(measured=list(measured), Grefls=list(Grefls), l=list(lengths),
                           switch_terms=switch_terms, **kwargs)
    cal.run()
    return cal


def error_terms_of(cal: Any) -> ErrorTerms:
    """8-term :class:`ErrorTerms` of a scikit-rf or cryochar two-port calibration."""
    return ErrorTerms.from_coefs(cal.coefs_8term)
