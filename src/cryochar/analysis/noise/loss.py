"""De-embedding of a passive loss between the calibrated source plane and the amplifier.

A matched passive loss ``L`` (linear power ratio >= 1, transmission
``eta = 1/L``) at physical temperature ``T_L`` has gain ``1/L`` and, referred
to its input, added noise ``(L - 1) T_CW(T_L)``. By Friis, the cascade
(loss, then amplifier with ``G``, ``T_n``) seen from the source plane has::

    G_meas   = G / L
    T_meas   = (L - 1) T_CW(T_L) + L T_n
    T_n      = (T_meas - (L - 1) T_CW(T_L)) / L  =  (T_meas + T_CW(T_L)) / L - T_CW(T_L)

In quanta (``n = k T / h f``, ``k T_CW / h f = n_BE + 1/2``) the same relation
reads ``n_add,eff = [n_add + (1 - eta)(n_BE + 1/2)] / eta``. A loss error
``dL_dB`` moves ``G`` by ``ln(10)/10 dL_dB`` (2.3 % per 0.1 dB) and ``T_n``
by ``(T_n + T_CW(T_L)) ln(10)/10 dL_dB``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cryochar.analysis.noise.flags import NoiseFlag
from cryochar.analysis.noise.formulas import (
    as_output,
    callen_welton_derivative,
    callen_welton_temperature,
    db_to_linear,
)
from cryochar.analysis.noise.propagation import sandwich
from cryochar.analysis.noise.results import AmplifierNoise, amplifier_fields
from cryochar.core.errors import FitError

#: d(ln L)/d(L_dB): a loss error of 1 dB is a relative error of 0.2303 in L.
NEPER_PER_DB = np.log(10.0) / 10.0


def _check_loss(loss: Any) -> np.ndarray:
    arr = np.asarray(loss, dtype=float)
    if np.any(~(arr >= 1)):
        raise FitError("a passive loss must be >= 1 (linear) / >= 0 dB",
                       fix="give the attenuation as a positive number of dB")
    return arr


def embed_input_loss(gain: Any, noise_temperature: Any, frequency: Any, loss: Any,
                     loss_temperature: Any) -> tuple[Any, Any]:
    """``(G / L, (L - 1) T_CW(T_L) + L T_n)``: the amplifier seen through the loss.

    ``gain`` linear, ``noise_temperature`` K, ``frequency`` Hz, ``loss``
    linear (>= 1), ``loss_temperature`` physical K.
    """
    loss = _check_loss(loss)
    t_cw = np.asarray(callen_welton_temperature(frequency, loss_temperature))
    g = np.asarray(gain, float) / loss
    t = (loss - 1.0) * t_cw + loss * np.asarray(noise_temperature, float)
    return as_output(g), as_output(t)


def deembed_input_loss(gain: Any, noise_temperature: Any, frequency: Any, loss: Any,
                       loss_temperature: Any) -> tuple[Any, Any]:
    """``(G_meas L, (T_meas - (L - 1) T_CW(T_L)) / L)``: the amplifier behind the loss.

    Inverse of :func:`embed_input_loss`; same units.
    """
    loss = _check_loss(loss)
    t_cw = np.asarray(callen_welton_temperature(frequency, loss_temperature))
    g = np.asarray(gain, float) * loss
    t = (np.asarray(noise_temperature, float) - (loss - 1.0) * t_cw) / loss
    return as_output(g), as_output(t)


def embed_added_quanta(n_added: Any, eta: Any, n_bose: Any) -> Any:
    """``[n_add + (1 - eta)(n_BE + 1/2)] / eta``: added quanta seen through a loss.

    ``eta = 1/L`` transmission (0 < eta <= 1), ``n_bose`` the loss's thermal occupation.
    """
    eta = np.asarray(eta, float)
    thermal = (1 - eta) * (np.asarray(n_bose, float) + 0.5)
    return as_output((np.asarray(n_added, float) + thermal) / eta)


def deembed_added_quanta(n_effective: Any, eta: Any, n_bose: Any) -> Any:
    """``eta n_eff - (1 - eta)(n_BE + 1/2)``: inverse of :func:`embed_added_quanta`."""
    eta = np.asarray(eta, float)
    return as_output(eta * np.asarray(n_effective, float)
                - (1 - eta) * (np.asarray(n_bose, float) + 0.5))


def deembed_result(result: AmplifierNoise, loss_db: Any, loss_temperature: Any, *,
                   loss_uncertainty_db: Any = 0.0,
                   loss_temperature_uncertainty: Any = 0.0) -> AmplifierNoise:
    """Refer a measured result to the amplifier behind an input loss, with uncertainties.

    ``loss_db`` (dB, >= 0) and ``loss_temperature`` (physical, K) per frequency
    or scalar; their standard uncertainties add to the covariance of the
    measured gain and noise temperature by first-order propagation (the
    result's own covariance is kept, correlations included). Flags of the
    measurement are kept; ``below_quantum_limit`` is re-evaluated.
    """
    f = np.asarray(result.frequency, float)
    loss = _check_loss(db_to_linear(loss_db))
    g_m, t_m = np.asarray(result.gain, float), np.asarray(result.noise_temperature, float)
    t_cw = np.asarray(callen_welton_temperature(f, loss_temperature))
    d_cw = np.asarray(callen_welton_derivative(f, loss_temperature))
    gain, tn = deembed_input_loss(g_m, t_m, f, loss, loss_temperature)
    shape = np.shape(gain)
    jac = np.zeros((*shape, 2, 4))
    jac[..., 0, 0] = loss
    jac[..., 0, 2] = g_m * loss * NEPER_PER_DB
    jac[..., 1, 1] = 1.0 / loss
    jac[..., 1, 2] = -(t_m + t_cw) / loss * NEPER_PER_DB
    jac[..., 1, 3] = (1.0 / loss - 1.0) * d_cw
    cov_in = np.zeros((*shape, 4, 4))
    cov_in[..., :2, :2] = np.asarray(result.covariance, float)
    cov_in[..., 2, 2] = np.asarray(loss_uncertainty_db, float) ** 2
    cov_in[..., 3, 3] = np.asarray(loss_temperature_uncertainty, float) ** 2
    flags = np.asarray(result.flags) & ~int(NoiseFlag.BELOW_QUANTUM_LIMIT)
    fields = amplifier_fields(f, np.asarray(gain), np.asarray(tn), sandwich(jac, cov_in), flags)
    return AmplifierNoise(**fields)


__all__ = [
    "NEPER_PER_DB",
    "deembed_added_quanta",
    "deembed_input_loss",
    "deembed_result",
    "embed_added_quanta",
    "embed_input_loss",
]
