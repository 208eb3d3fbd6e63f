"""Physics models of the simulated testbed: pure state + formulas, no I/O."""

from cryochar.sim.physics.fridge import Fridge, mxc_steady_temperature
from cryochar.sim.physics.lines import InputLine
from cryochar.sim.physics.qubit import Drive, ExperimentRecord, QubitPhysics
from cryochar.sim.physics.tls import TelegraphTLS, TLSDefect
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s, error_box_s

__all__ = ["Drive", "ExperimentRecord", "Fridge", "InputLine", "QubitPhysics", "TLSDefect",
           "TelegraphTLS", "VNAPhysics", "attenuator_s", "error_box_s", "mxc_steady_temperature"]
