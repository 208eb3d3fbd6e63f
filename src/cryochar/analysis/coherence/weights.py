"""Shot-noise weights for measured populations.

A population estimated from ``k`` excited-state counts in ``N`` shots is
binomial. Its standard deviation ``sqrt(p (1 - p) / N)`` vanishes at
``p = 0`` or ``1``, which would give such points infinite weight. The
Jeffreys posterior ``Beta(k + 1/2, N - k + 1/2)`` does not: its variance

    a b / ((a + b)^2 (a + b + 1)),   a = k + 1/2,  b = N - k + 1/2,

is positive for every ``k`` and tends to ``p (1 - p) / N`` for large ``N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.core.errors import FitError


def _counts(counts_or_p: Any, shots: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(counts_or_p)
    n = np.asarray(shots, dtype=float)
    if not np.all(n >= 1):
        raise FitError("shots must be >= 1")
    if np.issubdtype(x.dtype, np.integer):
        k = x.astype(float)
    else:
        x = x.astype(float)
        finite = x[np.isfinite(x)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise FitError("float input must be a probability in [0, 1]",
                           fix="pass integer counts, or counts / shots")
        k = x * n
    if np.any(k < 0) or np.any(k > n):
        raise FitError("counts must lie in [0, shots]")
    return k, n


def binomial_posterior(counts_or_p: Any, shots: Any) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys posterior mean and standard deviation of a binomial probability.

    ``counts_or_p`` are integer counts ``k`` (integer dtype) or observed
    fractions ``k / N`` in [0, 1] (float dtype); ``shots`` is ``N``
    (broadcastable). Returns ``(mean, std)`` of ``Beta(k + 1/2, N - k + 1/2)``.
    """
    k, n = _counts(counts_or_p, shots)
    a, b = k + 0.5, n - k + 0.5
    total = a + b
    return a / total, np.sqrt(a * b / (total * total * (total + 1.0)))


def binomial_sigma(counts_or_p: Any, shots: Any) -> np.ndarray:
    """Standard uncertainty of a measured population, never zero.

    The standard deviation of the Jeffreys posterior (see the module
    docstring); use it as ``sigma`` with the observed fraction ``k / N`` as
    ``y``. Integer input is read as counts, float input as fractions.
    """
    return binomial_posterior(counts_or_p, shots)[1]


__all__ = ["binomial_posterior", "binomial_sigma"]
