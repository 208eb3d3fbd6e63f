"""Noise-temperature formulas: Callen-Welton temperature, quanta, shot-noise junction.

All functions broadcast their arguments (numpy rules) and return a float for
scalar input, an array otherwise. Frequencies in Hz (the sign is ignored: the
formulas are even in f), temperatures in K, voltages in V.

* Callen-Welton temperature ``T_CW(f, T) = (h f / 2 k) coth(h f / 2 k T)``:
  the noise temperature of a matched load at physical temperature ``T``,
  including the half quantum of vacuum noise. Limits: ``h f / 2 k`` at
  ``T = 0``; ``T + (h f)^2 / (12 k^2 T) + ...`` for ``h f << k T``. Computed
  without cancellation or overflow for every ``x = h f / 2 k T`` in [0, inf].
* Its temperature derivative ``dT_CW/dT = (x / sinh x)^2`` (1 in the classical
  limit, 0 at T = 0), used to propagate thermometer uncertainties.
* Shot-noise tunnel junction (Spietz et al. 2003), the noise temperature it
  delivers at bias ``V``:
  ``T_SNTJ = sum_{+,-} (e V +/- h f) / (4 k) coth((e V +/- h f) / (2 k T))``
  ``= [T_CW((e V + h f) / h, T) + T_CW((e V - h f) / h, T)] / 2``;
  ``T_CW(f, T)`` at V = 0 and slope ``e / 2 k`` = 5.80 K/mV at large bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.constants import e, h, k

from cryochar.core.errors import FitError

#: Below this x the series of x coth(x) and x / sinh(x) are used (error < 1e-16).
_SERIES_X = 1e-3
#: Above this x, (x / sinh x)^2 < 1e-290: returned as 0 (avoids overflow).
_LARGE_X = 340.0
#: Room temperature of the noise-figure convention (IEEE), K.
T0 = 290.0


def as_output(value: np.ndarray) -> Any:
    """A float for 0-d results, the array otherwise."""
    return float(value) if np.ndim(value) == 0 else value


def _prepare(frequency: Any, temperature: Any) -> tuple[np.ndarray, np.ndarray]:
    f = np.abs(np.asarray(frequency, dtype=float))
    t = np.asarray(temperature, dtype=float)
    if np.any(t < 0):
        raise FitError("negative physical temperature", fix="temperatures are in K, >= 0")
    f, t = np.broadcast_arrays(f, t)
    return f, t


def _x_coth_x(x: np.ndarray) -> np.ndarray:
    """x coth(x) for 0 <= x <= 1 (1 at x = 0)."""
    out = 1.0 + x * x / 3.0 - x**4 / 45.0
    big = x > _SERIES_X
    out[big] = x[big] / np.tanh(x[big])
    return out


def callen_welton_temperature(frequency: Any, temperature: Any) -> Any:
    """Callen-Welton noise temperature ``(h f / 2 k) coth(h f / 2 k T)`` (K).

    ``frequency`` in Hz, ``temperature`` the physical temperature in K (>= 0).
    Exactly ``h f / 2 k`` at T = 0, ``T`` at f = 0, stable in between.
    """
    f, t = _prepare(frequency, temperature)
    half = h * f / (2 * k)
    out = np.zeros(f.shape)
    quantum = half >= t  # x >= 1, includes T = 0
    tq = t[quantum]
    with np.errstate(divide="ignore", invalid="ignore"):
        xq = np.where(tq > 0, half[quantum] / np.where(tq > 0, tq, 1.0), np.inf)
    out[quantum] = half[quantum] / np.tanh(xq)
    classical = ~quantum  # x < 1, so T > 0
    out[classical] = t[classical] * _x_coth_x(half[classical] / t[classical])
    return as_output(out)


def callen_welton_derivative(frequency: Any, temperature: Any) -> Any:
    """``dT_CW / dT = (x / sinh x)^2`` with ``x = h f / 2 k T`` (dimensionless).

    1 in the classical limit, 0 at T = 0.
    """
    f, t = _prepare(frequency, temperature)
    half = h * f / (2 * k)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(t > 0, half / np.where(t > 0, t, 1.0), np.where(half > 0, np.inf, 0.0))
    out = np.zeros(f.shape)
    small = x <= _SERIES_X
    xs = x[small]
    out[small] = 1.0 - xs * xs / 6.0 + 7.0 * xs**4 / 360.0
    mid = ~small & (x < _LARGE_X)
    xm = x[mid]
    out[mid] = 2.0 * xm * np.exp(-xm) / -np.expm1(-2.0 * xm)
    return as_output(out * out)


def noise_quanta(noise_temperature: Any, frequency: Any) -> Any:
    """Noise temperature (K) in quanta, ``k T / (h f)`` (dimensionless)."""
    return as_output(k * np.asarray(noise_temperature, float) / (h * np.asarray(frequency, float)))


def quanta_temperature(quanta: Any, frequency: Any) -> Any:
    """Quanta to noise temperature, ``n h f / k`` (K)."""
    return as_output(np.asarray(quanta, float) * h * np.asarray(frequency, float) / k)


def _sntj_frequencies(voltage: Any, frequency: Any) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(voltage, dtype=float)
    f = np.asarray(frequency, dtype=float)
    return e * v / h + f, e * v / h - f


def sntj_noise_temperature(voltage: Any, frequency: Any, temperature: Any) -> Any:
    """Noise temperature (K) of a shot-noise tunnel junction biased at ``voltage`` (V).

    ``sum_{+,-} (e V +/- h f)/(4 k) coth((e V +/- h f)/(2 k T))`` at frequency
    ``frequency`` (Hz) and junction temperature ``temperature`` (K).
    """
    f_plus, f_minus = _sntj_frequencies(voltage, frequency)
    plus = np.asarray(callen_welton_temperature(f_plus, temperature))
    minus = np.asarray(callen_welton_temperature(f_minus, temperature))
    return as_output(0.5 * (plus + minus))


def sntj_temperature_derivative(voltage: Any, frequency: Any, temperature: Any) -> Any:
    """Derivative of :func:`sntj_noise_temperature` with respect to ``temperature``."""
    f_plus, f_minus = _sntj_frequencies(voltage, frequency)
    plus = np.asarray(callen_welton_derivative(f_plus, temperature))
    minus = np.asarray(callen_welton_derivative(f_minus, temperature))
    return as_output(0.5 * (plus + minus))


#: Large-bias slope of the SNTJ noise temperature, e / 2k (K/V): 5.80 K/mV.
SNTJ_SLOPE = e / (2 * k)


def db_to_linear(value_db: Any) -> Any:
    """Power ratio from dB: ``10^(dB/10)``."""
    return as_output(10.0 ** (np.asarray(value_db, float) / 10.0))


def linear_to_db(value: Any) -> Any:
    """Power ratio in dB: ``10 log10(value)`` (nan for value <= 0)."""
    v = np.asarray(value, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return as_output(np.where(v > 0, 10.0 * np.log10(np.where(v > 0, v, 1.0)), np.nan))


#: d(dB)/d(ln x) = 10 / ln 10: a relative uncertainty u_x/x is DB_PER_NEPER u_x/x in dB.
DB_PER_NEPER = 10.0 / np.log(10.0)

__all__ = [
    "DB_PER_NEPER",
    "SNTJ_SLOPE",
    "T0",
    "callen_welton_derivative",
    "callen_welton_temperature",
    "db_to_linear",
    "linear_to_db",
    "noise_quanta",
    "quanta_temperature",
    "sntj_noise_temperature",
    "sntj_temperature_derivative",
]
