"""Gain-compression test: does the output power bend down as the source gets hotter?

A linear amplifier's output power is a straight line in the source noise
temperature ``x`` (the load's Callen-Welton temperature, or ``T_SNTJ(V)`` at the
fitted junction temperature). A gain that drops with the total input power
bends it down. Per frequency, with the weights of the straight-line fit, all
frequencies at once::

    P = p0 + p1 (x - x_m) + c (x - x_m)^2          (x_m: weighted mean of x)

and the frequency is flagged ``compression`` where the curvature ``c`` is
negative and significant, ``c + z u_c < 0``. ``z`` sets the false-alarm rate
(see :data:`~.flags.COMPRESSION_ALPHA`). It needs >= 4 distinct source
temperatures (a quadratic through three points always fits).

The gain drop across the sweep takes the usual saturation of the gain with
the total input noise temperature ``X = x + T_n``, ``G = G_0 / (1 + X /
X_sat)``. Then ``P ~ X / (1 + X / X_sat)`` has ``P'' / P' = -2 / (X_sat + X)``,
so the quadratic's slope and curvature at ``x_m`` give ``X_sat + X_m = -p1 /
c`` without ``T_n``, and the gain at the coldest over that at the hottest
point is ``(p1 - c (x_hot - x_m)) / (p1 - c (x_cold - x_m))``: that ratio in
dB is ``compression_db`` (> 0 when compressed). It is exact to first order in
the compression for any smooth gain curve; a quadratic cannot follow a strong
bend, so above ~0.5 dB across the sweep it is low (by ~10 % at 0.8 dB, ~30 %
at 1.6 dB) and reads as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from cryochar.analysis.noise.flags import COMPRESSION_ALPHA
from cryochar.analysis.noise.formulas import DB_PER_NEPER
from cryochar.analysis.noise.linear import inverse_psd, weighted_columns

#: Distinct source temperatures the test needs (parameters of the quadratic + 1).
MIN_DISTINCT = 4
#: Source temperatures closer than this fraction of the largest one count as one.
DISTINCT_RTOL = 1e-6


@dataclass(frozen=True)
class Quadratic:
    """``y = p0 + p1 (x - centre) + c (x - centre)^2`` per column (internal).

    ``coefficients`` ``(m, 3)`` = ``(p0, p1, c)``; ``covariance`` ``(m, 3, 3)``
    from the weights taken as absolute; ``chi2`` weighted residual sum of
    squares; ``n`` points with non-zero weight. Singular designs give nan.
    """

    coefficients: np.ndarray
    covariance: np.ndarray
    centre: np.ndarray
    chi2: np.ndarray
    n: np.ndarray


def fit_quadratic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Quadratic:
    """Weighted least squares of ``y`` on ``[1, x - centre, (x - centre)^2]`` per column.

    Shapes ``(n, m)``: points along axis 0, independent problems along axis 1.
    ``x`` is centred on its weighted mean and scaled by its weighted spread
    before the normal equations are solved, so the design stays well conditioned.
    """
    x, y, w, used, sw, centre = weighted_columns(x, y, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt((w * (x - centre) ** 2).sum(axis=0) / sw)
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    centre = np.where(np.isfinite(centre), centre, 0.0)
    u = (x - centre) / spread
    design = np.stack(np.broadcast_arrays(1.0, u, u * u), axis=-1)  # (n, m, 3)
    normal = np.einsum("nm,nmi,nmj->mij", w, design, design)
    inverse = inverse_psd(normal)
    beta = np.einsum("mij,mj->mi", inverse, np.einsum("nmi,nm->mi", design, w * y))
    resid = y - np.einsum("nmi,mi->nm", design, beta)
    chi2 = (w * resid * resid).sum(axis=0)
    unscale = np.stack([np.ones_like(spread), 1.0 / spread, 1.0 / spread**2], axis=-1)
    return Quadratic(beta * unscale, inverse * unscale[:, :, None] * unscale[:, None, :],
                     centre, chi2, used.sum(axis=0))


def distinct_count(x: np.ndarray, used: np.ndarray, rtol: float = DISTINCT_RTOL) -> np.ndarray:
    """Number of distinct values of ``x`` among the ``used`` points, per column."""
    values = np.where(used, x, np.nan)
    ordered = np.sort(values, axis=0)  # nan sorts last and compares False below
    tol = rtol * np.max(np.where(used, np.abs(x), 0.0), axis=0)
    with np.errstate(invalid="ignore"):
        gaps = np.diff(ordered, axis=0) > tol
    return used.any(axis=0).astype(int) + gaps.sum(axis=0)


def curvature_threshold(dof: np.ndarray, absolute: bool, alpha: float) -> np.ndarray:
    """``z`` of the test ``c + z u_c < 0``: one-sided false-alarm probability ``alpha``.

    With absolute weights ``c / u_c`` of a linear amplifier is standard normal
    (least squares, radiometer noise Gaussian for B tau >> 1): ``z`` is the
    normal quantile (3.09 for 1e-3). Without, ``u_c`` is scaled by the
    quadratic's reduced chi-square and ``c / u_c`` is Student t with ``dof``.
    """
    if absolute:
        return np.full(dof.shape, norm.isf(alpha))
    with np.errstate(invalid="ignore"):
        return student_t.isf(alpha, np.where(dof > 0, dof, np.nan))


def compression_check(x: np.ndarray, y: np.ndarray, w: np.ndarray, scale: np.ndarray,
                      absolute: bool, alpha: float = COMPRESSION_ALPHA,
                      ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Compression fields and where to flag ``compression``, per column.

    ``x``: source noise temperatures (K), ``y``: powers divided by ``scale``
    (W, per column), ``w``: the straight-line fit's weights on ``y``; shapes
    ``(n, m)``. ``absolute``: the weights are ``1/sigma^2`` (else relative; the covariance
    is scaled by the reduced chi-square). Returns ``curvature`` (W/K^2),
    ``curvature_uncertainty``, ``compression_db`` (dB, gain at the coldest
    over the hottest point) and ``compression_db_uncertainty`` (standard
    uncertainties; nan where fewer than :data:`MIN_DISTINCT` distinct source
    temperatures), and the boolean flag mask.
    """
    used = w > 0
    testable = distinct_count(x, used) >= MIN_DISTINCT
    quad = fit_quadratic(x, y, w)
    dof = quad.n - 3
    cov = quad.covariance
    with np.errstate(divide="ignore", invalid="ignore"):
        if not absolute:
            cov = cov * (quad.chi2 / np.where(dof > 0, dof, np.nan))[:, None, None]
        _, p1, c = quad.coefficients.T
        u_c = np.sqrt(np.where(cov[:, 2, 2] >= 0, cov[:, 2, 2], np.nan))
        x_cold = np.min(np.where(used, x, np.inf), axis=0)
        x_hot = np.max(np.where(used, x, -np.inf), axis=0)
        d_cold, d_hot = x_cold - quad.centre, x_hot - quad.centre
        gain_cold, gain_hot = p1 - c * d_hot, p1 - c * d_cold  # up to one common factor
        compression_db = DB_PER_NEPER * np.log(gain_cold / gain_hot)
        grad = np.stack([np.zeros_like(c), 1 / gain_cold - 1 / gain_hot,
                         d_cold / gain_hot - d_hot / gain_cold], axis=-1) * DB_PER_NEPER
        var_db = np.einsum("mi,mij,mj->m", grad, cov, grad)
        u_db = np.sqrt(np.where(var_db >= 0, var_db, np.nan))
        z = curvature_threshold(dof, absolute, alpha)
        flagged = testable & np.asarray(c + z * u_c < 0)
    fields = {"curvature": c * scale, "curvature_uncertainty": u_c * scale,
              "compression_db": compression_db, "compression_db_uncertainty": u_db}
    return {name: np.where(testable, value, np.nan) for name, value in fields.items()}, flagged


__all__ = ["MIN_DISTINCT", "Quadratic", "compression_check", "curvature_threshold",
           "distinct_count", "fit_quadratic"]
