"""Instrument drivers (qcodes instruments) and the capabilities sequences rely on."""

from cryochar.drivers.protocols import (
    SMU,
    VNA,
    DiodeNoiseSource,
    NoiseSource,
    QubitController,
    QubitExperiment,
    RFSwitch,
    ShotNoiseSource,
    SpectrumAnalyser,
    TemperatureController,
    ThermalNoiseSource,
)
from cryochar.drivers.registry import (
    DRIVERS,
    DriverInfo,
    check_roles,
    check_station,
    connect,
    describe_drivers,
)

__all__ = [
    "DRIVERS",
    "SMU",
    "VNA",
    "DiodeNoiseSource",
    "DriverInfo",
    "NoiseSource",
    "QubitController",
    "QubitExperiment",
    "RFSwitch",
    "ShotNoiseSource",
    "SpectrumAnalyser",
    "TemperatureController",
    "ThermalNoiseSource",
    "check_roles",
    "check_station",
    "connect",
    "describe_drivers",
]
