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
from cryochar.sim.physics.amplifier import AmplifierChain
from cryochar.sim.physics.fridge import STAGES, Fridge
from cryochar.sim.physics.qubit import QubitPhysics
from cryochar.sim.physics.switch import CryoSwitches, true_error_terms
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s
from cryochar.sim.servers.bluefors import BlueforsDevice
from cryochar.sim.servers.keithley2400 import Keithley2400Device
from cryochar.sim.servers.lakeshore372 import Lakeshore372Device
from cryochar.sim.servers.n9030 import N9030Device
from cryochar.sim.servers.pna import PnaDevice
from cryochar.sim.servers.qubit_controller import QubitControllerDevice
from cryochar.sim.servers.rs_znb import RsZnbDevice
from cryochar.sim.servers.switch import SwitchDevice
from cryochar.sim.servers.transport import HOST, ServerHost
from cryochar.sim.servers.triton import TritonDevice
from cryochar.sim.servers.vt_load import Lakeshore336Device

TESTBED_KEYS = frozenset(TestbedConfig.model_fields)
"""Top-level testbed keys; a ``--set`` key starting with one of these goes to the twin."""
INSTRUMENTS = ("vna", "lakeshore372", "bluefors", "triton", "qubit_controller",
               "spectrum_analyser", "smu", "vt_load", "switch", "vna_rs")
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
        # the VNA measures through cryogenic SP6T switches (standards + DUT on their throws)
        self.switches = CryoSwitches(physics.switch, physics.calkit, physics.thru,
                                     physics.verification, physics.dut_attenuator, config.seed)
        self.vna = VNAPhysics(physics.vna, physics.dut_attenuator, config.seed,
                              fixture=self.switches)
        self.qubit = QubitPhysics(physics.qubit, physics.resonator, physics.attenuator_under_test,
                                  self.fridge, self.clock, config.seed)
        self.devices = {
            "vna": PnaDevice(self.vna, self.clock),
            "lakeshore372": Lakeshore372Device(physics.lakeshore372, self.fridge, self.clock),
            "bluefors": BlueforsDevice(physics.bluefors, self.fridge, self.clock),
            "triton": TritonDevice(physics.triton, self.fridge, self.clock),
            "qubit_controller": QubitControllerDevice(self.qubit),
        }
        # amplifier-noise bench: noise sources -> DUT -> HEMT -> room temperature -> analyser
        self.noise_chain = AmplifierChain(physics, self.fridge.temperature, self.clock,
                                          np.random.default_rng([config.seed, 4, 0]))
        self.devices.update({
            "spectrum_analyser": N9030Device(physics.spectrum_analyser, self.noise_chain,
                                             self.clock,
                                             np.random.default_rng([config.seed, 4, 1])),
            "smu": Keithley2400Device(physics.noise_source.sntj, self.noise_chain.sntj, self.clock,
                                      np.random.default_rng([config.seed, 4, 2])),
            "vt_load": Lakeshore336Device(physics.noise_source.vt_load, self.noise_chain.vt_load,
                                          np.random.default_rng([config.seed, 4, 3])),
        })
        self.devices["switch"] = SwitchDevice(self.switches, self.clock, self.fridge)
        # R&S ZNB/ZNA: a second front end to the SAME VNA chain (a station uses one of the two)
        self.devices["vna_rs"] = RsZnbDevice(physics.vna_rs, self.vna, self.clock)
        self.faults = FaultInjector(physics.faults, config.seed)
        self.devices["lakeshore372"].faults = self.faults if self.faults.active else None
        if physics.faults.excursion_power > 0:  # a seeded temperature excursion
            self.fridge.add_load(self.clock.now() + physics.faults.excursion_start,
                                 physics.faults.excursion_duration,
                                 physics.faults.excursion_power)
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
        """Noise-free raw S-matrix the VNA measures now (error boxes, the switch paths and
        whatever the switches select, switch terms included), shape (n, 2, 2)."""
        return self.vna.expected(np.asarray(frequency, dtype=float))

    def dut_s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix of the DUT alone, shape (n, 2, 2)."""
        return attenuator_s(np.asarray(frequency, dtype=float), self.config.twin.dut_attenuator)

    def standards_s(self, frequency: np.ndarray) -> dict[str, np.ndarray]:
        """True S of the standards on the switch throws at the MXC: ``short``, ``open``,
        ``load`` as reflections (n,); ``thru``, ``dut``, ``verification`` as (n, 2, 2)."""
        return self.switches.standards(np.asarray(frequency, dtype=float))

    def true_error_terms(self, frequency: np.ndarray) -> dict[str, np.ndarray]:
        """True 8-term error coefficients and switch terms (scikit-rf ``EightTerm.coefs``
        keys) at the end of the nominal throw paths, each (n,)."""
        return true_error_terms(self.vna, self.switches, np.asarray(frequency, dtype=float))

    def stage_temperatures(self) -> dict[str, float]:
        """True stage temperatures now, K."""
        return {stage: self.fridge.temperature(stage) for stage in STAGES}

    def mxc_heater_power(self) -> float:
        """Power the MXC heater dissipates now, W (whichever controller set it last)."""
        return self.fridge.heater_power

    def ground_truth(self) -> dict[str, Any]:
        """Scalar truths a sequence may be checked against."""
        twin = self.config.twin
        return {"dut_attenuation_db": twin.dut_attenuator.attenuation_db,
                "base_temperature": twin.fridge.base_temperature,
                "stage_temperatures": self.stage_temperatures(),
                "qubit": self.qubit.truth(),
                "amplifier": self.noise_chain.summary(),
                "switch": self.switches.truth()}

    def amplifier_truth(self, frequency: np.ndarray) -> dict[str, Any]:
        """The amplifier under test at ``frequency`` Hz: ``gain_db`` (small signal),
        ``compressed_gain_db``, ``noise_temperature`` K, ``n_added`` (quanta), the input
        loss (``input_loss_db``, ``input_loss_temperature`` K) and the whole chain seen
        from the noise source (``system_gain_db``, ``system_noise_temperature`` K)."""
        return self.noise_chain.truth(np.asarray(frequency, dtype=float))

    def noise_psd(self, frequency: np.ndarray) -> np.ndarray:
        """Noise power spectral density at the spectrum analyser's input now, W/Hz
        (noise-free, without the analyser's own noise floor)."""
        return self.noise_chain.psd(np.asarray(frequency, dtype=float))


__all__ = ["INSTRUMENTS", "TESTBED_KEYS", "Twin", "load_testbed"]
