"""Descriptions of a Y-factor measurement for the uncertainty budget.

Each description lists its uncertain inputs (:class:`Quantity`: nominal
value, standard uncertainty, budget component) and evaluates its part of the
measurement model on drawn values. Values broadcast over frequency: a scalar
is one quantity shared by all frequencies (e.g. one thermometer), an array is
one independent quantity per frequency (e.g. an ENR table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.analysis.noise.cascade import diode_cold_temperature, diode_hot_temperature
from cryochar.analysis.noise.formulas import T0, callen_welton_temperature, db_to_linear
from cryochar.analysis.noise.loss import deembed_input_loss


@dataclass(frozen=True)
class Quantity:
    """One uncertain input: ``value`` and standard uncertainty ``sigma`` (same units, 1-D)."""

    name: str
    component: str
    value: np.ndarray
    sigma: np.ndarray


def quantity(name: str, component: str, value: Any, sigma: Any) -> Quantity:
    """A :class:`Quantity` with value and sigma broadcast to a common 1-D shape."""
    v, s = np.broadcast_arrays(np.atleast_1d(np.asarray(value, float)),
                               np.abs(np.atleast_1d(np.asarray(sigma, float))))
    return Quantity(name, component, v.copy(), s.copy())


def _physical(value: np.ndarray) -> np.ndarray:
    """Drawn physical temperatures are truncated at 0 K."""
    return np.maximum(value, 0.0)


@dataclass(frozen=True)
class HotColdSource:
    """Matched load at two physical temperatures ``t_hot`` > ``t_cold`` (K).

    ``*_uncertainty``: thermometer standard uncertainties (K); budget
    component ``source_temperature``.
    """

    t_hot: Any
    t_cold: Any
    t_hot_uncertainty: Any = 0.0
    t_cold_uncertainty: Any = 0.0

    def quantities(self) -> list[Quantity]:
        """Uncertain inputs of this source."""
        return [quantity("t_hot", "source_temperature", self.t_hot, self.t_hot_uncertainty),
                quantity("t_cold", "source_temperature", self.t_cold, self.t_cold_uncertainty)]

    def noise_temperatures(self, v: Mapping[str, np.ndarray],
                           frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hot and cold source noise temperatures (K, Callen-Welton) at the reference plane."""
        return (np.asarray(callen_welton_temperature(frequency, _physical(v["t_hot"]))),
                np.asarray(callen_welton_temperature(frequency, _physical(v["t_cold"]))))


@dataclass(frozen=True)
class DiodeSource:
    """Room-temperature diode noise source feeding the reference plane through a line.

    ``enr_db``: ENR table (dB, per frequency or scalar) with standard
    uncertainty ``enr_uncertainty_db`` (component ``enr``);
    ``line_loss_db``/``line_temperatures``: attenuator stages from the diode
    down (dB, K), with standard uncertainties (scalar or one per stage;
    components ``line_loss`` and ``line_temperature``); the diode is at
    ``t_ambient`` (K) when off; ``t0`` = 290 K defines the ENR.
    """

    enr_db: Any
    line_loss_db: Sequence[Any]
    line_temperatures: Sequence[Any]
    enr_uncertainty_db: Any = 0.0
    line_loss_uncertainty_db: Any = 0.0
    line_temperature_uncertainty: Any = 0.0
    t_ambient: float = T0
    t0: float = T0

    def quantities(self) -> list[Quantity]:
        """Uncertain inputs of this source."""
        n = len(self.line_loss_db)
        u_loss = np.broadcast_to(np.asarray(self.line_loss_uncertainty_db, float), (n,))
        u_temp = np.broadcast_to(np.asarray(self.line_temperature_uncertainty, float), (n,))
        out = [quantity("enr_db", "enr", self.enr_db, self.enr_uncertainty_db)]
        for i in range(n):  # loop over line stages
            out.append(quantity(f"line_loss_db_{i}", "line_loss", self.line_loss_db[i], u_loss[i]))
            out.append(quantity(f"line_temperature_{i}", "line_temperature",
                                self.line_temperatures[i], u_temp[i]))
        return out

    def noise_temperatures(self, v: Mapping[str, np.ndarray],
                           frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hot and cold noise temperatures (K) at the end of the line."""
        n = len(self.line_loss_db)
        losses = [np.maximum(v[f"line_loss_db_{i}"], 0.0) for i in range(n)]
        temps = [_physical(v[f"line_temperature_{i}"]) for i in range(n)]
        hot = diode_hot_temperature(v["enr_db"], losses, temps, frequency, t0=self.t0)
        cold = diode_cold_temperature(losses, temps, frequency, t_ambient=self.t_ambient)
        return np.asarray(hot), np.asarray(cold)


@dataclass(frozen=True)
class InputLoss:
    """Passive loss between the reference plane and the amplifier, de-embedded.

    ``loss_db`` (dB >= 0) at physical ``temperature`` (K), with standard
    uncertainties (components ``input_loss`` and ``input_loss_temperature``).
    """

    loss_db: Any
    temperature: Any
    loss_uncertainty_db: Any = 0.0
    temperature_uncertainty: Any = 0.0

    def quantities(self) -> list[Quantity]:
        """Uncertain inputs of this loss."""
        return [quantity("input_loss_db", "input_loss", self.loss_db, self.loss_uncertainty_db),
                quantity("input_loss_temperature", "input_loss_temperature", self.temperature,
                         self.temperature_uncertainty)]

    def deembed(self, v: Mapping[str, np.ndarray], gain: np.ndarray, noise_temperature: np.ndarray,
                frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gain and noise temperature of the amplifier behind the loss."""
        loss = np.asarray(db_to_linear(np.maximum(v["input_loss_db"], 0.0)))
        g, t = deembed_input_loss(gain, noise_temperature, frequency, loss,
                                  _physical(v["input_loss_temperature"]))
        return np.asarray(g), np.asarray(t)


__all__ = ["DiodeSource", "HotColdSource", "InputLoss", "Quantity", "quantity"]
