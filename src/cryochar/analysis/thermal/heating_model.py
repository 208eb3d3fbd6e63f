"""Hot-electron heating of a resistive attenuator film (Yeh et al., J. Appl. Phys.
121, 224501 (2017)).

The film's electrons dissipate P_diss = P_in (1 - 1/A) and shed it to the
phonons as P_diss = Sigma V (T_e^n - T_ph^n), n = 5 (electron-phonon; n = 4 is
the boundary-resistance variant), so

    T_e = (T_ph^n + P_diss / (Sigma V))^(1/n).

Units: power W (at the attenuator's input), temperatures K, ``sigma_v`` W/K^n,
``attenuation_db`` dB. Functions broadcast over their arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _out(x: np.ndarray) -> Any:
    return x if np.ndim(x) else float(x)


def dissipated_fraction(attenuation_db: Any) -> Any:
    """Fraction 1 - 1/A of the input power an attenuator of ``attenuation_db`` dB absorbs."""
    return _out(1.0 - 10.0 ** (-np.asarray(attenuation_db, dtype=float) / 10.0))


def hot_electron_temperature(power: Any, sigma_v: Any, t_ph: Any, attenuation_db: Any,
                             exponent: Any = 5.0) -> Any:
    """Electron temperature, K, of an attenuator film with ``power`` W at its input."""
    n = np.asarray(exponent, dtype=float)
    heat = np.asarray(power, float) * dissipated_fraction(attenuation_db) / np.asarray(
        sigma_v, float)
    return _out((np.asarray(t_ph, float) ** n + heat) ** (1.0 / n))


def hot_electron_power(temperature: Any, sigma_v: Any, t_ph: Any, attenuation_db: Any,
                       exponent: Any = 5.0) -> Any:
    """Input power, W, that holds the film's electrons at ``temperature`` K (inverse)."""
    n = np.asarray(exponent, dtype=float)
    with np.errstate(divide="ignore"):
        diss = np.asarray(sigma_v, float) * (np.asarray(temperature, float) ** n
                                             - np.asarray(t_ph, float) ** n)
        return _out(diss / dissipated_fraction(attenuation_db))


__all__ = ["dissipated_fraction", "hot_electron_power", "hot_electron_temperature"]
