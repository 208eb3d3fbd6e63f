"""What every sequence is: parameters, roles, a plan, and per-point measurement.

A sequence module defines one :class:`Sequence` subclass. The runner
(:mod:`cryochar.sequences.runner`) calls, in order: :meth:`setup`,
:meth:`layout`, then :meth:`measure` for every planned point not yet
completed, and always :meth:`safe_stop`; finally :meth:`summarise`.

:meth:`reanalyse` rebuilds the summary later from the run file alone (``cryochar
analyze``): a sequence that supports it shares one function with :meth:`summarise`,
so an untouched run re-analyses to exactly its stored results.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel

from cryochar.core.clock import Clock
from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, SequenceAborted
from cryochar.storage import Layout, RunWriter


@dataclass
class RunContext:
    """What a sequence may use besides its instruments."""

    clock: Clock
    progress: Callable[[int, int, str], None] = lambda done, total, text: None
    log: Callable[[str], None] = lambda text: None
    stop_event: threading.Event = field(default_factory=threading.Event)
    interlock: Callable[[], str | None] = lambda: None
    """Returns why it is unsafe to measure now (e.g. MXC too warm), or None."""
    interlock_clear: Callable[[], bool] = lambda: True
    """True once the unsafe condition has cleared (with hysteresis)."""

    def sleep(self, seconds: float, step: float = 1.0) -> None:
        """Wait ``seconds`` of the run's clock, stopping early if a stop is requested."""
        remaining = seconds
        while remaining > 0:
            self.check_stop()
            chunk = min(step, remaining)
            self.clock.sleep(chunk)
            remaining -= chunk

    def check_stop(self) -> None:
        """Raise :class:`SequenceAborted` when a stop was requested."""
        if self.stop_event.is_set():
            raise SequenceAborted("stopped on request; measured points are kept")


class RunData(Protocol):
    """The completed points of a run: a :class:`RunWriter` while it runs, a
    :class:`~cryochar.storage.runreader.RunReader` afterwards."""

    def read(self, name: str) -> np.ndarray:
        """A variable's values at the completed points, in point order."""
        ...

    def completed_points(self) -> np.ndarray:
        """Indices of the completed points."""
        ...


class StoredRun(RunData, Protocol):
    """A finished run file opened read-only: its points, sweep axes and provenance."""

    def axis(self, name: str) -> np.ndarray:
        """A sweep axis (``frequency`` Hz, ``stage`` names as ``str``...)."""
        ...

    def attr(self, name: str, default: Any = None) -> Any:
        """A root attribute, decoded (``station_snapshot``, ``recipe``...)."""
        ...


class Sequence(ABC):
    """Base of all sequences."""

    name: ClassVar[str]
    Parameters: ClassVar[type[BaseModel]]
    roles: ClassVar[dict[str, type]]
    """Role name -> capability protocol it needs (``{"vna": VNA}``)."""

    def __init__(self, params: BaseModel, instruments: Mapping[str, Any], ctx: RunContext):
        self.params = params
        self.instruments = instruments
        self.ctx = ctx

    @classmethod
    @abstractmethod
    def plan(cls, params: BaseModel) -> dict[str, tuple[np.ndarray, str]]:
        """Planned setpoints per point: name -> (values, units); all of equal length."""

    @classmethod
    def check_limits(cls, params: BaseModel, limits: Mapping[str, SafetyLimits],
                     source: str) -> None:
        """Refuse (ConfigError) parameters beyond the station's limits, before any
        instrument is touched. ``limits`` is role -> the limits of its instrument."""
        return None  # an optional hook: no limits to check by default

    @classmethod
    def check_testbed(cls, params: BaseModel, testbed: Any, source: str) -> None:
        """On the simulated testbed, refuse (ConfigError) parameters the testbed as
        configured cannot answer (e.g. a noise source it does not have connected),
        before it starts; ``testbed`` is its :class:`~cryochar.sim.config.TestbedConfig`."""
        return None  # an optional hook: any testbed will do by default

    def setup(self) -> None:
        """Configure instruments once, before the first point."""
        return None  # an optional hook

    @abstractmethod
    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        """What the run file holds (called after :meth:`setup`)."""

    @abstractmethod
    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        """Measure planned point ``index``; return its per-point variables."""

    @abstractmethod
    def safe_stop(self) -> None:
        """Put instruments in a safe state (RF off, heaters safe). Must not raise."""

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        """Summary results from the completed points (JSON-serialisable)."""
        return {}

    @classmethod
    def reanalyse(cls, params: BaseModel, run: StoredRun) -> dict[str, Any]:
        """The summary of a finished run rebuilt from its file (``params``: the run's
        stored parameters); equal to :meth:`summarise` on the same points. Sequences
        whose summary needs state the file does not hold keep this default."""
        raise ConfigError(f"re-analysis not available for {cls.name}", where=cls.name,
                          fix="re-run the recipe, or analyse the run file's data directly")


def check_setpoint_limits(limits: SafetyLimits | None, source: str, *,
                          powers_dbm: tuple[str, list[float]] | None = None,
                          mxc_temperatures: tuple[str, list[float]] | None = None,
                          what: str = "source power") -> None:
    """Refuse (ConfigError, before any instrument is touched) the highest planned power
    (dBm) or MXC setpoint (K) above a station limit. Each is ``(parameter name, values)``;
    ``limits`` are those of the instrument that sets them."""
    if limits is None:
        return
    if powers_dbm and powers_dbm[1] and limits.max_source_power_dbm is not None:
        name, values = powers_dbm
        if max(values) > limits.max_source_power_dbm:
            raise ConfigError(
                f"{what} {max(values):g} dBm exceeds the station limit "
                f"{limits.max_source_power_dbm:g} dBm", where=f"{source}: parameters.{name}",
                fix="lower the power or raise max_source_power_dbm in the station file")
    if mxc_temperatures and mxc_temperatures[1] and limits.max_mxc_temperature is not None:
        name, values = mxc_temperatures
        if max(values) > limits.max_mxc_temperature:
            raise ConfigError(
                f"MXC setpoint {max(values):g} K exceeds the station limit "
                f"{limits.max_mxc_temperature:g} K", where=f"{source}: parameters.{name}",
                fix="lower the setpoint or raise max_mxc_temperature in the station file")


def supports_reanalysis(cls: type[Sequence]) -> bool:
    """True when ``cls`` implements :meth:`Sequence.reanalyse`."""
    return cls.reanalyse.__func__ is not Sequence.reanalyse.__func__  # type: ignore[attr-defined]


__all__ = ["RunContext", "RunData", "Sequence", "StoredRun", "check_setpoint_limits",
           "supports_reanalysis"]
