"""The simulated testbed ("twin"): physics models behind real wire protocols.

``Twin(config)`` builds the fridge and the VNA measurement chain from a
:class:`TestbedConfig`, serves each instrument on 127.0.0.1, and exposes the
ground truth that sequences are tested against::

    with Twin(load_testbed("testbed.yaml").model) as twin:
        twin.addresses["vna"]          # 'TCPIP0::127.0.0.1::40123::SOCKET'
        twin.expected_s(frequency)     # what the VNA should measure, noise-free
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cryochar.core.config import Loaded
from cryochar.core.overrides import apply_overrides
from cryochar.core.paths import resolve_input
from cryochar.core.yamlio import load_yaml, validate
from cryochar.sim.clock import SimClock
from cryochar.sim.config import TestbedConfig
from cryochar.sim.faults import FaultInjector
from cryochar.sim.physics.fridge import STAGES, Fridge
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s
from cryochar.sim.servers.lakeshore372 import Lakeshore372Device
from cryochar.sim.servers.pna import PnaDevice
from cryochar.sim.servers.transport import HOST, ServerHost

TESTBED_KEYS = frozenset(TestbedConfig.model_fields)
"""Top-level testbed keys; a ``--set`` key starting with one of these goes to the twin."""
INSTRUMENTS = ("vna", "lakeshore372")
"""Names of the served instruments: a simulated station addresses them as ``sim:<name>``."""


def load_testbed(path: str | Path = "testbed.yaml", overrides: dict[str, Any] | None = None,
                 *, relative_to: Path | None = None) -> Loaded[TestbedConfig]:
    """Load and validate a testbed file with dotted ``overrides`` applied."""
    candidate = Path(path)
    if relative_to is not None and not candidate.is_absolute():
        beside = relative_to / candidate
        candidate = beside if beside.is_file() else candidate
    found = resolve_input(candidate, "sim", what="testbed")
    raw = apply_overrides(load_yaml(found, what="testbed"), overrides or {})
    model = validate(TestbedConfig, raw, source=str(found), overridden=set(overrides or {}))
    return Loaded(model, found, found.read_text(encoding="utf-8"), raw)


class Twin:
    """The running simulated testbed."""

    def __init__(self, config: TestbedConfig, start_time: float | None = None):
        self.config = config
        self.clock = SimClock(config.clock.mode, config.clock.speed,
                              **({"start": start_time} if start_time is not None else {}))
        physics = config.twin
        self.fridge = Fridge(physics.fridge, self.clock, np.random.default_rng([config.seed, 0]))
        self.vna = VNAPhysics(physics.vna, physics.dut_attenuator, config.seed)
        self.devices = {
            "vna": PnaDevice(self.vna, self.clock),
            "lakeshore372": Lakeshore372Device(physics.lakeshore372, self.fridge, self.clock),
        }
        self.faults = FaultInjector(physics.faults, config.seed)
        self._host: ServerHost | None = None
        self.addresses: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        """Serve every instrument; return name -> VISA resource string."""
        if self._host is not None:
            return self.addresses
        self._host = ServerHost(self.faults)
        for name, device in self.devices.items():
            self._host.add(name, device)
        ports = self._host.start()
        self.addresses = {
            name: (f"http://{HOST}:{port}" if hasattr(self.devices[name], "handle_http")
                   else f"TCPIP0::{HOST}::{port}::SOCKET") for name, port in ports.items()}
        return self.addresses

    def stop(self) -> None:
        """Stop serving; close every connection and the server thread."""
        if self._host is not None:
            self._host.stop()
            self._host = None

    def __enter__(self) -> Twin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- ground truth -----------------------------------------------------------------
    def expected_s(self, frequency: np.ndarray) -> np.ndarray:
        """Noise-free S-matrix the VNA measures (DUT behind error boxes), shape (n, 2, 2)."""
        return self.vna.expected(np.asarray(frequency, dtype=float))

    def dut_s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix of the DUT alone, shape (n, 2, 2)."""
        return attenuator_s(np.asarray(frequency, dtype=float), self.config.twin.dut_attenuator)

    def stage_temperatures(self) -> dict[str, float]:
        """True stage temperatures now, K."""
        return {stage: self.fridge.temperature(stage) for stage in STAGES}

    def ground_truth(self) -> dict[str, Any]:
        """Scalar truths a sequence may be checked against."""
        twin = self.config.twin
        return {"dut_attenuation_db": twin.dut_attenuator.attenuation_db,
                "base_temperature": twin.fridge.base_temperature,
                "stage_temperatures": self.stage_temperatures()}


__all__ = ["INSTRUMENTS", "TESTBED_KEYS", "Twin", "load_testbed"]
