"""Keithley 2400-series and 2450 SourceMeters as voltage sources measuring current.

Why not qcodes' ``Keithley2400``: it formats the current compliance with
``{:f}`` (1e-7 A is sent as ``0.000000``), never reads the error queue, and
does not speak the 2450's limit commands. This driver reads the model from
``*IDN?`` and uses its dialect: compliance ``:SENS:CURR:PROT`` (2400) or
``:SOUR:VOLT:ILIM`` (2450); ``READ?`` elements ``VOLT,CURR`` (2400, set at
connect with ``:FORM:ELEM``) or the single measured current (2450). Settings
are checked with ``SYST:ERR?``. The station's ``options.voltage_limit`` and
``options.current_limit`` are interlocks: a larger voltage magnitude or
compliance raises :class:`InterlockError` before anything is sent. Nothing is
sourced at connect; ``MEAS?`` (which switches the output on) is never used.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from qcodes.validators import Enum, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError, InterlockError
from cryochar.core.units import Current, Voltage
from cryochar.drivers.base import LimitValidator, ScpiInstrument

MAX_VOLTAGE = 210.0  # V, source range of the 2400 and 2450
MAX_CURRENT = 1.05  # A
COMPLIANCE = {"2400": ":SENS:CURR:PROT", "2450": ":SOUR:VOLT:ILIM"}


class Keithley2400Options(BaseModel):
    """Station ``options`` of a Keithley 2400/2450."""

    model_config = ConfigDict(extra="forbid")
    voltage_limit: Voltage = Field(1.0, gt=0, le=MAX_VOLTAGE, description=(
        "largest |source voltage| the driver will set, V"))
    current_limit: Current = Field(1e-3, gt=0, le=MAX_CURRENT, description=(
        "current compliance set before sourcing, and the largest allowed, A"))


class MagnitudeLimitValidator(Numbers):
    """Range check whose bound on ``|value|`` is a safety limit (an interlock)."""

    def __init__(self, maximum: float, *, limit: float, what: str, unit: str):
        bound = min(maximum, limit)
        super().__init__(-bound, bound)
        self._limit, self._what, self._unit = limit, what, unit

    def validate(self, value: Any, context: str = "") -> None:
        """Raise :class:`InterlockError` when ``|value|`` exceeds the limit."""
        if isinstance(value, int | float) and abs(value) > self._limit:
            raise InterlockError(
                f"{self._what} {value:g} {self._unit} exceeds the limit +/-{self._limit:g} "
                f"{self._unit}; not sent", where=context or None,
                fix="lower the value or raise the limit in the station's options")
        super().validate(value, context)


class Keithley2400(ScpiInstrument):
    """Keithley 2400/2401/2410/2420/2450 over SCPI: an :class:`SMU`."""

    default_terminator = "\n"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: Keithley2400Options | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        self.limits = limits or SafetyLimits()
        self.options = options or Keithley2400Options()
        self.model = "2450" if "2450" in str(self.IDN().get("model")) else "2400"
        o, add = self.options, self.add_checked_parameter
        add("source_function", ":SOUR:FUNC", "", Enum("VOLT", "CURR"),
            parser=str.strip, formatter=str)
        add("voltage", ":SOUR:VOLT", "V", MagnitudeLimitValidator(
            MAX_VOLTAGE, limit=o.voltage_limit, what="source voltage", unit="V"))
        add("current_limit", COMPLIANCE[self.model], "A", LimitValidator(
            1e-9, MAX_CURRENT, limit=o.current_limit, what="current compliance", unit="A"))
        add("output", ":OUTP", "", Enum(True, False),
            parser=lambda r: bool(int(r)), formatter=lambda v: str(int(v)))
        self.add_parameter("current", unit="A", get_cmd=self._read_current, get_parser=float,
                           label="Measured current")
        self._sourcing_voltage = False
        sense = ':SENS:FUNC "CURR"'
        elements = [":FORM:ELEM VOLT,CURR"] if self.model == "2400" else []
        self.setup_at_connect([*elements, sense], checked_as=sense)
        self.connect_message()

    # -- capability: SMU ------------------------------------------------------------------
    def set_voltage(self, voltage: float) -> None:
        """Source ``voltage`` V; the first call selects voltage sourcing and sets the
        compliance to ``options.current_limit``."""
        self.parameters["voltage"].validate(voltage)  # interlock before any command
        if not self._sourcing_voltage:
            self.source_function("VOLT")
            self.current_limit(self.options.current_limit)
            self._sourcing_voltage = True
        self.voltage(voltage)

    def _read_current(self) -> str:
        """``READ?`` and pick the current (the output must be on)."""
        if not self.output():
            raise InstrumentError("cannot measure with the output off", where=self.name,
                                  fix="switch the output on first (output(True))")
        reply = self.ask(":READ?")
        fields = reply.split(",")
        return fields[1] if self.model == "2400" else fields[0]


__all__ = ["Keithley2400", "Keithley2400Options", "MagnitudeLimitValidator"]
