"""Cascades: Friis formula, attenuated input lines and diode noise sources.

Noise temperatures here are Callen-Welton (quantum) noise temperatures in K,
referred to the input of the stage they describe; gains and attenuations are
linear power ratios unless the name ends in ``_db``. Stage sequences run
from the source toward the receiver; every stage value broadcasts over
frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cryochar.analysis.noise.formulas import T0, as_output, callen_welton_temperature, db_to_linear
from cryochar.core.errors import FitError


def friis(noise_temperatures: Sequence[Any], gains: Sequence[Any]) -> Any:
    """System noise temperature ``T_1 + T_2/G_1 + T_3/(G_1 G_2) + ...`` (K).

    ``noise_temperatures`` (K) of each stage, ``gains`` (linear) of each stage;
    the last stage's gain may be omitted (it does not enter).
    """
    temps = [np.asarray(t, float) for t in noise_temperatures]
    gains = [np.asarray(g, float) for g in gains]
    if not temps or len(gains) not in (len(temps), len(temps) - 1):
        raise FitError(f"{len(temps)} noise temperatures need {len(temps)} or {len(temps) - 1} "
                       f"gains, got {len(gains)}")
    total = temps[0] + 0.0
    ahead = np.ones(())
    for t, g in zip(temps[1:], gains, strict=False):  # loop over stages (a handful)
        ahead = ahead * g
        total = total + t / ahead
    return as_output(total)


def friis_first_stage(system_noise_temperature: Any, first_gain: Any,
                      later_noise_temperature: Any, *, system_uncertainty: Any = 0.0,
                      first_gain_uncertainty: Any = 0.0,
                      later_uncertainty: Any = 0.0) -> tuple[Any, Any]:
    """Noise temperature of the first stage, ``T_1 = T_sys - T_later / G_1``, and its uncertainty.

    ``later_noise_temperature`` (K) is that of the rest of the chain (itself
    :func:`friis` of the later stages); ``first_gain`` linear. Standard
    uncertainties of the inputs (same units) propagate to first order.
    Returns ``(T_1, u(T_1))`` in K.
    """
    t_sys = np.asarray(system_noise_temperature, float)
    g1 = np.asarray(first_gain, float)
    t_later = np.asarray(later_noise_temperature, float)
    t1 = t_sys - t_later / g1
    u = np.sqrt(np.asarray(system_uncertainty, float) ** 2
                + (t_later / g1**2 * np.asarray(first_gain_uncertainty, float)) ** 2
                + (np.asarray(later_uncertainty, float) / g1) ** 2)
    return as_output(t1), as_output(u + 0.0 * t1)


def line_noise_temperature(t_in: Any, line_loss_db: Sequence[Any],
                           line_temperatures: Sequence[Any], frequency: Any) -> Any:
    """Noise temperature (K) after a chain of matched attenuators.

    Each stage ``i`` (attenuation ``line_loss_db[i]`` dB at physical
    temperature ``line_temperatures[i]`` K) maps
    ``T -> T / A_i + (1 - 1/A_i) T_CW(f, T_i)``. ``t_in`` is the noise
    temperature entering the first stage, ``frequency`` in Hz.
    """
    if len(line_loss_db) != len(line_temperatures):
        raise FitError(f"{len(line_loss_db)} line losses but {len(line_temperatures)} "
                       "stage temperatures")
    t = np.asarray(t_in, float)
    for loss_db, temp in zip(line_loss_db, line_temperatures, strict=True):  # loop over stages
        a = np.asarray(db_to_linear(loss_db))
        if np.any(~(a >= 1)):
            raise FitError("line attenuations must be >= 0 dB")
        t = t / a + (1.0 - 1.0 / a) * np.asarray(callen_welton_temperature(frequency, temp))
    return as_output(t)


def diode_hot_temperature(enr_db: Any, line_loss_db: Sequence[Any],
                          line_temperatures: Sequence[Any], frequency: Any, *,
                          t0: float = T0) -> Any:
    """Noise temperature (K) of a diode noise source (on) at the end of an input line.

    At the source ``T_hot = T0 10^(ENR/10) + T0`` (``enr_db`` from the
    per-frequency ENR table, ``t0`` = 290 K), then attenuated down the line
    (:func:`line_noise_temperature`). Use the result with
    ``callen_welton=False`` in the Y-factor analyses.
    """
    t_hot = t0 * np.asarray(db_to_linear(enr_db)) + t0
    return line_noise_temperature(t_hot, line_loss_db, line_temperatures, frequency)


def diode_cold_temperature(line_loss_db: Sequence[Any], line_temperatures: Sequence[Any],
                           frequency: Any, *, t_ambient: Any = T0) -> Any:
    """Noise temperature (K) of a diode noise source (off, at ``t_ambient`` K) after the line."""
    t_cold = callen_welton_temperature(frequency, t_ambient)
    return line_noise_temperature(t_cold, line_loss_db, line_temperatures, frequency)


__all__ = [
    "diode_cold_temperature",
    "diode_hot_temperature",
    "friis",
    "friis_first_stage",
    "line_noise_temperature",
]
