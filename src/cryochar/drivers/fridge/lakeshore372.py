"""Lakeshore 372 resistance bridge on a Bluefors fridge (TCP port 7777).

Built on qcodes' own ``LakeshoreModel372`` driver (channels, heater outputs,
PID, ranges as qcodes parameters); this class adds the fridge view that
sequences use: stages by name, the mixing-chamber setpoint with the station's
safety limits, and the safe heater state.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from qcodes.instrument_drivers.Lakeshore import LakeshoreModel372

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ReadingDropout
from cryochar.drivers.base import CryocharVisaInstrument, check_mxc_setpoint
from cryochar.drivers.temperature_control import (
    check_options_limits,
    check_readback,
    check_stage_channels,
    safe_state_on_failure,
)

# Full-scale sample-heater current of ranges 1..8, A (Model 372 manual, RANGE).
RANGE_CURRENT = {1: 31.6e-6, 2: 100e-6, 3: 316e-6, 4: 1e-3, 5: 3.16e-3, 6: 10e-3,
                 7: 31.6e-3, 8: 100e-3}
RANGE_NAME = {1: "31.6μA", 2: "100μA", 3: "316μA", 4: "1mA", 5: "3.16mA", 6: "10mA",
              7: "31.6mA", 8: "100mA"}


class Lakeshore372Options(BaseModel):
    """Station ``options`` of a Lakeshore 372."""

    model_config = ConfigDict(extra="forbid")
    channels: dict[str, int] = Field(
        default_factory=lambda: {"pt1": 1, "pt2": 2, "still": 5, "mxc": 6, "cold_plate": 8},
        description="stage name -> input channel (1..16); must include 'mxc'")
    heater_resistance: float = Field(120.0, gt=0, le=2000, description="sample heater, ohm")
    heater_range: int = Field(5, ge=1, le=8, description="sample heater range used for control")

    def check_limits(self, limits: SafetyLimits) -> None:
        """Raise ``ValueError`` when the heater range can exceed ``max_heater_power``."""
        power = RANGE_CURRENT[self.heater_range] ** 2 * self.heater_resistance
        if limits.max_heater_power is not None and power > limits.max_heater_power:
            raise ValueError(
                f"heater range {self.heater_range} allows {power:.3g} W, above the station "
                f"limit max_heater_power {limits.max_heater_power:.3g} W")

    def model_post_init(self, _context: Any) -> None:
        """Check the channel map."""
        check_stage_channels(self.channels, lambda c: 1 <= c <= 16, "channels are numbered 1..16")


class Lakeshore372(CryocharVisaInstrument, LakeshoreModel372):
    """Lakeshore 372 as a :class:`~cryochar.drivers.protocols.TemperatureController`."""

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: Lakeshore372Options | None = None, **kwargs: Any):
        limits = limits or SafetyLimits()
        options = options or Lakeshore372Options()
        check_options_limits(name, options, limits, field="heater_range",
                             fix="choose a lower heater range")
        super().__init__(name, address, **kwargs)
        self.limits = limits
        self.options = options

    def stage_temperatures(self) -> dict[str, float]:
        """Latest reading of each configured stage, K; nan for a reading that dropped out
        (a log of temperatures keeps going; :meth:`mxc_temperature` raises instead)."""
        readings = {}
        for stage, channel in self.options.channels.items():
            try:
                readings[stage] = self._kelvin(stage, channel)
            except ReadingDropout:
                self.faults["dropout"] += 1
                readings[stage] = float("nan")
        return readings

    def mxc_temperature(self) -> float:
        """Latest mixing-chamber reading, K."""
        return self._kelvin("mxc", self.options.channels["mxc"])

    def _kelvin(self, stage: str, channel: int) -> float:
        """A reading in K; a non-positive one is a dropout (over/under range)."""
        value = float(self.ask(f"KRDG? {channel}"))
        if not value > 0:
            status = self.ask(f"RDGST? {channel}").strip()
            raise ReadingDropout(f"invalid reading of the {stage} thermometer (status {status})",
                                 where=f"{self.name}: channel {channel}",
                                 fix="check the sensor wiring; a single dropout is retried")
        return value

    def set_mxc_temperature(self, temperature: float) -> None:
        """Closed-loop control of the MXC at ``temperature`` K (limit-checked first)."""
        check_mxc_setpoint(self.name, temperature, self.limits)
        heater = self.sample_heater
        with safe_state_on_failure(lambda: heater.output_range("off")):
            heater.mode("closed_loop")
            heater.input_channel(self.options.channels["mxc"])
            heater.setpoint(temperature)
            self._verify(heater.setpoint, temperature)  # before the range lets power flow
            heater.output_range(RANGE_NAME[self.options.heater_range])
            self._verify(heater.output_range, RANGE_NAME[self.options.heater_range])

    def heater_off(self) -> None:
        """Sample heater off: range 0 (the safe state), verified by read-back."""
        self.sample_heater.output_range("off")
        self._verify(self.sample_heater.output_range, "off")

    def _verify(self, parameter: Any, expected: Any) -> None:
        """Read a setting back: the instrument must have applied it before we go on."""
        # SETP? answers with 5 significant digits (+1.2346E-01): compare at that resolution
        check_readback(self.name, parameter.name, parameter.get(), expected, rel_tol=1e-4,
                       abs_tol=1e-9, fix="check the instrument's front panel state")


__all__ = ["Lakeshore372", "Lakeshore372Options"]
