"""The simulated testbed: physics models served over the instruments' real protocols."""

from cryochar.sim.clock import SimClock
from cryochar.sim.config import TestbedConfig
from cryochar.sim.testbed import INSTRUMENTS, TESTBED_KEYS, Twin, load_testbed

__all__ = ["INSTRUMENTS", "TESTBED_KEYS", "SimClock", "TestbedConfig", "Twin", "load_testbed"]
