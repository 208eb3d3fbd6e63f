"""Noise sources of the amplifier-noise bench and what they deliver, in K.

The Callen-Welton and SNTJ formulas are those of :mod:`cryochar.analysis.noise`
(the twin and the analysis share one implementation of PHYSICS.md).

Every source is described by the Callen-Welton noise temperature it delivers
into a matched line at its output (PHYSICS.md, Amplifier noise):

* variable-temperature (VT) matched load on a heated stage:
  ``T_CW(f, T_load)``; the stage relaxes on the testbed clock (first order)
  toward ``sqrt(T_bath^2 + 2 P / g)`` under heater power P, weak link G = g T;
* shot-noise tunnel junction (Spietz et al. 2003) at bias V and the
  temperature of its stage:
  ``sum_{+,-} (eV +/- hf)/(4k) coth((eV +/- hf)/(2kT))``, seen through the
  mismatch of its resistance to 50 ohm;
* 346-series diode at room temperature: ``T_hot = T0 10^(ENR/10) + T0`` when
  its 28 V drive is on, the ambient temperature when off, attenuated down an
  input line: ``T_out = T_in / A + (1 - 1/A) T_CW(f, T_stage)`` per attenuator.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np

from cryochar.analysis.noise import callen_welton_temperature, sntj_noise_temperature
from cryochar.sim.clock import SimClock
from cryochar.sim.config import DiodeConfig, SntjConfig, VtLoadConfig
from cryochar.sim.physics.fridge import STAGES

T0 = 290.0  # K, reference temperature of excess noise ratios
Z0 = 50.0  # ohm, line impedance
StageTemperature = Callable[[str], float]
"""Physical temperature, K, of a fridge stage by name (the fridge model's ``temperature``)."""


def attenuate(temperature_in: np.ndarray, frequency: np.ndarray, loss_db: float,
              physical_temperature: float) -> np.ndarray:
    """Noise temperature, K, after a matched attenuator of ``loss_db`` dB at
    ``physical_temperature`` K: ``T_in / A + (1 - 1/A) T_CW(f, T_phys)``."""
    a = 10 ** (loss_db / 10)
    return temperature_in / a + (1 - 1 / a) * callen_welton_temperature(
        frequency, physical_temperature)


def enr_db(frequency: np.ndarray, table: dict[float, float]) -> np.ndarray:
    """Excess noise ratio, dB, interpolated linearly in the table (ends held)."""
    points = sorted(table.items())
    return np.interp(np.asarray(frequency, dtype=float), [p[0] for p in points],
                     [p[1] for p in points])


def diode_hot_temperature(frequency: np.ndarray, table: dict[float, float]) -> np.ndarray:
    """Noise temperature, K, of a diode with ENR ``table`` when on: ``T0 10^(ENR/10) + T0``."""
    return T0 * 10 ** (enr_db(frequency, table) / 10) + T0


class VariableTemperatureLoad:
    """A matched load on a heated stage, linked weakly to a fridge stage.

    State advances lazily on the testbed clock, exactly like the MXC model:
    each read relaxes the load from its last update toward the steady state
    of the current heater power with one time constant.
    """

    def __init__(self, config: VtLoadConfig, stage_temperature: StageTemperature,
                 clock: SimClock, rng: np.random.Generator):
        self.config = config
        self.clock = clock
        self._bath = stage_temperature
        self._rng = rng
        self._lock = threading.Lock()
        self._temperature = self.bath_temperature()
        self._power = 0.0
        self._updated = clock.now()

    def bath_temperature(self) -> float:
        """Temperature of the stage the load is linked to, K."""
        return self._bath(self.config.stage)

    def steady_temperature(self, power: float) -> float:
        """Steady load temperature, K, under heater ``power`` W."""
        bath = self.bath_temperature()
        return math.sqrt(bath**2 + 2 * max(power, 0.0) / self.config.link_conductance)

    def power_for(self, temperature: float) -> float:
        """Heater power, W, that holds the load at ``temperature`` K (0 below the bath)."""
        bath = self.bath_temperature()
        return max(0.0, 0.5 * self.config.link_conductance * (temperature**2 - bath**2))

    def _advance(self) -> None:
        now = self.clock.now()
        dt = now - self._updated
        if dt > 0:
            target = self.steady_temperature(self._power)
            decay = math.exp(-dt / self.config.time_constant)
            self._temperature = target + (self._temperature - target) * decay
            self._updated = now

    @property
    def heater_power(self) -> float:
        """Power dissipated in the load's heater, W."""
        return self._power

    def set_heater_power(self, power: float) -> None:
        """Set the heater power, W (the state up to now uses the old power)."""
        with self._lock:
            self._advance()
            self._power = max(0.0, power)

    def temperature(self) -> float:
        """True load temperature, K, at the clock's current time."""
        with self._lock:
            self._advance()
            return self._temperature

    def read_thermometer(self) -> float:
        """What the load's thermometer reads, K: the truth with relative noise."""
        noise = self.config.thermometer_noise * self._rng.standard_normal()
        return self.temperature() * (1.0 + noise)

    def delivered_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature the load delivers, K: ``T_CW(f, T_load)``."""
        return callen_welton_temperature(frequency, self.temperature())


class ShotNoiseJunction:
    """A tunnel junction of resistance R at the temperature of its stage, biased at V."""

    def __init__(self, config: SntjConfig, stage_temperature: StageTemperature):
        self.config = config
        self._stage = stage_temperature
        self.voltage = 0.0  # V across the junction (set by the SMU model)

    @property
    def resistance(self) -> float:
        """Junction resistance, ohm."""
        return self.config.resistance

    def junction_temperature(self) -> float:
        """Physical temperature of the junction, K (its stage's)."""
        return self._stage(self.config.stage)

    def coupling(self) -> float:
        """Power transmission ``1 - |Gamma|^2`` from the junction into the 50 ohm line."""
        gamma = (self.config.resistance - Z0) / (self.config.resistance + Z0)
        return 1.0 - gamma**2

    def delivered_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature into the line, K: the junction's through the mismatch plus
        the line's own thermal noise (stage temperature) reflected back."""
        t = self.junction_temperature()
        eta = self.coupling()
        return (eta * sntj_noise_temperature(self.voltage, frequency, t)
                + (1 - eta) * callen_welton_temperature(frequency, t))


class NoiseDiode:
    """A 346-series diode at room temperature, down an attenuated input line."""

    def __init__(self, config: DiodeConfig, stage_temperature: StageTemperature):
        self.config = config
        self._stage = stage_temperature
        self.on = False  # the 28 V drive

    def output_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature at the diode's output, K (hot when driven, ambient when off)."""
        f = np.asarray(frequency, dtype=float)
        if self.on:
            return diode_hot_temperature(f, self.config.enr_db)
        return np.full(f.shape, self.config.ambient_temperature)

    def line(self) -> list[tuple[float, float]]:
        """The input line warm to cold: (attenuation dB, physical temperature K)."""
        attenuators = self.config.attenuators
        return [(attenuators[s], self._stage(s)) for s in STAGES if s in attenuators]

    def delivered_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature at the end of the input line, K."""
        f = np.asarray(frequency, dtype=float)
        temperature = self.output_temperature(f)
        for loss_db, physical in self.line():
            temperature = attenuate(temperature, f, loss_db, physical)
        return temperature


__all__ = [
    "T0",
    "NoiseDiode",
    "ShotNoiseJunction",
    "VariableTemperatureLoad",
    "attenuate",
    "diode_hot_temperature",
    "enr_db",
]
