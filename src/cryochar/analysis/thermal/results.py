"""Frozen results of the thermal fits and estimates, with uncertainties and flags.

Uncertainties are standard uncertainties (coverage factor k = 1) unless a
field says otherwise. ``flags`` is a tuple of names; a result is ``ok`` only
when it has none:

=====================  ======================================================
``too_few_points``     fewer valid points than parameters + 1
``not_converged``      the solver stopped before convergence
``bad_covariance``     the covariance is singular or not finite
``high_redchi``        chi-square too large for its degrees of freedom
                       (p < ``ALPHA``); tested only with absolute ``sigma``
``unresolved``         the effect being fitted is not significant
                       (parameter < 2 standard uncertainties)
``unphysical``         a parameter lies outside its physical range by more
                       than 2 standard uncertainties
``at_bound``           a fitted exponent sits on its bound
=====================  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from cryochar.analysis.thermal.heating_model import hot_electron_power, hot_electron_temperature
from cryochar.analysis.thermal.photons import bose_einstein

ALPHA = 1e-3
"""Significance level of the chi-square test behind ``high_redchi``."""


def redchi_flag(chisq: float, dof: int, absolute_sigma: bool) -> tuple[str, ...]:
    """``("high_redchi",)`` when chi-square is improbably large, else ``()``."""
    if absolute_sigma and dof > 0 and stats.chi2.sf(chisq, dof) < ALPHA:
        return ("high_redchi",)
    return ()


@dataclass(frozen=True)
class HotElectronFit:
    """Fit of T_att(P) = (T_ph^n + P (1 - 1/A) / SigmaV)^(1/n).

    ``sigma_v`` in W/K^n (W/K^5 for the electron-phonon exponent n = 5),
    ``exponent`` n (``exponent_stderr`` 0 when fixed), ``attenuation_db`` A in dB.
    ``covariance`` is over (sigma_v, exponent) (1x1 when the exponent is fixed).
    """

    sigma_v: float
    sigma_v_stderr: float
    exponent: float
    exponent_stderr: float
    attenuation_db: float
    chisq: float
    dof: int
    redchi: float
    n_points: int
    absolute_sigma: bool
    converged: bool
    ok: bool
    flags: tuple[str, ...]
    covariance: np.ndarray

    def predict(self, power: Any, t_ph: Any) -> Any:
        """Attenuator temperature, K, at input ``power`` W and phonon temperature ``t_ph`` K."""
        return hot_electron_temperature(power, self.sigma_v, t_ph, self.attenuation_db,
                                        self.exponent)

    def power_for(self, temperature: Any, t_ph: Any) -> Any:
        """Input power, W, that heats the film to ``temperature`` K above ``t_ph`` K."""
        return hot_electron_power(temperature, self.sigma_v, t_ph, self.attenuation_db,
                                  self.exponent)


@dataclass(frozen=True)
class LeakageFit:
    """Fit of n(T_mxc) = n_leak + w n_BE(f, T_att), T_att = T_mxc unless given.

    ``n_leak``: photons from warmer stages (and anything not following the
    attenuator's temperature); ``weight`` w: the attenuator's share
    (1 - 1/A, times the fraction of kappa through its line); ``t_leak`` the
    effective temperature of ``n_leak`` at ``frequency`` Hz (K).
    ``covariance`` is over (n_leak, weight).
    """

    n_leak: float
    n_leak_stderr: float
    weight: float
    weight_stderr: float
    t_leak: float
    t_leak_stderr: float
    frequency: float
    chisq: float
    dof: int
    redchi: float
    n_points: int
    absolute_sigma: bool
    ok: bool
    flags: tuple[str, ...]
    covariance: np.ndarray

    def predict(self, t_att: Any) -> Any:
        """Photon number at attenuator temperature(s) ``t_att`` K."""
        out = self.n_leak + self.weight * np.asarray(bose_einstein(self.frequency, t_att))
        return out if np.ndim(out) else float(out)


@dataclass(frozen=True)
class ThermalPhotonEstimate:
    """Thermal photons from excess dephasing: a value, or an upper bound.

    Where ``upper_bound`` is True the excess dephasing is not resolved (below
    ``threshold`` x Gamma_phi,0 or below ``coverage`` standard uncertainties):
    ``n``, ``t_eff`` and their uncertainties are nan and ``n_upper``,
    ``t_eff_upper`` hold the bound. Elsewhere ``n`` +- ``n_stderr`` and
    ``t_eff`` +- ``t_eff_stderr`` (K) are the values and the bounds are nan.
    ``gamma_phi_th`` (+- stderr) is the excess dephasing rate in s^-1.
    Fields are floats for scalar input, read-only arrays otherwise.
    """

    gamma_phi_th: Any
    gamma_phi_th_stderr: Any
    n: Any
    n_stderr: Any
    t_eff: Any
    t_eff_stderr: Any
    upper_bound: Any
    n_upper: Any
    t_eff_upper: Any
    frequency: float
    threshold: float
    coverage: float


__all__ = ["ALPHA", "HotElectronFit", "LeakageFit", "ThermalPhotonEstimate", "redchi_flag"]
