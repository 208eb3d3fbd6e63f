"""Separating the attenuator under test from leakage of warmer stages.

Sweep the mixing-chamber temperature, measure the resonator's thermal
population n at each step, and fit (PHYSICS.md)

    n(T_mxc) = n_leak + w n_BE(f, T_att(T_mxc)).

Assumption on T_att: the attenuator under test is anchored to the mixing
chamber and no RF power is applied, so T_att = T_mxc. When that does not
hold (power applied, poor anchoring), pass the attenuator temperature of
each point as ``t_att`` (e.g. from the hot-electron model). The model is
linear in (n_leak, w), so the fit is an exact weighted linear least squares.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.analysis.thermal.photons import (
    bose_einstein,
    effective_temperature,
    effective_temperature_stderr,
)
from cryochar.analysis.thermal.results import LeakageFit, redchi_flag
from cryochar.core.errors import FitError


def fit_leakage_model(t_mxc: Any, n: Any, n_sigma: Any, frequency: float, *,
                      t_att: Any = None, weight: float | None = None) -> LeakageFit:
    """Fit n_leak and the attenuator weight w to photon numbers ``n`` at ``t_mxc`` K.

    ``n_sigma``: standard uncertainty of each ``n`` (scalar or per point;
    None: unknown, the covariance is scaled by the reduced chi-square).
    ``frequency`` Hz is the resonator frequency. ``t_att`` (K) replaces the
    assumption T_att = T_mxc. ``weight`` fixes w (e.g. 1 - 1/A when the line
    alone couples the resonator) and fits n_leak only. Returns a
    :class:`LeakageFit`; raises :class:`FitError` on malformed input only.
    """
    t = np.asarray(t_mxc if t_att is None else t_att, dtype=float)
    y = np.asarray(n, dtype=float)
    if t.ndim != 1 or t.shape != y.shape:
        raise FitError("t_mxc (or t_att) and n must be 1-D arrays of equal length")
    s = np.broadcast_to(np.asarray(1.0 if n_sigma is None else n_sigma, float), y.shape)
    good = np.isfinite(t) & np.isfinite(y) & np.isfinite(s) & (s > 0)
    t, y, s = t[good], y[good], s[good]
    x = np.asarray(bose_einstein(frequency, t), dtype=float)
    design = np.stack([np.ones_like(x), x], axis=1)
    if weight is not None:
        y = y - weight * x
        design = design[:, :1]
    n_par = design.shape[1]
    absolute = n_sigma is not None
    if y.size < n_par + 1:
        return _build(np.full(2, np.nan), np.full((2, 2), np.nan), weight, frequency, np.nan,
                      0, y.size, absolute, ("too_few_points",))
    a = design / s[:, None]
    normal = a.T @ a
    flags: list[str] = []
    cov = np.linalg.pinv(normal)
    beta = cov @ (a.T @ (y / s))
    chisq = float(np.sum(((y - design @ beta) / s) ** 2))
    dof = y.size - n_par
    if not absolute:
        cov = cov * chisq / dof
    if np.linalg.cond(normal) > 1e12 or not np.all(np.diag(cov) > 0):
        flags.append("bad_covariance")
    flags.extend(redchi_flag(chisq, dof, absolute))
    params = np.array([beta[0], beta[1] if weight is None else weight])
    full = np.zeros((2, 2))
    full[:n_par, :n_par] = cov
    return _build(params, full, weight, frequency, chisq, dof, y.size, absolute, tuple(flags))


def _physics_flags(params: np.ndarray, stderr: np.ndarray, fitted_weight: bool,
                   ) -> list[str]:
    flags = []
    if fitted_weight and not abs(params[1]) > 2 * stderr[1]:
        flags.append("unresolved")
    low = params - 2 * stderr
    if params[0] + 2 * stderr[0] < 0 or low[1] > 1 or params[1] + 2 * stderr[1] < 0:
        flags.append("unphysical")
    return flags


def _build(params: np.ndarray, cov: np.ndarray, weight: float | None, frequency: float,
           chisq: float, dof: int, n_points: int, absolute: bool,
           flags: tuple[str, ...]) -> LeakageFit:
    stderr = np.sqrt(np.abs(np.diag(cov)))
    if "too_few_points" not in flags:
        flags = flags + tuple(_physics_flags(params, stderr, weight is None))
    t_leak = effective_temperature(frequency, max(params[0], 0.0)) if np.isfinite(
        params[0]) else np.nan
    t_leak_stderr = effective_temperature_stderr(frequency, params[0], stderr[0]) if (
        params[0] > 0) else np.nan
    cov = np.array(cov)
    cov.flags.writeable = False
    return LeakageFit(
        n_leak=float(params[0]), n_leak_stderr=float(stderr[0]), weight=float(params[1]),
        weight_stderr=float(stderr[1]), t_leak=float(t_leak), t_leak_stderr=float(t_leak_stderr),
        frequency=float(frequency), chisq=float(chisq), dof=int(dof),
        redchi=float(chisq / dof) if dof > 0 else float("nan"), n_points=int(n_points),
        absolute_sigma=absolute, ok=not flags, flags=flags, covariance=cov)


__all__ = ["fit_leakage_model"]
