"""From coherence times to thermal photons and an effective temperature.

Extraction chain (PHYSICS.md): Gamma_phi,th = 1/T2echo - 1/(2 T1) - Gamma_phi,0,
with kappa and chi from spectroscopy; invert the exact Clerk-Utami relation
for n; n -> T_eff. When the excess dephasing is not resolved (below
``threshold`` x Gamma_phi,0, default 0.1, or below ``coverage`` standard
uncertainties) the result is an upper bound, not a value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.analysis.thermal.dephasing import photons_from_dephasing, thermal_dephasing_slope
from cryochar.analysis.thermal.photons import effective_temperature, effective_temperature_stderr
from cryochar.analysis.thermal.results import ThermalPhotonEstimate


def _frozen(x: Any) -> Any:
    arr = np.array(x)
    if arr.ndim == 0:
        return arr.item()
    arr.flags.writeable = False
    return arr


def thermal_photon_estimate(gamma_phi_th: Any, gamma_phi_th_stderr: Any,
                            gamma_phi_intrinsic: Any, kappa: float, chi: float,
                            frequency: float, *, threshold: float = 0.1,
                            coverage: float = 2.0) -> ThermalPhotonEstimate:
    """Photon number and T_eff from an excess dephasing rate, or an upper bound.

    ``gamma_phi_th`` +- ``gamma_phi_th_stderr`` (s^-1): excess dephasing;
    ``gamma_phi_intrinsic`` (s^-1): Gamma_phi,0, the dephasing without
    thermal photons; ``kappa`` s^-1, ``chi`` rad/s (full dispersive shift),
    ``frequency`` Hz (the resonator's). Unresolved where gamma < ``threshold``
    x Gamma_phi,0 or gamma < ``coverage`` x stderr; the bound there is
    Gamma_upper = max(gamma, 0) + coverage x stderr, but at least
    threshold x Gamma_phi,0 (the resolution of the method). Broadcasts.
    """
    g = np.asarray(gamma_phi_th, dtype=float)
    sg = np.asarray(gamma_phi_th_stderr, dtype=float)
    floor = threshold * np.asarray(gamma_phi_intrinsic, dtype=float)
    bound = (g < floor) | (g < coverage * sg)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.asarray(photons_from_dephasing(g, kappa, chi))
        n_stderr = sg / np.asarray(thermal_dephasing_slope(np.maximum(n, 0.0), kappa, chi))
        t_eff = np.asarray(effective_temperature(frequency, n))
        t_eff_stderr = np.asarray(effective_temperature_stderr(frequency, n, n_stderr))
        g_upper = np.maximum(np.maximum(g, 0.0) + coverage * sg, floor)
        n_upper = np.asarray(photons_from_dephasing(g_upper, kappa, chi))
        t_upper = np.asarray(effective_temperature(frequency, n_upper))
    nan = np.nan
    return ThermalPhotonEstimate(
        gamma_phi_th=_frozen(g), gamma_phi_th_stderr=_frozen(sg),
        n=_frozen(np.where(bound, nan, n)), n_stderr=_frozen(np.where(bound, nan, n_stderr)),
        t_eff=_frozen(np.where(bound, nan, t_eff)),
        t_eff_stderr=_frozen(np.where(bound, nan, t_eff_stderr)),
        upper_bound=_frozen(bound), n_upper=_frozen(np.where(bound, n_upper, nan)),
        t_eff_upper=_frozen(np.where(bound, t_upper, nan)), frequency=float(frequency),
        threshold=float(threshold), coverage=float(coverage))


def thermal_photons_from_coherence(t1: Any, t2_echo: Any, gamma_phi_intrinsic: Any,
                                   kappa: float, chi: float, frequency: float, *,
                                   t1_stderr: Any = 0.0, t2_echo_stderr: Any = 0.0,
                                   gamma_phi_intrinsic_stderr: Any = 0.0,
                                   threshold: float = 0.1,
                                   coverage: float = 2.0) -> ThermalPhotonEstimate:
    """The whole extraction chain from ``t1`` and ``t2_echo`` (s, with stderrs).

    Gamma_phi,th = 1/T2echo - 1/(2 T1) - Gamma_phi,0 with first-order
    uncertainty propagation (independent inputs), then
    :func:`thermal_photon_estimate`. Broadcasts over series of measurements.
    """
    t1 = np.asarray(t1, dtype=float)
    t2 = np.asarray(t2_echo, dtype=float)
    g0 = np.asarray(gamma_phi_intrinsic, dtype=float)
    gamma = 1.0 / t2 - 0.5 / t1 - g0
    stderr = np.sqrt((np.asarray(t2_echo_stderr, float) / t2**2) ** 2
                     + (0.5 * np.asarray(t1_stderr, float) / t1**2) ** 2
                     + np.asarray(gamma_phi_intrinsic_stderr, float) ** 2)
    return thermal_photon_estimate(gamma, stderr, g0, kappa, chi, frequency,
                                   threshold=threshold, coverage=coverage)


__all__ = ["thermal_photon_estimate", "thermal_photons_from_coherence"]
