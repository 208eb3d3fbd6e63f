"""Verification of a calibrated DUT and drift checks of a calibration.

* :func:`verify`: does the calibrated DUT agree with its reference within
  the expanded uncertainty (E_n <= 1), per frequency, and where not.
* :func:`check_drift`: a check standard re-measured later, compared with its
  earlier measurement against the scatter seen in repeat measurements; a
  significant change marks the calibration stale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2

from cryochar.analysis.calibration.results import (
    DriftCheck,
    RepeatScatter,
    VerificationResult,
    frozen_array,
)

__all__ = ["check_drift", "verify"]


def _bands(fail: np.ndarray, labels: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Contiguous failing stretches as ``(first, last)`` labels."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], fail.astype(np.int8), [0]])))
    return tuple((float(labels[a]), float(labels[b - 1]))
                 for a, b in zip(edges[0::2], edges[1::2], strict=True))


def verify(measured_dut_db: Any, reference_db: Any, expanded_uncertainty_db: Any, *,
           reference_expanded_db: Any = 0.0, frequency: Any = None) -> VerificationResult:
    """Pass/fail of ``|measured - reference| <= sqrt(U^2 + U_ref^2)`` per frequency.

    All inputs in dB (``U``: expanded uncertainty of the measurement, e.g.
    :attr:`UncertaintyBudget.expanded_s21_db`; ``U_ref`` that of the
    reference), broadcast to one shape. Points with a NaN fail. ``frequency``
    (Hz) labels where it fails; without it, indices do.
    """
    measured, reference = np.broadcast_arrays(np.asarray(measured_dut_db, dtype=float),
                                              np.asarray(reference_db, dtype=float))
    limit = np.broadcast_to(np.hypot(expanded_uncertainty_db, reference_expanded_db),
                            measured.shape)
    deviation = measured - reference
    with np.errstate(divide="ignore", invalid="ignore"):
        en = np.where(np.abs(deviation) == 0, 0.0, np.abs(deviation) / limit)
    passes = np.abs(deviation) <= limit
    fail_idx = np.flatnonzero(~passes.ravel())
    labels = np.arange(passes.size) if frequency is None else \
        np.broadcast_to(np.asarray(frequency, dtype=float), passes.shape).ravel()
    worst = int(np.nanargmax(np.where(np.isnan(en), np.inf, en).ravel())) if en.size else 0
    return VerificationResult(
        passed=bool(passes.all()), passes=frozen_array(passes),
        deviation_db=frozen_array(deviation), limit_db=frozen_array(limit),
        normalised_error=frozen_array(en), failing_indices=frozen_array(fail_idx),
        failing_frequencies=None if frequency is None else frozen_array(labels[fail_idx]),
        failing_bands=_bands(~passes.ravel(), labels), worst_index=worst,
        worst_normalised_error=float(en.ravel()[worst]) if en.size else 0.0,
    )


def check_drift(remeasured: Any, earlier: Any, sigma: Any | RepeatScatter, *,
                alpha: float = 1e-3) -> DriftCheck:
    """Is a re-measured check standard consistent with its earlier measurement?

    ``remeasured`` and ``earlier``: the same quantity (complex S-parameters,
    or real values such as dB) on the same grid; ``sigma``: the scatter of
    one measurement from repeat statistics (complex RMS for complex data,
    standard deviation for real; a :class:`RepeatScatter` is accepted). With
    no drift, each complex difference gives ``|d|^2 / sigma^2 ~ chi2(2)``
    (real: ``d^2 / (2 sigma^2) ~ chi2(1)``). Stale when the pooled
    chi-square has ``p < alpha`` or any point exceeds the Bonferroni
    threshold at family-wise level ``alpha``.
    """
    s = sigma.sigma if isinstance(sigma, RepeatScatter) else sigma
    new, old = np.broadcast_arrays(np.asarray(remeasured), np.asarray(earlier))
    sig = np.broadcast_to(np.abs(np.asarray(s, dtype=complex)), new.shape)
    is_complex = np.iscomplexobj(new) or np.iscomplexobj(old)
    nu = 2 if is_complex else 1
    scale = sig**2 if is_complex else 2 * sig**2
    if np.any(scale <= 0):
        raise ValueError("sigma must be positive at every point")
    deviation = np.abs(new - old)
    t = deviation**2 / scale
    dof = nu * t.size
    statistic = float(t.sum())
    threshold = np.sqrt(scale * chi2.isf(alpha / t.size, nu))
    exceeds = deviation > threshold
    p_value = float(chi2.sf(statistic, dof))
    return DriftCheck(stale=bool(p_value < alpha or exceeds.any()),
                      deviation=frozen_array(deviation), threshold=frozen_array(threshold),
                      exceeds=frozen_array(exceeds), statistic=statistic, dof=dof,
                      p_value=p_value, alpha=float(alpha))
