"""Qubit controllers: the twin's HTTP controller and the SDK adapter point."""

from cryochar.drivers.qubit.adapters import (
    ADAPTERS,
    AdapterNotImplemented,
    QbloxAdapter,
    QuantumMachinesAdapter,
    SdkQubitController,
    ZurichInstrumentsAdapter,
)
from cryochar.drivers.qubit.experiment import ExperimentCounts
from cryochar.drivers.qubit.twin_controller import TwinQubitController, TwinQubitControllerOptions

__all__ = [
    "ADAPTERS",
    "AdapterNotImplemented",
    "ExperimentCounts",
    "QbloxAdapter",
    "QuantumMachinesAdapter",
    "SdkQubitController",
    "TwinQubitController",
    "TwinQubitControllerOptions",
    "ZurichInstrumentsAdapter",
]
