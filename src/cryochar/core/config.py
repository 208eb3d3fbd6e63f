"""Station and recipe models, validated completely before any instrument is touched.

A *station* file says which instruments a testbed has: for each, the driver,
its address and its safety limits. A *recipe* file says which sequence to run
and with which parameters. Parameters are validated by the sequence's own
model (see ``cryochar.sequences``); driver names and driver options by the
driver registry (see ``cryochar.drivers``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cryochar.core.errors import ConfigError
from cryochar.core.paths import resolve_input
from cryochar.core.units import Duration, Power, PowerDbm, Temperature
from cryochar.core.yamlio import load_yaml, validate

SIM_ADDRESS_PREFIX = "sim:"
_ADDRESS = re.compile(
    r"^(sim:[A-Za-z_]\w*"
    r"|TCPIP\d*::[^:\s]+::\d+::SOCKET"
    r"|TCPIP\d*::[^:\s]+(::(inst\d+|hislip\d+))?(::INSTR)?"
    r"|GPIB\d*::\d+(::\d+)?(::INSTR)?"
    r"|USB\d*::[^\s]+::INSTR"
    r"|ASRL[^\s]+::INSTR"
    r"|https?://[^\s/]+(:\d+)?(/\S*)?)$", re.IGNORECASE)
_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Strict(BaseModel):
    """Base model: unknown keys are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SafetyLimits(Strict):
    """Limits enforced by the drivers before a command is sent."""

    max_source_power_dbm: PowerDbm | None = Field(
        None, le=30, description="highest VNA/generator source power into the fridge, dBm")
    max_mxc_temperature: Temperature | None = Field(
        None, gt=0, le=10, description="highest mixing-chamber setpoint, K")
    max_heater_power: Power | None = Field(
        None, gt=0, le=1, description="highest heater power, W")
    mxc_interlock_temperature: Temperature | None = Field(
        None, gt=0, le=10, description=(
            "a run pauses (instruments safe) while the MXC reads above this, K, and "
            "resumes below 95 % of it"))


class InstrumentConfig(Strict):
    """One instrument of a station."""

    driver: str = Field(description="driver name, see `cryochar drivers`")
    address: str = Field(min_length=1, description=(
        "VISA resource (TCPIP0::host::port::SOCKET), URL, or sim:<name> on a simulated station"))
    timeout: Duration = Field(5.0, gt=0, le=600, description="I/O timeout, s")
    options: dict[str, Any] = Field(default_factory=dict, description="driver-specific options")
    limits: SafetyLimits = Field(default_factory=SafetyLimits)

    @field_validator("address")
    @classmethod
    def _address_syntax(cls, value: str) -> str:
        if not _ADDRESS.match(value.strip()):
            raise ValueError(f"address {value!r} is not a VISA resource such as "
                             "TCPIP0::host::5025::SOCKET, a URL or sim:<name>")
        return value.strip()

    @property
    def simulated(self) -> bool:
        """True when the address names an instrument of the simulated testbed."""
        return self.address.startswith(SIM_ADDRESS_PREFIX)


class StationConfig(Strict):
    """A station file: the instruments of one testbed."""

    name: str = Field(min_length=1)
    description: str = ""
    testbed: str | None = Field(None, description=(
        "testbed definition of the simulated testbed; when set, cryochar starts the twin"))
    instruments: dict[str, InstrumentConfig] = Field(min_length=1)

    @field_validator("instruments")
    @classmethod
    def _names_are_identifiers(cls, value: dict[str, InstrumentConfig]) -> dict:
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"instrument name {name!r} must be a Python identifier")
        return value

    @property
    def simulated(self) -> bool:
        """True when the station runs on the simulated testbed."""
        return self.testbed is not None


class RecipeConfig(Strict):
    """A recipe file: which sequence, on which DUT, with which parameters."""

    sequence: str | None = Field(None, description="sequence name; default: the file's stem")
    description: str = ""
    dut: str = Field("", description="device under test label, shown in reports")
    client: str = Field("", description="client label, shown in reports")
    operator: str | None = Field(None, description="operator; default: the login name")
    instruments: dict[str, str] = Field(default_factory=dict, description=(
        "role -> station instrument name, for roles whose instrument has another name"))
    parameters: dict[str, Any] = Field(default_factory=dict)


M = TypeVar("M", bound=BaseModel)


class Loaded(Generic[M]):
    """A validated model with the file it came from and its raw text."""

    def __init__(self, model: M, path: Path, text: str, raw: dict[str, Any]):
        self.model = model
        self.path = path
        self.text = text
        self.raw = raw


def load_station(path: str | Path) -> Loaded[StationConfig]:
    """Load and validate a station file (no connection is made)."""
    found = resolve_input(path, "instruments", what="station")
    raw = load_yaml(found, what="station")
    model = validate(StationConfig, raw, source=str(found))
    _check_sim_addresses(model, found)
    return Loaded(model, found, found.read_text(encoding="utf-8"), raw)


def load_recipe(path: str | Path, overrides: dict[str, Any] | None = None,
                ) -> Loaded[RecipeConfig]:
    """Load a recipe; ``overrides`` (dotted keys) go to top-level recipe keys
    when they name one, else into ``parameters``."""
    from cryochar.core.overrides import apply_overrides

    found = resolve_input(path, "sequences", what="recipe")
    raw = load_yaml(found, what="recipe")
    top = set(RecipeConfig.model_fields) - {"parameters"}
    routed = {(k if k.split(".")[0] in top | {"parameters"} else f"parameters.{k}"): v
              for k, v in (overrides or {}).items()}
    merged = apply_overrides(raw, routed)
    model = validate(RecipeConfig, merged, source=str(found), overridden=set(routed))
    if model.sequence is None:
        model = model.model_copy(update={"sequence": found.stem})
    return Loaded(model, found, found.read_text(encoding="utf-8"), merged)


def _check_sim_addresses(station: StationConfig, path: Path) -> None:
    for name, instrument in station.instruments.items():
        if instrument.simulated and not station.simulated:
            raise ConfigError(
                f"address {instrument.address!r} names the simulated testbed, "
                "but the station has no 'testbed' key",
                where=f"{path}: instruments.{name}.address",
                fix="add 'testbed: testbed.yaml' to the station or give a real address")


__all__ = [
    "SIM_ADDRESS_PREFIX",
    "InstrumentConfig",
    "Loaded",
    "RecipeConfig",
    "SafetyLimits",
    "StationConfig",
    "load_recipe",
    "load_station",
]
