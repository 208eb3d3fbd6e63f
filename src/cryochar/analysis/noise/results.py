"""Frozen result objects of the amplifier gain / noise-temperature analyses.

Every per-frequency field has the broadcast shape of the inputs: a Python
float (``flags``: int) for scalar input, a read-only array otherwise.

Units: ``frequency`` Hz; ``gain`` linear power gain (W/W; needs powers in W);
``gain_db`` dB; ``noise_temperature`` K (referred to the input, Callen-Welton
convention: a quantum-limited phase-preserving amplifier has ``h f / 2 k``);
``n_added = k T_n / h f`` quanta. ``*_uncertainty`` are standard
uncertainties (k = 1). ``covariance`` is the covariance of
``(gain, noise_temperature)``, shape ``(..., 2, 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryochar.analysis.noise.flags import QL_COVERAGE, NoiseFlag, decode_noise_flags, set_flag
from cryochar.analysis.noise.formulas import DB_PER_NEPER, linear_to_db, noise_quanta


def freeze(value: Any) -> Any:
    """A float/int for 0-d values, else a read-only copy of the array."""
    arr = np.array(value)
    if arr.ndim == 0:
        return arr.item()
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False, kw_only=True)
class AmplifierNoise:
    """Gain and input-referred noise of an amplifier, per frequency (units: module doc)."""

    frequency: Any
    gain: Any
    gain_uncertainty: Any
    gain_db: Any
    gain_db_uncertainty: Any
    noise_temperature: Any
    noise_temperature_uncertainty: Any
    n_added: Any
    n_added_uncertainty: Any
    covariance: Any = field(repr=False)
    flags: Any
    ok: Any

    @property
    def flag_names(self) -> Any:
        """Flag names: a tuple (scalar result) or a list of tuples, one per frequency."""
        return decode_noise_flags(self.flags)


@dataclass(frozen=True, eq=False, kw_only=True)
class YFactorResult(AmplifierNoise):
    """Y-factor result; ``y = P_hot / P_cold``; ``t_hot_cw``/``t_cold_cw`` the
    source noise temperatures used (K, Callen-Welton)."""

    y: Any
    t_hot_cw: Any
    t_cold_cw: Any


@dataclass(frozen=True, eq=False, kw_only=True)
class FitStatistics:
    """Goodness of fit: ``chi2`` (weighted), ``dof``, ``redchi = chi2/dof``, ``p_value``
    (nan without absolute weights), ``poor_fit`` (p < alpha), ``absolute_sigma``."""

    chi2: Any
    dof: Any
    redchi: Any
    p_value: Any
    poor_fit: Any
    absolute_sigma: bool


@dataclass(frozen=True, eq=False, kw_only=True)
class CompressionCheck:
    """Gain-compression test of a fit over >= 4 distinct source temperatures (nan
    with fewer; see :mod:`.compression`): ``curvature`` (W/K^2) of the power
    against the source noise temperature, ``compression_db`` the gain drop (dB,
    > 0 when compressed) from the coldest to the hottest source point, and
    their standard uncertainties. Flag ``compression`` where it is significant."""

    curvature: Any = float("nan")
    curvature_uncertainty: Any = float("nan")
    compression_db: Any = float("nan")
    compression_db_uncertainty: Any = float("nan")


@dataclass(frozen=True, eq=False, kw_only=True)
class MultiTemperatureResult(AmplifierNoise, FitStatistics, CompressionCheck):
    """Straight-line fit of ``P = G k B [T_CW(T_i) + T_n]`` over source temperatures."""

    n_points: Any


@dataclass(frozen=True, eq=False, kw_only=True)
class SNTJResult(AmplifierNoise, FitStatistics, CompressionCheck):
    """Shot-noise tunnel junction fit.

    ``junction_temperature`` (K) and its standard uncertainty;
    ``full_covariance`` is the covariance of ``(gain, noise_temperature,
    junction_temperature)``, shape ``(..., 3, 3)``.
    """

    junction_temperature: Any
    junction_temperature_uncertainty: Any
    full_covariance: Any = field(repr=False)
    n_points: Any


def amplifier_fields(frequency: Any, gain: np.ndarray, noise_temperature: np.ndarray,
                     covariance: np.ndarray, flags: np.ndarray) -> dict[str, Any]:
    """The fields of :class:`AmplifierNoise` from gain, T_n and their covariance.

    Adds the ``bad_covariance`` and ``below_quantum_limit`` flags and freezes
    everything. ``covariance`` has shape ``gain.shape + (2, 2)``.
    """
    frequency = np.broadcast_to(np.asarray(frequency, float), gain.shape)
    var = np.diagonal(covariance, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore"):
        u = np.sqrt(np.where(var >= 0, var, np.nan))
    u_gain, u_tn = u[..., 0], u[..., 1]
    n_added = np.asarray(noise_quanta(noise_temperature, frequency))
    u_n = np.asarray(noise_quanta(u_tn, frequency))
    with np.errstate(divide="ignore", invalid="ignore"):
        u_db = DB_PER_NEPER * u_gain / np.abs(gain)
    finite = np.isfinite(u_gain) & np.isfinite(u_tn)
    flags = set_flag(flags, ~finite, NoiseFlag.BAD_COVARIANCE)
    flags = set_flag(flags, n_added + QL_COVERAGE * u_n < 0.5, NoiseFlag.BELOW_QUANTUM_LIMIT)
    return {
        "frequency": freeze(frequency), "gain": freeze(gain), "gain_uncertainty": freeze(u_gain),
        "gain_db": freeze(linear_to_db(gain)), "gain_db_uncertainty": freeze(u_db),
        "noise_temperature": freeze(noise_temperature),
        "noise_temperature_uncertainty": freeze(u_tn),
        "n_added": freeze(n_added), "n_added_uncertainty": freeze(u_n),
        "covariance": freeze(covariance), "flags": freeze(flags),
        "ok": freeze((flags == 0) & finite),
    }


__all__ = [
    "AmplifierNoise",
    "CompressionCheck",
    "FitStatistics",
    "MultiTemperatureResult",
    "SNTJResult",
    "YFactorResult",
    "amplifier_fields",
    "freeze",
]
