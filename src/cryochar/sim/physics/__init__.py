"""Physics models of the simulated testbed: pure state + formulas, no I/O."""

from cryochar.sim.physics.amplifier import AmplifierChain, AmplifierUnderTest, radiometer_power
from cryochar.sim.physics.fridge import Fridge, mxc_steady_temperature
from cryochar.sim.physics.lines import InputLine
from cryochar.sim.physics.noise_sources import (
    NoiseDiode,
    ShotNoiseJunction,
    VariableTemperatureLoad,
)
from cryochar.sim.physics.qubit import Drive, ExperimentRecord, QubitPhysics
from cryochar.sim.physics.switch import CryoSwitches, true_error_terms
from cryochar.sim.physics.tls import TelegraphTLS, TLSDefect
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s, error_box_s

__all__ = [
    "AmplifierChain", "AmplifierUnderTest",
    "CryoSwitches", "Drive", "ExperimentRecord", "Fridge", "InputLine",
    "NoiseDiode", "QubitPhysics", "ShotNoiseJunction",
    "TLSDefect", "TelegraphTLS", "VNAPhysics", "VariableTemperatureLoad", "attenuator_s",
    "error_box_s", "mxc_steady_temperature", "radiometer_power", "true_error_terms",
]
