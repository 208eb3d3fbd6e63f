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

    def measure_switch_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Take one sweep; return the raw switch terms ``(gamma_f, gamma_r)`` =
        (a2/b2 with port 1 driving, a1/b1 with port 2 driving), complex arrays.
        Measure them through a transmissive path (e.g. the thru)."""
        ...


@runtime_checkable
class RFSwitch(Protocol):
    """Latching RF switches, one per VNA port, each selecting one of several throws.

    Throws are numbered from 1; ``position`` is 0 when no throw is closed.
    """

    def select(self, port: int, throw: int) -> None:
        """Actuate switch ``port`` to ``throw``; raise ``InstrumentError`` when the
        read-back shows it did not move (the caller may retry)."""
        ...

    def position(self, port: int) -> int:
        """Throw closed on switch ``port`` now (read back), 0 if none."""
        ...

    def actuation_count(self, port: int) -> int:
        """Actuation pulses sent to switch ``port`` so far (wear, repeatability studies)."""
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


class QubitExperiment(Protocol):
    """What a qubit experiment returns: single-shot counts per delay.

    ``counts[i]`` of ``shots`` shots read the qubit in |1> after ``delays[i]`` s
    (for an echo, the total free evolution time). ``started``: start time, s
    since the UNIX epoch on the controller's clock; ``duration``: s.
    """

    @property
    def kind(self) -> str:
        """``"t1"``, ``"ramsey"`` or ``"echo"``."""
        ...

    @property
    def delays(self) -> np.ndarray:
        """Delays, s."""
        ...

    @property
    def counts(self) -> np.ndarray:
        """Shots read in |1> at each delay (integers)."""
        ...

    @property
    def shots(self) -> int:
        """Shots per delay."""
        ...

    @property
    def started(self) -> float:
        """Start time, s since the UNIX epoch."""
        ...

    @property
    def duration(self) -> float:
        """How long the experiment took, s."""
        ...


@runtime_checkable
class QubitController(Protocol):
    """A qubit control system running coherence experiments on one qubit, plus an RF
    tone sent down the readout resonator's input line (e.g. to heat an attenuator).

    Units: delays s, frequency and detuning Hz, power dBm at the tone's source.
    """

    def run_t1(self, delays: Sequence[float], shots: int) -> QubitExperiment:
        """Energy relaxation: pi pulse, wait ``delays[i]``, read out."""
        ...

    def run_ramsey(self, delays: Sequence[float], shots: int,
                   detuning: float = 0.0) -> QubitExperiment:
        """Ramsey: pi/2, wait, pi/2, with the drive ``detuning`` Hz off the qubit."""
        ...

    def run_echo(self, delays: Sequence[float], shots: int) -> QubitExperiment:
        """Hahn echo: pi/2, delay/2, pi, delay/2, pi/2 (``delays`` are total times)."""
        ...

    def set_drive(self, frequency: float, power_dbm: float, on: bool) -> None:
        """Tone at ``frequency`` Hz, ``power_dbm`` at the source (checked against the
        station's ``max_source_power_dbm``), switched on or off."""
        ...

    def drive_off(self) -> None:
        """Switch the tone off (the safe state)."""
        ...


@runtime_checkable
class SpectrumAnalyser(Protocol):
    """A spectrum analyser measuring noise power, with a 28 V noise-source drive."""

    def configure(self, center: float, span: float, rbw: float, points: int = 1001,
                  averages: int = 1) -> None:
        """Swept spectrum around ``center`` Hz over ``span`` Hz, resolution bandwidth
        ``rbw`` Hz, power-averaging (RMS) detector, ``averages`` traces averaged."""
        ...

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """Take one (averaged) sweep: frequencies, Hz, and the power in each resolution
        bandwidth, W."""
        ...

    def noise_power(self, center: float, span: float, rbw: float, averages: int = 1) -> float:
        """Noise power integrated over ``span`` Hz around ``center`` Hz (channel power), W."""
        ...

    def set_noise_source_drive(self, on: bool) -> None:
        """Switch the +28 V noise-source drive output on or off."""
        ...


@runtime_checkable
class NoiseSource(Protocol):
    """A calibrated noise source. ``kind`` says which of the protocols below it also
    satisfies: ``"diode"`` (:class:`DiodeNoiseSource`), ``"vt_load"``
    (:class:`ThermalNoiseSource`) or ``"sntj"`` (:class:`ShotNoiseSource`)."""

    @property
    def kind(self) -> str:
        """``"diode"``, ``"vt_load"`` or ``"sntj"``."""
        ...

    def off(self) -> None:
        """The safe state: diode drive off, load heater off, junction unbiased."""
        ...


@runtime_checkable
class DiodeNoiseSource(NoiseSource, Protocol):
    """A room-temperature noise diode with an excess-noise-ratio (ENR) table."""

    def set_on(self, on: bool) -> None:
        """Switch the diode on (hot) or off (cold)."""
        ...

    def hot_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature at the diode's output when on, K: ``T0 10^(ENR/10) + T0``."""
        ...

    def cold_temperature(self) -> float:
        """Noise temperature at the diode's output when off (its ambient temperature), K."""
        ...


@runtime_checkable
class ThermalNoiseSource(NoiseSource, Protocol):
    """A matched load whose physical temperature is controlled (variable-temperature load)."""

    def set_temperature(self, temperature: float) -> None:
        """Regulate the load at ``temperature`` K (checked against the driver's limit)."""
        ...

    def temperature(self) -> float:
        """Latest reading of the load's thermometer, K."""
        ...


@runtime_checkable
class ShotNoiseSource(NoiseSource, Protocol):
    """A shot-noise tunnel junction (SNTJ) biased by a voltage source."""

    def set_bias(self, voltage: float) -> None:
        """Bias the junction at ``voltage`` V (checked against the driver's limit)."""
        ...

    def bias(self) -> float:
        """The bias voltage applied now, V (0 with the output off)."""
        ...


@runtime_checkable
class SMU(Protocol):
    """A source-measure unit sourcing voltage and measuring current."""

    def set_voltage(self, voltage: float) -> None:
        """Source ``voltage`` V (within the driver's voltage and current limits)."""
        ...

    def current(self) -> float:
        """Measured current, A (the output must be on)."""
        ...

    def output(self, on: bool) -> None:
        """Switch the output on or off."""
        ...


__all__ = [
    "SMU",
    "VNA",
    "DiodeNoiseSource",
    "NoiseSource",
    "QubitController",
    "QubitExperiment",
    "RFSwitch",
    "ShotNoiseSource",
    "SpectrumAnalyser",
    "TemperatureController",
    "ThermalNoiseSource",
]
