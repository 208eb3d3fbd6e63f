"""Residual error terms after correction, from verification standards.

A corrected reflection ``c`` of a standard with known reflection ``g``
follows the one-port model ``c = D + T g / (1 - M g)``: residual directivity
``D``, source match ``M`` and tracking ``T`` (0, 0 and 1 for a perfect
calibration). With three or more verification standards they are solved at
every frequency; with fewer (e.g. one long offset short or mismatched
airline, whose reflection rotates quickly with frequency) the terms are
taken as constant over a sliding window of ``window`` points and fitted
there - the regression form of the classical ripple method.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.analysis.calibration.linalg import condition_number
from cryochar.analysis.calibration.results import ResidualErrorTerms, frozen_array
from cryochar.analysis.calibration.unknownthru import solve_one_port

__all__ = ["residual_error_terms"]


def residual_error_terms(corrected: Any, ideal: Any, *, window: int | None = None
                         ) -> ResidualErrorTerms:
    """Residual D, M, T per frequency from corrected and true reflections.

    ``corrected`` and ``ideal``: ``(n_freq,)`` for one verification standard
    or ``(n_std, n_freq)`` for several (dimensionless complex, one port).
    ``window`` (odd number of points, centred; clipped at the band edges)
    defaults to 1 with >= 3 standards and must be given otherwise.
    """
    c = np.atleast_2d(np.asarray(corrected, dtype=complex))
    g = np.broadcast_to(np.atleast_2d(np.asarray(ideal, dtype=complex)), c.shape)
    n_std, n_f = c.shape
    if window is None:
        if n_std < 3:
            raise ValueError("with fewer than 3 verification standards give window= "
                             "(points per local fit)")
        window = 1
    if window < 1 or window > n_f or n_std * window < 3:
        raise ValueError(f"need 1 <= window <= {n_f} and n_std * window >= 3")
    start = np.clip(np.arange(n_f) - window // 2, 0, n_f - window)
    idx = start[:, None] + np.arange(window)            # (n_f, window)
    rows_c = np.moveaxis(c[:, idx], 2, 1).reshape(n_std * window, n_f)
    rows_g = np.moveaxis(g[:, idx], 2, 1).reshape(n_std * window, n_f)
    directivity, tracking, source_match = solve_one_port(rows_c, rows_g)
    design = np.stack([rows_g, np.ones_like(rows_g), -rows_g * rows_c], axis=-1)
    cond = condition_number(np.moveaxis(design, 1, 0))
    return ResidualErrorTerms(directivity=frozen_array(directivity),
                              source_match=frozen_array(source_match),
                              tracking=frozen_array(tracking), condition=frozen_array(cond),
                              window=int(window))
