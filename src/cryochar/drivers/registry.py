"""The driver registry: names in station files -> driver classes.

``check_station`` validates driver names and driver options offline (no
connection), so a bad station sends zero commands. ``connect`` opens every
instrument of a station and closes them all again, even on failure.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from qcodes.instrument import Instrument

from cryochar.core.config import SIM_ADDRESS_PREFIX, StationConfig
from cryochar.core.errors import CommunicationError, ConfigError, CryocharError
from cryochar.core.locks import instrument_lock
from cryochar.core.suggest import suggestion
from cryochar.core.yamlio import validate
from cryochar.drivers.protocols import (
    SMU,
    VNA,
    NoiseSource,
    QubitController,
    RFSwitch,
    SpectrumAnalyser,
    TemperatureController,
)


@dataclass(frozen=True)
class DriverInfo:
    """What a driver is and what it satisfies."""

    name: str
    kind: str
    models: tuple[str, ...]
    protocol: type
    target: str  # "module:Class"
    options: str  # "module:OptionsModel"

    def load(self) -> type[Instrument]:
        """The driver class."""
        return _import(self.target)

    def options_model(self) -> type[BaseModel]:
        """The pydantic model of the driver's station ``options``."""
        return _import(self.options)


def _import(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


DRIVERS: dict[str, DriverInfo] = {
    info.name: info for info in (
        DriverInfo("keysight_pna", "vna", ("N5222B", "N5224B", "N5242B", "N5245B", "N5247B"),
                   VNA, "cryochar.drivers.vna.keysight_pna:KeysightPNA",
                   "cryochar.drivers.vna.keysight_pna:PnaOptions"),
        DriverInfo("rs_znb", "vna", ("ZNB4", "ZNB8", "ZNB20", "ZNB40", "ZNA26", "ZNA43", "ZNA50",
                                     "ZNA67"),
                   VNA, "cryochar.drivers.vna.rs_znb:RohdeSchwarzZNB",
                   "cryochar.drivers.vna.rs_znb:ZnbOptions"),
        DriverInfo("lakeshore372", "fridge", ("Model 372",), TemperatureController,
                   "cryochar.drivers.fridge.lakeshore372:Lakeshore372",
                   "cryochar.drivers.fridge.lakeshore372:Lakeshore372Options"),
        DriverInfo("bluefors", "fridge", ("Bluefors TC",), TemperatureController,
                   "cryochar.drivers.fridge.bluefors:BlueforsTC",
                   "cryochar.drivers.fridge.bluefors:BlueforsOptions"),
        DriverInfo("triton", "fridge", ("Triton 200", "Triton 400", "Triton 500"),
                   TemperatureController, "cryochar.drivers.fridge.triton:Triton",
                   "cryochar.drivers.fridge.triton:TritonOptions"),
        DriverInfo("qubit_twin", "qubit", ("QCT-1",), QubitController,
                   "cryochar.drivers.qubit.twin_controller:TwinQubitController",
                   "cryochar.drivers.qubit.twin_controller:TwinQubitControllerOptions"),
        DriverInfo("keysight_n9030", "spectrum", ("N9030A", "N9030B", "N9020B", "N9010B"),
                   SpectrumAnalyser, "cryochar.drivers.spectrum.keysight_n9030:KeysightN9030",
                   "cryochar.drivers.spectrum.keysight_n9030:N9030Options"),
        DriverInfo("keithley2400", "smu", ("2400", "2401", "2410", "2420", "2450"), SMU,
                   "cryochar.drivers.smu.keithley2400:Keithley2400",
                   "cryochar.drivers.smu.keithley2400:Keithley2400Options"),
        DriverInfo("diode_346", "noise", ("346A", "346B", "346C", "N4000A", "N4001A", "N4002A"),
                   NoiseSource, "cryochar.drivers.noise.diode_346:Diode346",
                   "cryochar.drivers.noise.diode_346:Diode346Options"),
        DriverInfo("vt_load", "noise", ("VT load on Lakeshore 336",), NoiseSource,
                   "cryochar.drivers.noise.vt_load:VtLoad336",
                   "cryochar.drivers.noise.vt_load:VtLoadOptions"),
        DriverInfo("sntj", "noise", ("SNTJ on Keithley 2400/2450",), NoiseSource,
                   "cryochar.drivers.noise.sntj:Sntj", "cryochar.drivers.noise.sntj:SntjOptions"),
        DriverInfo("cryo_sp6t", "switch", ("CSW-2SP6T",), RFSwitch,
                   "cryochar.drivers.switch.cryo_sp6t:CryoSP6T",
                   "cryochar.drivers.switch.cryo_sp6t:CryoSP6TOptions"),
    )
}


def check_station(station: StationConfig, source: str) -> dict[str, BaseModel]:
    """Validate drivers and their options; return instrument name -> options model."""
    options = {}
    for name, instrument in station.instruments.items():
        info = DRIVERS.get(instrument.driver)
        if info is None:
            raise ConfigError(f"unknown driver {instrument.driver!r}",
                              where=f"{source}: instruments.{name}.driver",
                              fix=suggestion(instrument.driver, sorted(DRIVERS),
                                             listing="'cryochar drivers' lists them"))
        model = validate(info.options_model(), instrument.options, source=source,
                         prefix=f"instruments.{name}.options")
        check_limits = getattr(model, "check_limits", None)
        if check_limits is not None:
            try:
                check_limits(instrument.limits)
            except ValueError as exc:
                raise ConfigError(str(exc), where=f"{source}: instruments.{name}.options",
                                  fix="choose options within the station's limits") from exc
        options[name] = model
    return options


def check_roles(station: StationConfig, roles: dict[str, type], mapping: dict[str, str],
                source: str) -> dict[str, str]:
    """Map each role a sequence needs to a station instrument of the right capability."""
    for role in mapping:
        if role not in roles:
            raise ConfigError(f"the sequence has no role {role!r}",
                              where=f"{source}: instruments.{role}",
                              fix=f"map only the sequence's roles: {', '.join(roles)}")
    resolved = {}
    for role, protocol in roles.items():
        name = mapping.get(role, role)
        instrument = station.instruments.get(name)
        if instrument is None:
            raise ConfigError(
                f"the sequence needs a {protocol.__name__} as {role!r}, but the station has no "
                f"instrument {name!r}", where=f"{source}: instruments.{role}",
                fix=f"map the role to one of: {', '.join(station.instruments)}")
        if DRIVERS[instrument.driver].protocol is not protocol:
            raise ConfigError(
                f"instrument {name!r} ({instrument.driver}) is not a {protocol.__name__}",
                where=f"{source}: instruments.{role}", fix="map the role to a suitable instrument")
        resolved[role] = name
    return resolved


@contextlib.contextmanager
def connect(station: StationConfig, options: dict[str, BaseModel],
            sim_addresses: dict[str, str] | None = None,
            names: list[str] | None = None) -> Iterator[dict[str, Instrument]]:
    """Lock and open the station's instruments (or only ``names``); close and unlock them
    on exit. An instrument another run holds raises InstrumentBusy before any command."""
    opened: dict[str, Instrument] = {}
    with contextlib.ExitStack() as locks:
        try:
            for name in names or list(station.instruments):
                address = _address(name, station, sim_addresses or {})
                locks.enter_context(instrument_lock(address, name))
                opened[name] = _open(name, station, options[name], address)
            yield opened
        finally:
            for instrument in opened.values():
                with contextlib.suppress(Exception):
                    instrument.close()


def _address(name: str, station: StationConfig, sim_addresses: dict[str, str]) -> str:
    config = station.instruments[name]
    address = config.address
    if config.simulated:
        key = address.removeprefix(SIM_ADDRESS_PREFIX)
        if key not in sim_addresses:
            raise ConfigError(f"the simulated testbed has no instrument {key!r}",
                              where=f"instruments.{name}.address",
                              fix=suggestion(address, [f"sim:{k}" for k in sim_addresses],
                                             listing="see 'cryochar sim serve --json'"))
        address = sim_addresses[key]
    return address


def _open(name: str, station: StationConfig, options: BaseModel, address: str) -> Instrument:
    config = station.instruments[name]
    if Instrument.exist(name):  # a previous run in this process left it open
        Instrument.find_instrument(name).close()
    cls = DRIVERS[config.driver].load()
    try:
        return cls(name, address, limits=config.limits, options=options,
                   timeout=config.timeout, visalib="@py")
    except CryocharError:
        raise
    except Exception as exc:
        raise CommunicationError(f"cannot connect ({exc})", where=f"{name} at {address}",
                                 fix="check the address and that the instrument is on") from exc


def describe_drivers() -> list[dict[str, Any]]:
    """One row per driver: name, kind, models, protocol."""
    return [{"name": i.name, "kind": i.kind, "models": list(i.models),
             "protocol": i.protocol.__name__} for i in DRIVERS.values()]


__all__ = ["DRIVERS", "DriverInfo", "ValidationError", "check_roles", "check_station", "connect",
           "describe_drivers"]
