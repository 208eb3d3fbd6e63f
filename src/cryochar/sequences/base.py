"""What every sequence is: parameters, roles, a plan, and per-point measurement.

A sequence module defines one :class:`Sequence` subclass. The runner
(:mod:`cryochar.sequences.runner`) calls, in order: :meth:`setup`,
:meth:`layout`, then :meth:`measure` for every planned point not yet
completed, and always :meth:`safe_stop`; finally :meth:`summarise`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from cryochar.core.clock import Clock
from cryochar.core.config import SafetyLimits
from cryochar.core.errors import SequenceAborted
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


__all__ = ["RunContext", "Sequence"]
