"""Seeded fault injection on the twin's wire protocols.

For each reply a served instrument is about to send, the injector decides
(from its own seeded random stream) whether to swallow it (the client times
out), garble it (bytes the client cannot parse), or drop the connection, and
how long to delay it. Faults are counted by kind so tests can compare what
was injected with what a run reports it survived.
"""

from __future__ import annotations

import threading
from collections import Counter
from enum import Enum

import numpy as np

from cryochar.sim.config import FaultsConfig

GARBLED = b"\x15#\xfe?garbled\x8f"


class Fault(Enum):
    """What happens to one reply."""

    NONE = "none"
    TIMEOUT = "timeout"
    GARBLE = "garble"
    DISCONNECT = "disconnect"


class FaultInjector:
    """Decides the fate of each reply; thread-safe; counts what it injected."""

    def __init__(self, config: FaultsConfig, seed: int):
        self.config = config
        self._rng = np.random.default_rng([seed, 99])
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        """True when any fault can happen."""
        c = self.config
        return any((c.timeout_probability, c.garble_probability, c.disconnect_probability,
                    c.error_probability, c.latency, c.thermometer_dropout_probability))

    def next_fault(self) -> Fault:
        """The fate of the next reply."""
        c = self.config
        with self._lock:
            draw = self._rng.random()
        for fault, probability in ((Fault.DISCONNECT, c.disconnect_probability),
                                   (Fault.TIMEOUT, c.timeout_probability),
                                   (Fault.GARBLE, c.garble_probability)):
            if draw < probability:
                self.injected[fault.value] += 1
                return fault
            draw -= probability
        return Fault.NONE

    def spurious_error(self) -> bool:
        """Whether to queue a spurious error-queue entry for this command."""
        if not self.config.error_probability:
            return False
        with self._lock:
            hit = bool(self._rng.random() < self.config.error_probability)
        if hit:
            self.injected["error_queue"] += 1
        return hit

    def thermometer_dropout(self) -> bool:
        """Whether this thermometer reading drops out (invalid, under-range)."""
        p = self.config.thermometer_dropout_probability
        if not p:
            return False
        with self._lock:
            hit = bool(self._rng.random() < p)
        if hit:
            self.injected["thermometer_dropout"] += 1
        return hit

    def latency(self) -> float:
        """Extra delay before this reply, s (exponentially distributed around the mean)."""
        if not self.config.latency:
            return 0.0
        with self._lock:
            return float(self._rng.exponential(self.config.latency))


__all__ = ["GARBLED", "Fault", "FaultInjector"]
