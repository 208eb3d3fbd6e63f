"""Physics models of the simulated testbed: pure state + formulas, no I/O."""

from cryochar.sim.physics.fridge import Fridge, mxc_steady_temperature
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s, error_box_s

__all__ = ["Fridge", "VNAPhysics", "attenuator_s", "error_box_s", "mxc_steady_temperature"]
