"""Instrument drivers (qcodes instruments) and the capabilities sequences rely on."""

from cryochar.drivers.protocols import VNA, TemperatureController
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
    "VNA",
    "DriverInfo",
    "TemperatureController",
    "check_roles",
    "check_station",
    "connect",
    "describe_drivers",
]
