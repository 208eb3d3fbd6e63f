"""Qubit dephasing by photons in the dispersively coupled readout resonator.

Thermal photons (Clerk & Utami, PRA 75, 042302 (2007)), exact::

    Gamma_phi,th = (kappa/2) Re[ sqrt((1 + i chi/kappa)^2 + 4 i chi n / kappa) - 1 ]

``chi`` is the FULL dispersive shift omega_r(|1>) - omega_r(|0>) in rad/s,
``kappa`` the resonator energy decay rate in s^-1, ``n`` the resonator's
thermal population. Limits: n kappa chi^2 / (kappa^2 + chi^2) for small n,
n kappa for chi >> kappa, n (n + 1) chi^2 / kappa (~ n chi^2 / kappa) for
chi << kappa.

The code evaluates the same expression in real arithmetic without
cancellation (writing w = u + i v, Re sqrt(w) = sqrt((|w| + u) / 2)), so
rates stay accurate down to n ~ 1e-12; the inverse is closed-form.
Rates in s^-1; every function broadcasts over its arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.constants import hbar


def _out(x: np.ndarray) -> Any:
    return x if np.ndim(x) else float(x)


def thermal_dephasing_rate(n: Any, kappa: Any, chi: Any) -> Any:
    """Pure-dephasing rate, s^-1, from ``n`` thermal photons (exact Clerk-Utami).

    ``kappa`` s^-1 (> 0), ``chi`` rad/s (full dispersive shift; its sign does
    not matter), ``n`` >= 0.
    """
    n = np.asarray(n, dtype=float)
    c = np.asarray(chi, dtype=float) / np.asarray(kappa, dtype=float)
    c2 = c * c
    modulus = np.sqrt((1.0 - c2) ** 2 + 4.0 * c2 * (1.0 + 2.0 * n) ** 2)  # |w|
    r2m1 = 8.0 * c2 * n * (1.0 + n) / (modulus + 1.0 + c2)  # (Re sqrt w)^2 - 1
    rate = 0.5 * np.asarray(kappa, dtype=float) * r2m1 / (np.sqrt(1.0 + r2m1) + 1.0)
    return _out(rate)


def thermal_dephasing_slope(n: Any, kappa: Any, chi: Any) -> Any:
    """d Gamma_phi,th / d n, s^-1 per photon (= kappa chi^2/(kappa^2 + chi^2) at n = 0)."""
    kappa = np.asarray(kappa, dtype=float)
    c = np.asarray(chi, dtype=float) / kappa
    w = (1.0 + 1j * c) ** 2 + 4j * c * np.asarray(n, dtype=float)
    return _out(kappa * np.real(1j * c / np.sqrt(w)))


def photons_from_dephasing(gamma_phi: Any, kappa: Any, chi: Any) -> Any:
    """Thermal photon number that causes ``gamma_phi`` s^-1 (exact inverse).

    With a = 1 + 2 Gamma/kappa and c = chi/kappa, the Clerk-Utami relation
    solves to 1 + 2 n = a sqrt(a^2 - 1 + c^2) / |c|, evaluated here as
    n = [e s + q / (s + 1)] / 2 with e = 2 Gamma/kappa, q = e (2 + e) / c^2,
    s = sqrt(1 + q), which has no cancellation. A slightly negative (noisy)
    rate gives a slightly negative n, so averages stay unbiased; nan where no
    real solution exists; inf for chi = 0 and Gamma > 0.
    """
    kappa = np.asarray(kappa, dtype=float)
    e = 2.0 * np.asarray(gamma_phi, dtype=float) / kappa
    c = np.asarray(chi, dtype=float) / kappa
    with np.errstate(divide="ignore", invalid="ignore"):
        q = e * (2.0 + e) / (c * c)
        s = np.sqrt(1.0 + q)
        n = 0.5 * (e * s + np.where(q > 1.0, s - 1.0, q / (s + 1.0)))  # s - 1 without loss
    return _out(n)


def coherent_photons(power: Any, frequency: Any, resonator_frequency: Any, kappa: Any,
                     kappa_port: Any) -> Any:
    """Mean photon number driven into the resonator by a coherent tone.

    ``power`` W arriving at a port of rate ``kappa_port`` s^-1, tone at
    ``frequency`` Hz, resonator at ``resonator_frequency`` Hz with total decay
    ``kappa`` s^-1: n = kappa_port P / (hbar omega) / (Delta^2 + kappa^2/4).
    """
    drive = _drive_rate(power, frequency, kappa_port)
    delta = 2.0 * np.pi * (np.asarray(frequency, float) - np.asarray(resonator_frequency, float))
    return _out(drive / (delta**2 + np.asarray(kappa, float) ** 2 / 4.0))


def coherent_dephasing_rate(power: Any, frequency: Any, resonator_frequency: Any, kappa: Any,
                            kappa_port: Any, chi: Any) -> Any:
    """Measurement-induced dephasing, s^-1, by a coherent tone (steady state).

    Gamma_m = (kappa/2) |alpha_1 - alpha_0|^2 with the two qubit-state pointer
    amplitudes at detunings Delta -+ chi/2, i.e. (kappa/2) eps^2 chi^2 /
    ((Delta_0^2 + kappa^2/4)(Delta_1^2 + kappa^2/4)); on resonance and for
    chi << kappa this is 2 n chi^2 / kappa, twice the thermal rate. Far
    detuned (|Delta| >> kappa, chi) it falls as Delta^-4. Arguments as in
    :func:`coherent_photons`; ``chi`` rad/s (full dispersive shift).
    """
    kappa = np.asarray(kappa, dtype=float)
    chi = np.asarray(chi, dtype=float)
    drive = _drive_rate(power, frequency, kappa_port)
    delta = 2.0 * np.pi * (np.asarray(frequency, float) - np.asarray(resonator_frequency, float))
    lorentz0 = (delta - chi / 2.0) ** 2 + kappa**2 / 4.0
    lorentz1 = (delta + chi / 2.0) ** 2 + kappa**2 / 4.0
    return _out(0.5 * kappa * drive * chi**2 / (lorentz0 * lorentz1))


def _drive_rate(power: Any, frequency: Any, kappa_port: Any) -> np.ndarray:
    """eps^2 = kappa_port * photon flux, s^-2."""
    flux = np.asarray(power, float) / (hbar * 2.0 * np.pi * np.asarray(frequency, float))
    return np.asarray(kappa_port, float) * flux


__all__ = [
    "coherent_dephasing_rate",
    "coherent_photons",
    "photons_from_dephasing",
    "thermal_dephasing_rate",
    "thermal_dephasing_slope",
]
