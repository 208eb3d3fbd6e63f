"""Quality flags of a coherence fit.

A fit is ``ok`` only when no flag is set and every reported standard
uncertainty is finite. Each flag says why a fit is not ok:

============================  ===============================================
``not_converged``             the solver hit its iteration limit
``bad_covariance``            the covariance is singular, negative or non-finite
``at_bound``                  a fitted parameter sits on a bound (rate, detuning
                              >= 0, exponent range); its uncertainty is one-sided
``unresolved``                a fitted time scale lies outside what the sampling
                              can resolve: decay time < smallest time step or
                              > ``RESOLVE_SPAN_FACTOR`` x time window; a Ramsey
                              period longer than 2 windows or above Nyquist
``low_contrast``              the decay is not significant: likelihood-ratio test
                              of the model against a constant at level ``ALPHA``
``high_redchi``               chi-square too large for its degrees of freedom
                              (p < ``ALPHA``); only tested when ``sigma`` is given
``structured_residuals``      too few sign runs in the residuals (Wald-Wolfowitz
                              runs test, p < ``ALPHA``): the model misses a shape
``lower_bound_only``          the profile-likelihood interval of the decay time
                              does not close above: only a lower bound is known
``too_few_points``            fewer valid points than parameters + 1
============================  ===============================================

For 1-D input a result carries ``flags`` as a tuple of these names; for 2-D
input as an integer bit-field array of shape ``(n_traces,)`` that
:func:`decode_flags` turns into names.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

#: Significance level of the statistical flag tests (redchi, runs, contrast).
ALPHA = 1e-3
#: A decay time above this multiple of the time window is flagged unresolved.
RESOLVE_SPAN_FACTOR = 3.0


class FitFlag(enum.IntFlag):
    """Bit values of the quality flags (see the module docstring)."""

    NOT_CONVERGED = 1
    BAD_COVARIANCE = 2
    AT_BOUND = 4
    UNRESOLVED = 8
    LOW_CONTRAST = 16
    HIGH_REDCHI = 32
    STRUCTURED_RESIDUALS = 64
    LOWER_BOUND_ONLY = 128
    TOO_FEW_POINTS = 256


FLAG_NAMES: tuple[str, ...] = tuple(f.name.lower() for f in FitFlag)  # type: ignore[union-attr]


def decode_flags(bits: Any) -> Any:
    """Names of the flags set in ``bits``.

    An integer gives a tuple of names (in bit order); an integer array gives a
    list of such tuples, one per trace (nested like the array).
    """
    arr = np.asarray(bits)
    if arr.ndim == 0:
        value = int(arr)
        return tuple(f.name.lower() for f in FitFlag if value & f.value)  # type: ignore[union-attr]
    return [decode_flags(b) for b in arr]


def encode_flags(names: Any) -> int:
    """The bit-field of a tuple of flag names (inverse of :func:`decode_flags`)."""
    value = 0
    for name in names:
        value |= FitFlag[name.upper()].value
    return value


__all__ = ["ALPHA", "FLAG_NAMES", "RESOLVE_SPAN_FACTOR", "FitFlag", "decode_flags", "encode_flags"]
