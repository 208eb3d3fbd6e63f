"""Quality flags of the amplifier-noise analyses (one bit-field per frequency).

A result is ``ok`` at a frequency only when no flag is set there and its
uncertainties are finite. Each flag says why a value is not trustworthy:

=========================  ==================================================
``invalid_input``          a power, temperature or weight is not finite, or a
                           power is <= 0
``no_contrast``            the hot and cold (or all) source temperatures give
                           no usable contrast: Y <= 1, T_hot <= T_cold, too
                           few distinct source temperatures, or (fits) a gain
                           not resolved: G < ``CONTRAST_Z`` u(G)
``below_quantum_limit``    the added noise is significantly below the
                           phase-preserving limit 1/2 (n_add + 2 u < 1/2): a
                           calibration error (source temperature, loss) is
                           likely
``poor_fit``               chi-square too large for its degrees of freedom
                           (p < ``ALPHA``); only tested with absolute weights
``at_bound``               a fitted temperature sits on its search bound
``bad_covariance``         the covariance is singular or not finite
``too_few_points``         fewer valid points than parameters + 1
``compression``            the output power grows less than linearly with the
                           source noise temperature (gain compression): the
                           curvature of a weighted quadratic fit is negative
                           and significant; needs >= 4 distinct source
                           temperatures (multi-temperature and SNTJ fits)
=========================  ==================================================
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

#: Significance level of the goodness-of-fit test.
ALPHA = 1e-3
#: Coverage factor of the quantum-limit test (n_add + QL_COVERAGE u < 1/2 is flagged).
QL_COVERAGE = 2.0
#: False-alarm probability, per frequency, of the compression test on a linear amplifier.
#: The same as ``ALPHA``: a linear amplifier fails either test equally rarely. One-sided
#: (only a downward bend is compression): ``z = 3.09`` with absolute weights.
COMPRESSION_ALPHA = 1e-3


class NoiseFlag(enum.IntFlag):
    """Bit values of the quality flags (see the module docstring)."""

    INVALID_INPUT = 1
    NO_CONTRAST = 2
    BELOW_QUANTUM_LIMIT = 4
    POOR_FIT = 8
    AT_BOUND = 16
    BAD_COVARIANCE = 32
    TOO_FEW_POINTS = 64
    COMPRESSION = 128


NOISE_FLAG_NAMES: tuple[str, ...] = tuple(f.name.lower() for f in NoiseFlag)  # type: ignore[union-attr]


def decode_noise_flags(bits: Any) -> Any:
    """Names of the flags set: a tuple for an integer, a list of tuples for an array."""
    arr = np.asarray(bits)
    if arr.ndim == 0:
        value = int(arr)
        return tuple(f.name.lower() for f in NoiseFlag if value & f.value)  # type: ignore[union-attr]
    return [decode_noise_flags(b) for b in arr]


#: A fitted gain counts as resolved when G >= CONTRAST_Z u(G) (a 33 % standard
#: uncertainty at most): a source that does not reach the amplifier (an SNTJ not
#: connected, a load that does not heat) leaves the power flat and G unresolved.
CONTRAST_Z = 3.0


def unresolved_gain(gain: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """True where the fitted gain is not significantly positive: G < CONTRAST_Z u(G)."""
    with np.errstate(invalid="ignore"):
        return ~(np.asarray(gain) >= CONTRAST_Z * np.sqrt(np.asarray(variance)))


def set_flag(bits: np.ndarray, condition: Any, flag: NoiseFlag) -> np.ndarray:
    """``bits`` with ``flag`` set where ``condition`` is True (broadcast)."""
    return np.asarray(bits) | np.where(np.asarray(condition, bool), int(flag), 0)


__all__ = [
    "ALPHA",
    "COMPRESSION_ALPHA",
    "CONTRAST_Z",
    "NOISE_FLAG_NAMES",
    "QL_COVERAGE",
    "NoiseFlag",
    "decode_noise_flags",
    "set_flag",
    "unresolved_gain",
]
