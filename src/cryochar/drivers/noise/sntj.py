"""Shot-noise tunnel junction (SNTJ) biased by a Keithley 2400/2450 SourceMeter.

The junction has no interface of its own: its bias supply is a SourceMeter
dedicated to it, so the SNTJ driver *is* the SMU driver (same address, same
dialects and interlocks) plus the junction's parameters. ``set_bias`` sources
the voltage (limit-checked against ``options.voltage_limit``, default 10 mV:
the large-bias regime eV >> hf, kT starts at a few hundred microvolts) and
switches the output on; ``off`` returns to 0 V and switches it off. The
junction's resistance is what the noise analysis needs to check the bias
(I = V / R) and the impedance match.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cryochar.core.config import SafetyLimits
from cryochar.core.units import Current, Voltage
from cryochar.drivers.smu.keithley2400 import MAX_CURRENT, Keithley2400, Keithley2400Options


class SntjOptions(Keithley2400Options):
    """Station ``options`` of an SNTJ on a Keithley SMU."""

    voltage_limit: Voltage = Field(0.01, gt=0, le=1.0, description=(
        "largest |bias| the driver will set, V"))
    current_limit: Current = Field(1e-3, gt=0, le=MAX_CURRENT, description=(
        "current compliance, A"))
    resistance: float = Field(50.0, gt=0, le=1e6, description="junction resistance, ohm")


class Sntj(Keithley2400):
    """An SNTJ as a :class:`ShotNoiseSource` (kind ``"sntj"``)."""

    kind = "sntj"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: SntjOptions | None = None, **kwargs: Any):
        super().__init__(name, address, limits=limits, options=options or SntjOptions(),
                         **kwargs)
        self.metadata.update({"junction_resistance": self.options.resistance})

    @property
    def resistance(self) -> float:
        """Junction resistance, ohm."""
        return self.options.resistance

    # -- capability: ShotNoiseSource ------------------------------------------------------
    def set_bias(self, voltage: float) -> None:
        """Bias the junction at ``voltage`` V and switch the output on."""
        self.set_voltage(voltage)
        if not self.output():
            self.output(True)

    def bias(self) -> float:
        """The applied bias, V: the source level with the output on, else 0."""
        return float(self.voltage()) if self.output() else 0.0

    def off(self) -> None:
        """The safe state: 0 V, output off."""
        self.voltage(0.0)
        self.output(False)


__all__ = ["Sntj", "SntjOptions"]
