"""Fit of the attenuator's hot-electron heating: SigmaV (and optionally the exponent).

Model (see :mod:`.heating_model`): T_att(P) = (T_ph^n + P (1 - 1/A) / SigmaV)^(1/n).
Given the attenuator temperature measured at several input powers (for
instance T_eff from thermal-photon dephasing), the phonon temperature (the
MXC thermometer) and the attenuation, the fit returns SigmaV with its
standard uncertainty.

Steps: a weighted linear fit of T^n - T_ph^n = P_diss / SigmaV gives the
start; a least-squares fit in the temperature domain (parameters ln SigmaV
and, with ``fit_exponent``, n) refines it; the covariance comes from the
Jacobian at the optimum (scaled by the reduced chi-square without ``sigma``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import least_squares

from cryochar.analysis.thermal.heating_model import dissipated_fraction
from cryochar.analysis.thermal.results import HotElectronFit, redchi_flag
from cryochar.core.errors import FitError

EXPONENT_BOUNDS = (3.0, 7.0)
"""Range allowed for a fitted exponent (4: boundary resistance, 5: electron-phonon)."""


def _inputs(power: Any, t_att: Any, sigma: Any, t_ph: Any) -> tuple[np.ndarray, ...]:
    p, t = np.asarray(power, float), np.asarray(t_att, float)
    if p.ndim != 1 or p.shape != t.shape:
        raise FitError("power and t_att must be 1-D arrays of equal length",
                       fix="pass one value per measured power")
    s = np.broadcast_to(np.asarray(1.0 if sigma is None else sigma, float), p.shape)
    tph = np.broadcast_to(np.asarray(t_ph, float), p.shape)
    good = np.isfinite(p) & np.isfinite(t) & np.isfinite(s) & np.isfinite(tph) & (s > 0)
    return p[good], t[good], s[good], tph[good]


def _model(theta: np.ndarray, p_diss: np.ndarray, tph: np.ndarray, exponent: float | None,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Temperatures and Jacobian (columns: d/d ln SigmaV [, d/d n])."""
    n = theta[1] if exponent is None else exponent
    heat = p_diss * np.exp(-theta[0])
    base = tph**n
    u = base + heat
    temp = u ** (1.0 / n)
    cols = [-temp * heat / (n * u)]
    if exponent is None:
        log_tph = np.log(np.where(tph > 0, tph, 1.0))
        cols.append(temp * (-np.log(u) / n**2 + base * log_tph / (n * u)))
    return temp, np.stack(cols, axis=1)


def _linear_start(p_diss: np.ndarray, t: np.ndarray, s: np.ndarray, tph: np.ndarray,
                  n: float) -> float:
    """ln SigmaV from the weighted linear fit of T^n - T_ph^n = P_diss / SigmaV."""
    y = t**n - tph**n
    w = 1.0 / (n * t ** (n - 1) * s) ** 2
    inverse = np.sum(w * y * p_diss) / np.sum(w * p_diss**2)
    if not inverse > 0:  # no heating seen: start where the largest power heats by ~sigma
        inverse = np.max(n * t ** (n - 1) * s) / max(np.max(p_diss), 1e-300)
    return float(-np.log(inverse))


def fit_hot_electron(power: Any, t_att: Any, t_att_sigma: Any, t_ph: Any, attenuation_db: float,
                     *, exponent: float = 5.0, fit_exponent: bool = False) -> HotElectronFit:
    """Fit SigmaV (W/K^n) to attenuator temperatures ``t_att`` K at input ``power`` W.

    ``t_att_sigma`` (K, per point or scalar; None for unknown, then the
    covariance is scaled by the reduced chi-square), ``t_ph`` the phonon (MXC)
    temperature in K (scalar or per point), ``attenuation_db`` the
    attenuator's attenuation. ``exponent`` fixes n (5, or 4 for the
    boundary-resistance variant); ``fit_exponent=True`` fits it too, starting
    there. Returns a :class:`HotElectronFit` with flags (never raises on a
    poor fit; raises :class:`FitError` on malformed input).
    """
    p, t, s, tph = _inputs(power, t_att, t_att_sigma, t_ph)
    p_diss = p * dissipated_fraction(attenuation_db)
    n_par = 2 if fit_exponent else 1
    fixed = None if fit_exponent else float(exponent)
    if p.size < n_par + 1:
        nan = np.full((n_par, n_par), np.nan)
        return _result(np.nan, np.nan, exponent, np.nan if fit_exponent else 0.0, attenuation_db,
                       np.nan, 0, p.size, t_att_sigma is not None, False, ("too_few_points",),
                       nan)
    theta0 = [_linear_start(p_diss, t, s, tph, float(exponent))]
    lower, upper = [-np.inf], [np.inf]
    if fit_exponent:
        theta0.append(float(np.clip(exponent, *EXPONENT_BOUNDS)))
        lower.append(EXPONENT_BOUNDS[0])
        upper.append(EXPONENT_BOUNDS[1])
    solution = least_squares(
        lambda th: (_model(th, p_diss, tph, fixed)[0] - t) / s, theta0,
        jac=lambda th: _model(th, p_diss, tph, fixed)[1] / s[:, None],
        bounds=(lower, upper), method="trf", x_scale="jac", xtol=1e-12, ftol=1e-12)
    return _summarise(solution, p_diss, t, s, tph, fixed, attenuation_db,
                      absolute=t_att_sigma is not None)


def _summarise(solution: Any, p_diss: np.ndarray, t: np.ndarray, s: np.ndarray,
               tph: np.ndarray, fixed: float | None, attenuation_db: float,
               absolute: bool) -> HotElectronFit:
    theta = solution.x
    temp, jac = _model(theta, p_diss, tph, fixed)
    chisq = float(np.sum(((temp - t) / s) ** 2))
    dof = t.size - theta.size
    redchi = chisq / dof if dof > 0 else np.nan
    jw = jac / s[:, None]
    flags: list[str] = []
    try:
        cov = np.linalg.inv(jw.T @ jw) * (1.0 if absolute else redchi)
    except np.linalg.LinAlgError:
        cov = np.full((theta.size, theta.size), np.nan)
    sigma_v = float(np.exp(theta[0]))
    # covariance of (sigma_v, exponent): d sigma_v / d ln sigma_v = sigma_v
    scale = np.array([sigma_v, 1.0][: theta.size])
    cov = cov * np.outer(scale, scale)
    stderr = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(theta.size, np.nan)
    if not np.all(np.isfinite(stderr)) or np.any(np.diag(cov) <= 0):
        flags.append("bad_covariance")
    if solution.status <= 0:
        flags.append("not_converged")
    flags.extend(redchi_flag(chisq, dof, absolute))
    noise = s if absolute else s * np.sqrt(redchi)
    if not (stderr[0] < 0.5 * sigma_v) or not np.any(temp - tph > 2 * noise):
        flags.append("unresolved")
    exponent = float(theta[1]) if fixed is None else fixed
    if fixed is None and np.any(np.isclose(exponent, EXPONENT_BOUNDS, rtol=1e-6)):
        flags.append("at_bound")
    return _result(sigma_v, float(stderr[0]), exponent,
                   0.0 if fixed is not None else float(stderr[1]), attenuation_db, chisq, dof,
                   t.size, absolute, solution.status > 0, tuple(flags), cov)


def _result(sigma_v: float, sigma_v_stderr: float, exponent: float, exponent_stderr: float,
            attenuation_db: float, chisq: float, dof: int, n_points: int, absolute: bool,
            converged: bool, flags: tuple[str, ...], cov: np.ndarray) -> HotElectronFit:
    cov = np.array(cov, dtype=float)
    cov.flags.writeable = False
    return HotElectronFit(
        sigma_v=sigma_v, sigma_v_stderr=sigma_v_stderr, exponent=float(exponent),
        exponent_stderr=exponent_stderr, attenuation_db=float(attenuation_db), chisq=chisq,
        dof=dof, redchi=chisq / dof if dof > 0 else float("nan"), n_points=n_points,
        absolute_sigma=absolute, converged=converged, ok=not flags, flags=flags, covariance=cov)


__all__ = ["EXPONENT_BOUNDS", "fit_hot_electron"]
