"""Capabilities that sequences depend on, independent of vendor and model.

A sequence names these protocols, never a driver class; any object with the
methods below (a cryochar driver, a vendor SDK adapter, a test double) works.
Units: frequency Hz, temperature K, power W, log power dBm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class VNA(Protocol):
    """A two-port vector network analyser."""

    def configure_sweep(self, start: float, stop: float, points: int, if_bandwidth: float,
                        averages: int = 1) -> None:
        """Linear frequency sweep from ``start`` to ``stop`` Hz; IF bandwidth in Hz."""
        ...

    def set_source_power(self, power_dbm: float) -> None:
        """Port-1 source power, dBm (checked against the station's limit)."""
        ...

    def set_rf_output(self, on: bool) -> None:
        """Switch the RF source on or off."""
        ...

    def frequencies(self) -> np.ndarray:
        """Stimulus frequencies of the current sweep, Hz."""
        ...

    def measure_s_parameters(self, names: Sequence[str] = ("S21",)) -> dict[str, np.ndarray]:
        """Take one sweep; return each named S-parameter as a complex array."""
        ...


@runtime_checkable
class TemperatureController(Protocol):
    """Fridge thermometry and mixing-chamber temperature control."""

    def stage_temperatures(self) -> dict[str, float]:
        """Latest reading of every configured stage, K (keys such as ``mxc``, ``still``)."""
        ...

    def mxc_temperature(self) -> float:
        """Latest mixing-chamber reading, K."""
        ...

    def set_mxc_temperature(self, temperature: float) -> None:
        """Regulate the mixing chamber at ``temperature`` K (closed loop)."""
        ...

    def heater_off(self) -> None:
        """Switch the mixing-chamber heater off (the safe state)."""
        ...


__all__ = ["VNA", "TemperatureController"]
