"""Y-factor gain and noise temperature, with first-order uncertainty propagation.

With ``P = G k B [T_CW(T_src) + T_n]`` measured with the source hot and cold::

    Y   = P_hot / P_cold
    T_n = (T_CW,hot - Y T_CW,cold) / (Y - 1)
    G   = (P_hot - P_cold) / (k B (T_CW,hot - T_CW,cold))

Uncertainties propagate the independent inputs (P_hot, P_cold, T_hot, T_cold,
B) through the exact Jacobian of these expressions. With only radiometer noise
(``dP/P = 1/sqrt(B tau)`` on each power) this reproduces
``u(T_n) = (T_h + T_n)(T_c + T_n)/(T_h - T_c) sqrt(2/(B tau))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.constants import k

from cryochar.analysis.noise.flags import NoiseFlag, set_flag
from cryochar.analysis.noise.formulas import callen_welton_derivative, callen_welton_temperature
from cryochar.analysis.noise.propagation import propagate
from cryochar.analysis.noise.results import YFactorResult, amplifier_fields, freeze
from cryochar.core.errors import FitError


def source_temperatures(frequency: Any, temperature: Any, callen_welton: bool,
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Source noise temperature (K) and its derivative with respect to ``temperature``.

    ``callen_welton=True``: ``temperature`` is physical, converted to T_CW;
    False: it is already a noise temperature (derivative 1).
    """
    if not callen_welton:
        t = np.asarray(temperature, float)
        return t, np.ones_like(t)
    return (np.asarray(callen_welton_temperature(frequency, temperature)),
            np.asarray(callen_welton_derivative(frequency, temperature)))


def radiometer_uncertainty(power: np.ndarray, bandwidth: float,
                           integration_time: float | None, extra: Any = 0.0) -> np.ndarray:
    """Standard uncertainty of a noise power: ``P / sqrt(B tau)`` (+) ``extra`` in quadrature."""
    if integration_time is None:
        return np.abs(np.asarray(extra, float)) + 0.0 * power
    if not integration_time > 0:
        raise FitError(f"integration_time must be > 0 s, got {integration_time}")
    return np.hypot(np.abs(power) / np.sqrt(bandwidth * integration_time), extra)


def check_bandwidth(bandwidth: float) -> float:
    """``bandwidth`` (Hz) as a float; FitError unless finite and > 0."""
    bandwidth = float(bandwidth)
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise FitError(f"bandwidth must be a finite value > 0 Hz, got {bandwidth}")
    return bandwidth


def y_factor_values(p_hot: Any, p_cold: Any, t_hot_cw: Any, t_cold_cw: Any,
                    bandwidth: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(G, T_n)`` from powers (W) and source NOISE temperatures (K), no checks, no flags."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = p_hot / p_cold
        tn = (t_hot_cw - y * t_cold_cw) / (y - 1)
        gain = (p_hot - p_cold) / (k * bandwidth * (t_hot_cw - t_cold_cw))
    return gain, tn


def y_factor(p_hot: Any, p_cold: Any, t_hot: Any, t_cold: Any, frequency: Any, bandwidth: float,
             *, integration_time: float | None = None, t_hot_uncertainty: Any = 0.0,
             t_cold_uncertainty: Any = 0.0, p_hot_uncertainty: Any = 0.0,
             p_cold_uncertainty: Any = 0.0, bandwidth_uncertainty: float = 0.0,
             callen_welton: bool = True) -> YFactorResult:
    """Gain and noise temperature from hot/cold noise powers (vectorised over frequency).

    ``p_hot``, ``p_cold``: noise powers in W (any common linear unit gives the
    right ``T_n``/``y``, but ``gain`` needs W), measured in the noise bandwidth
    ``bandwidth`` (Hz) at ``frequency`` (Hz). ``t_hot``, ``t_cold``: PHYSICAL
    source temperatures (K), converted to Callen-Welton temperatures here; pass
    ``callen_welton=False`` when they already are noise temperatures (e.g. from
    :func:`~.cascade.diode_hot_temperature`). All per-frequency arguments
    broadcast together.

    Uncertainties: ``integration_time`` (s per state) adds radiometer noise
    ``P / sqrt(B tau)`` to each power; ``p_*_uncertainty`` (W) add in
    quadrature; ``t_*_uncertainty`` (K) are standard uncertainties of
    ``t_hot``/``t_cold`` as given (thermometer readings, or noise temperatures
    with ``callen_welton=False``); ``bandwidth_uncertainty`` (Hz) affects the
    gain only. Flags: ``invalid_input``, ``no_contrast``,
    ``below_quantum_limit``, ``bad_covariance`` (see :mod:`.flags`).
    """
    bandwidth = check_bandwidth(bandwidth)
    ph, pc, th_phys, tc_phys, f = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (p_hot, p_cold, t_hot, t_cold, frequency)))
    th, dth = source_temperatures(f, th_phys, callen_welton)
    tc, dtc = source_temperatures(f, tc_phys, callen_welton)
    gain, tn = y_factor_values(ph, pc, th, tc, bandwidth)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = ph / pc
        delta = th - tc
        dtn_dy = -delta / (y - 1) ** 2
        jacobian = [
            [1 / (k * bandwidth * delta), -1 / (k * bandwidth * delta), -gain / delta * dth,
             gain / delta * dtc, -gain / bandwidth],
            [dtn_dy / pc, -dtn_dy * y / pc, dth / (y - 1), -y * dtc / (y - 1), 0.0],
        ]
    u_in = [radiometer_uncertainty(ph, bandwidth, integration_time, p_hot_uncertainty),
            radiometer_uncertainty(pc, bandwidth, integration_time, p_cold_uncertainty),
            np.asarray(t_hot_uncertainty, float), np.asarray(t_cold_uncertainty, float),
            np.asarray(bandwidth_uncertainty, float)]
    with np.errstate(invalid="ignore"):
        cov = propagate(jacobian, u_in)
    flags = np.zeros(y.shape, dtype=np.int64)
    finite = np.isfinite(ph) & np.isfinite(pc) & np.isfinite(th) & np.isfinite(tc)
    flags = set_flag(flags, ~finite | (ph <= 0) | (pc <= 0), NoiseFlag.INVALID_INPUT)
    flags = set_flag(flags, ~(y > 1) | ~(delta > 0), NoiseFlag.NO_CONTRAST)
    fields = amplifier_fields(f, gain, tn, cov, flags)
    return YFactorResult(**fields, y=freeze(y), t_hot_cw=freeze(th), t_cold_cw=freeze(tc))


__all__ = ["check_bandwidth", "radiometer_uncertainty", "source_temperatures", "y_factor",
           "y_factor_values"]
