"""Dilution refrigerator: stage temperatures and the mixing-chamber heat balance.

Mixing-chamber cooling power is ~84 ndot T^2 W (ndot: 3He circulation, mol/s),
so under a load P the steady state is T = sqrt(T_base^2 + P / (84 ndot)); the
MXC relaxes toward it with one time constant (PHYSICS.md, Dilution refrigerator).
"""

from __future__ import annotations

import math
import threading

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.config import FridgeConfig

COOLING_COEFFICIENT = 84.0  # W mol^-1 s K^-2, cooling power / (ndot T^2)
STAGES = ("pt1", "pt2", "still", "cold_plate", "mxc")


def mxc_steady_temperature(base_temperature: float, power: float, circulation_rate: float,
                           ) -> float:
    """Steady MXC temperature, K, under ``power`` W with circulation ``circulation_rate`` mol/s."""
    return math.sqrt(base_temperature**2 + max(power, 0.0) / (COOLING_COEFFICIENT
                                                                * circulation_rate))


def mxc_power_for(temperature: float, base_temperature: float, circulation_rate: float) -> float:
    """Heater power, W, that holds the MXC at ``temperature`` K."""
    return max(0.0, COOLING_COEFFICIENT * circulation_rate
               * (temperature**2 - base_temperature**2))


class Fridge:
    """Stage temperatures evolving on the testbed clock.

    The MXC follows a first-order response to the heater power; the other stages
    sit at their configured temperatures. State advances lazily: each read
    integrates exactly from the last update to the clock's current time.
    """

    def __init__(self, config: FridgeConfig, clock: SimClock, rng: np.random.Generator):
        self.config = config
        self.clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._mxc = config.base_temperature
        self._heater_power = 0.0
        self._loads: list[tuple[float, float, float]] = []  # (start, end, W) extra MXC loads
        self._updated = clock.now()

    def add_load(self, start: float, duration: float, power: float) -> None:
        """An extra MXC heat load of ``power`` W from ``start`` for ``duration`` s
        (testbed time): a temperature excursion."""
        with self._lock:
            self._advance()
            self._loads.append((start, start + duration, power))

    def _load_at(self, time: float) -> float:
        return sum(p for start, end, p in self._loads if start <= time < end)

    def _advance(self) -> None:
        """Integrate the MXC exactly up to now, piece by piece between load changes."""
        now = self.clock.now()
        t = self._updated
        if now <= t:
            return
        edges = sorted({x for s, e, _ in self._loads for x in (s, e) if t < x < now})
        for edge in (*edges, now):
            power = self._heater_power + self._load_at(t)
            target = mxc_steady_temperature(self.config.base_temperature, power,
                                            self.config.circulation_rate)
            decay = math.exp(-(edge - t) / self.config.mxc_time_constant)
            self._mxc = target + (self._mxc - target) * decay
            t = edge
        self._updated = now

    @property
    def heater_power(self) -> float:
        """Power dissipated by the MXC heater, W."""
        return self._heater_power

    def set_heater_power(self, power: float) -> None:
        """Set the MXC heater power, W (the state up to now uses the old power)."""
        with self._lock:
            self._advance()
            self._heater_power = max(0.0, power)

    def power_for(self, temperature: float) -> float:
        """Heater power, W, that holds the MXC at ``temperature`` K."""
        return mxc_power_for(temperature, self.config.base_temperature,
                             self.config.circulation_rate)

    def temperature(self, stage: str) -> float:
        """True temperature of ``stage``, K, at the clock's current time."""
        if stage == "mxc":
            with self._lock:
                self._advance()
                return self._mxc
        try:
            return float(getattr(self.config, f"{stage}_temperature"))
        except AttributeError:
            raise KeyError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}") from None

    def read_thermometer(self, stage: str) -> float:
        """What a thermometer on ``stage`` reads, K: the truth with relative noise."""
        true = self.temperature(stage)
        return true * (1.0 + self.config.thermometer_noise * self._rng.standard_normal())


__all__ = ["COOLING_COEFFICIENT", "STAGES", "Fridge", "mxc_power_for", "mxc_steady_temperature"]
