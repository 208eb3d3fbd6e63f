"""Variable-temperature (VT) load: a matched load on a heated stage, regulated by a
Lakeshore Model 336 temperature controller (TCP port 7777).

Built on qcodes' ``LakeshoreModel336`` (inputs A..D, outputs, PID, ranges as
qcodes parameters); this class adds the noise-source view that sequences use:
``set_temperature`` with the station's limits, ``temperature`` from the
load's thermometer, and the safe state. The heater output is set up with the
Model 336 manual's ``HTRSET <out>,<resistance>,0,<max user current>,2``
(qcodes' group sends the Model 335 form with an extra field), so the largest
heater power is ``max_current^2 x heater_resistance`` on range high (1/10 on
medium, 1/100 on low); ``check_limits`` refuses a range that can exceed the
station's ``max_heater_power`` before anything is sent.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from qcodes.instrument_drivers.Lakeshore import LakeshoreModel336

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError, InterlockError
from cryochar.core.units import Current, Temperature
from cryochar.drivers.base import CryocharVisaInstrument
from cryochar.drivers.temperature_control import (
    check_options_limits,
    check_readback,
    safe_state_on_failure,
)

RANGE_POWER_FRACTION = {"low": 0.01, "medium": 0.1, "high": 1.0}


class VtLoadOptions(BaseModel):
    """Station ``options`` of a VT load on a Lakeshore 336."""

    model_config = ConfigDict(extra="forbid")
    input: Literal["A", "B", "C", "D"] = Field("A", description="the load's thermometer")
    output: Literal[1, 2] = Field(1, description="heater output wired to the load")
    heater_resistance: float = Field(50.0, gt=0, le=2000, description="load heater, ohm")
    max_current: Current = Field(0.01, ge=0.001, le=1.732, description=(
        "largest heater current (HTRSET user maximum, sent rounded down to 1 mA), A"))
    heater_range: Literal["low", "medium", "high"] = "high"
    max_temperature: Temperature = Field(5.0, gt=0, le=400, description=(
        "highest load setpoint the driver will send, K"))

    @property
    def user_current(self) -> float:
        """The max user current sent to the controller (1 mA resolution, rounded down), A."""
        return math.floor(self.max_current * 1000 + 1e-9) / 1000

    def max_power(self) -> float:
        """Largest heater power on the configured range, W."""
        return (self.user_current**2 * self.heater_resistance
                * RANGE_POWER_FRACTION[self.heater_range])

    def check_limits(self, limits: SafetyLimits) -> None:
        """Raise ``ValueError`` when the heater range can exceed ``max_heater_power``."""
        power = self.max_power()
        if limits.max_heater_power is not None and power > limits.max_heater_power:
            raise ValueError(
                f"heater range {self.heater_range} at {self.user_current:g} A allows "
                f"{power:.3g} W, above the station limit max_heater_power "
                f"{limits.max_heater_power:.3g} W")


class VtLoad336(CryocharVisaInstrument, LakeshoreModel336):
    """A VT load on a Lakeshore 336 as a :class:`ThermalNoiseSource` (kind ``"vt_load"``)."""

    kind = "vt_load"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: VtLoadOptions | None = None, **kwargs: Any):
        limits = limits or SafetyLimits()
        options = options or VtLoadOptions()
        check_options_limits(name, options, limits, field="heater_range",
                             fix="choose a lower heater range or max_current")
        super().__init__(name, address, **kwargs)
        self.limits = limits
        self.options = options
        self._heater_ready = False

    @property
    def heater(self) -> Any:
        """The qcodes output channel driving the load's heater."""
        return getattr(self, f"output_{self.options.output}")

    # -- capability: ThermalNoiseSource ---------------------------------------------------
    def temperature(self) -> float:
        """Latest reading of the load's thermometer, K."""
        return float(self.ask(f"KRDG? {self.options.input}"))

    def set_temperature(self, temperature: float) -> None:
        """Closed-loop control of the load at ``temperature`` K (limit-checked first)."""
        limit = self.options.max_temperature
        if not 0 < temperature <= limit:
            raise InterlockError(
                f"load setpoint {temperature:g} K is outside 0 .. {limit:g} K; not sent",
                where=self.name, fix="lower the setpoint or raise options.max_temperature")
        heater = self.heater
        with safe_state_on_failure(lambda: heater.output_range("off")):
            self._setup_heater()
            heater.mode("closed_loop")
            heater.input_channel(self.options.input)
            heater.setpoint(temperature)
            self._verify(heater.setpoint, temperature)  # before the range lets power flow
            heater.output_range(self.options.heater_range)
            self._verify(heater.output_range, self.options.heater_range)

    def off(self) -> None:
        """Heater range off (the safe state), verified by read-back."""
        self.heater.output_range("off")
        self._verify(self.heater.output_range, "off")

    heater_off = off

    # -- helpers --------------------------------------------------------------------------
    def _setup_heater(self) -> None:
        """HTRSET once per connection: resistance, user max current, power display."""
        if self._heater_ready:
            return
        o = self.options
        code = 1 if o.heater_resistance < 37.5 else 2  # 25 ohm or 50 ohm setting
        out = o.output
        self.write(f"HTRSET {out},{code},0,{o.user_current:.3f},2")
        reply = self.ask(f"HTRSET? {out}").split(",")
        if int(reply[0]) != code or int(reply[1]) != 0 or \
                not math.isclose(float(reply[2]), o.user_current, abs_tol=5e-4):
            raise InstrumentError(f"heater setup reads back {','.join(reply)!r}",
                                  where=self.name, fix="check the controller's heater setup")
        self._heater_ready = True

    def _verify(self, parameter: Any, expected: Any) -> None:
        """Read a setting back: the controller must have applied it before we go on."""
        check_readback(self.name, parameter.name, parameter.get(), expected, rel_tol=1e-4,
                       abs_tol=1e-6, fix="check the controller's front panel state")


__all__ = ["VtLoad336", "VtLoadOptions"]
