"""Adapter point: a vendor qubit-control SDK as a ``QubitController``.

Real control stacks are driven through their vendors' Python SDKs, not a wire
protocol cryochar could speak itself. :class:`SdkQubitController` does the
vendor-neutral part of the capability (argument checks, the station's drive
power limit, packaging counts as :class:`ExperimentCounts`); a lab subclasses
it and implements two hooks on its SDK:

``_acquire(kind, delays, shots, detuning) -> counts``
    compile and run one experiment (``kind`` ``"t1"``, ``"ramsey"`` or
    ``"echo"``; delays in s, echo delays are the total free evolution),
    return the number of shots read |1> at each delay (thresholded single
    shots, summed);
``_set_tone(frequency, power_dbm, on)``
    the CW tone down the resonator's input line (Hz, dBm at the source).

then registers the class in ``cryochar.drivers.registry.DRIVERS`` with kind
``"qubit"`` and protocol ``QubitController`` (the constructor takes
``name, address, *, limits, options, timeout``). The skeletons below say how
each SDK maps onto the hooks; they are documentation, not implementations,
and refuse to construct with :class:`AdapterNotImplemented`, a
:class:`ConfigError` (and ``NotImplementedError``) naming the SDK.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, InterlockError
from cryochar.drivers.qubit.experiment import ExperimentCounts


class AdapterNotImplemented(ConfigError, NotImplementedError):
    """A station names an SDK adapter that is only a documented skeleton."""


class SdkQubitController(ABC):
    """Vendor-neutral half of a QubitController; subclasses implement the SDK hooks."""

    sdk: ClassVar[str] = "a vendor SDK"
    package: ClassVar[str] = ""

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: Any = None, timeout: float = 5.0, **_: Any):
        self.name = name
        self.address = address
        self.limits = limits or SafetyLimits()
        self.options = options
        self.timeout = timeout

    @abstractmethod
    def _acquire(self, kind: str, delays: np.ndarray, shots: int, detuning: float) -> np.ndarray:
        """Run one experiment on the hardware; shots read |1> per delay."""

    @abstractmethod
    def _set_tone(self, frequency: float, power_dbm: float, on: bool) -> None:
        """Program the CW tone on the resonator's input line."""

    def _run(self, kind: str, delays: Sequence[float], shots: int,
             detuning: float = 0.0) -> ExperimentCounts:
        values = np.asarray(delays, dtype=float)
        if values.ndim != 1 or values.size == 0 or np.any(values < 0) or int(shots) < 1:
            raise ValueError("delays must be a non-empty 1-D list of times >= 0 s; shots >= 1")
        started = time.time()
        counts = self._acquire(kind, values, int(shots), float(detuning))
        return ExperimentCounts(kind, values, counts, int(shots), started,
                                time.time() - started, float(detuning))

    def run_t1(self, delays: Sequence[float], shots: int) -> ExperimentCounts:
        """T1: pi pulse, wait, read out."""
        return self._run("t1", delays, shots)

    def run_ramsey(self, delays: Sequence[float], shots: int,
                   detuning: float = 0.0) -> ExperimentCounts:
        """Ramsey: pi/2, wait, pi/2 with ``detuning`` Hz (virtual-Z phase advance)."""
        return self._run("ramsey", delays, shots, detuning)

    def run_echo(self, delays: Sequence[float], shots: int) -> ExperimentCounts:
        """Hahn echo: pi/2, delay/2, pi, delay/2, pi/2."""
        return self._run("echo", delays, shots)

    def set_drive(self, frequency: float, power_dbm: float, on: bool) -> None:
        """The tone, after the station's power limit (InterlockError, nothing sent)."""
        limit = self.limits.max_source_power_dbm
        if limit is not None and power_dbm > limit:
            raise InterlockError(f"drive power {power_dbm:g} dBm exceeds the station limit "
                                 f"{limit:g} dBm; not sent", where=self.name,
                                 fix="lower the value or raise the limit in the station file")
        self._set_tone(float(frequency), float(power_dbm), bool(on))

    def drive_off(self) -> None:
        """Tone off (the safe state)."""
        self._set_tone(0.0, -130.0, False)

    def close(self) -> None:
        """Release the SDK's connection (override when the SDK holds one)."""
        return None


class _Skeleton(SdkQubitController):
    """A documented mapping that refuses to construct."""

    def __init__(self, name: str, address: str, **kwargs: Any):
        cls = type(self).__name__
        raise AdapterNotImplemented(
            f"{cls} for {self.sdk} is a documented skeleton, not an implementation",
            where=f"{name} at {address}",
            fix=f"install {self.package}, subclass SdkQubitController implementing _acquire "
                "and _set_tone as this class's docstring describes, and register it in "
                "cryochar.drivers.registry")

    def _acquire(self, kind: str, delays: np.ndarray, shots: int, detuning: float) -> np.ndarray:
        raise NotImplementedError(self.sdk)

    def _set_tone(self, frequency: float, power_dbm: float, on: bool) -> None:
        raise NotImplementedError(self.sdk)


class QbloxAdapter(_Skeleton):
    """Qblox Cluster (``qblox-instruments``; or quantify-scheduler on top).

    ``_acquire``: one QCM-RF sequencer plays the qubit pulses, one QRM-RF
    sequencer reads out. The Q1ASM program loops ``shots`` times over the
    delays (``wait`` in ns on the 4 ns grid; Ramsey detuning as a per-delay
    ``set_ph_delta``), acquires with thresholded weighed integration into
    one bin per delay (``acquire_weighed``; the threshold and rotation set
    with ``thresholded_acq_threshold``/``thresholded_acq_rotation``);
    ``get_acquisitions()[...]["bins"]["threshold"]`` is then the fraction of
    |1> per bin, times ``shots`` the counts. ``_set_tone``: a spare QCM-RF
    output in continuous-wave mode (``out0_lo_freq``, NCO, ``out0_att``) or
    an SCPI generator, with the output attenuation mapped to dBm.
    """

    sdk = "Qblox Cluster"
    package = "qblox-instruments"


class ZurichInstrumentsAdapter(_Skeleton):
    """Zurich Instruments SHFQC+/HDAWG+SHFQA through LabOne Q (``laboneq``).

    ``_acquire``: an ``Experiment`` with ``acquire_loop_rt(count=shots,
    acquisition_type=AcquisitionType.DISCRIMINATION)`` around a ``sweep``
    over ``SweepParameter(values=delays)`` used as the ``delay`` of the
    section between the pulses (Ramsey detuning as a swept
    ``increment_oscillator_phase``); ``session.run(...).get_data(handle)``
    returns the averaged |1> probability per delay, times ``shots`` the
    counts. ``_set_tone``: an SHFSG/SHFQC output channel in CW mode
    (``sgchannels[n].output.range``/``awg`` oscillator) or an external
    generator.
    """

    sdk = "Zurich Instruments LabOne Q"
    package = "laboneq"


class QuantumMachinesAdapter(_Skeleton):
    """Quantum Machines OPX (``qm-qua``).

    ``_acquire``: a QUA program with ``for_(n, 0, n < shots, n + 1)`` around
    ``for_each_(tau, delays_in_clock_cycles)`` (4 ns cycles, waits >= 16 ns),
    ``play("x180", "qubit")``, ``wait(tau, "qubit")``, ``align()``,
    ``measure("readout", "resonator", None, dual_demod.full(...))``,
    ``assign(state, I > threshold)``, ``save(state, stream)``; stream
    processing ``boolean_to_int().buffer(len(delays)).sum()`` gives the counts
    per delay; Ramsey detuning via ``frame_rotation_2pi`` per delay. The job
    runs through ``QuantumMachinesManager(...).open_qm(config).execute``.
    ``_set_tone``: a CW element on a spare output (``play`` in an infinite
    loop) or an external generator.
    """

    sdk = "Quantum Machines QUA"
    package = "qm-qua"


ADAPTERS = {"qblox": QbloxAdapter, "zurich_instruments": ZurichInstrumentsAdapter,
            "quantum_machines": QuantumMachinesAdapter}
"""Documented SDK mappings by name (skeletons: constructing one raises)."""


__all__ = ["ADAPTERS", "AdapterNotImplemented", "QbloxAdapter", "QuantumMachinesAdapter",
           "SdkQubitController", "ZurichInstrumentsAdapter"]
