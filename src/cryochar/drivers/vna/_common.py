"""What the SCPI vector network analyser drivers share: the channel option, the linear
sweep settings, source power and RF switch, reading a selected trace's complex data,
and the switch terms. Each driver keeps its own dialect (headers, trace handling,
sweep triggering); this base only holds steps whose commands come from the driver's
own qcodes parameters or from the headers it passes in.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cryochar.drivers.base import ScpiInstrument


class VnaChannelOptions(BaseModel):
    """Station ``options`` of a VNA: the measurement channel the driver works in."""

    model_config = ConfigDict(extra="forbid")
    channel: int = Field(1, ge=1, le=200, description="measurement channel")


class ScpiVna(ScpiInstrument):
    """Base of the SCPI VNA drivers. Subclasses define the qcodes parameters
    ``start_frequency``, ``stop_frequency``, ``points``, ``if_bandwidth``, ``averages``,
    ``source_power`` and ``rf_output``, ``options`` (a :class:`VnaChannelOptions`),
    ``switch_terms`` (gamma_f, gamma_r in the analyser's notation) and
    ``measure_s_parameters``."""

    options: VnaChannelOptions
    switch_terms: tuple[str, str]

    def _set_linear_sweep(self, start: float, stop: float, points: int, if_bandwidth: float,
                          averages: int) -> None:
        """``start``..``stop`` Hz in ``points`` points, IF bandwidth Hz, ``averages``
        averages (averaging on only above one), each setting checked."""
        self.start_frequency(start)
        self.stop_frequency(stop)
        self.points(points)
        self.if_bandwidth(if_bandwidth)
        self.averages(averages)
        self.write_checked(f"SENS{self.options.channel}:AVER {'ON' if averages > 1 else 'OFF'}")

    def set_source_power(self, power_dbm: float) -> None:
        """Source power, dBm."""
        self.source_power(power_dbm)

    def set_rf_output(self, on: bool) -> None:
        """RF source on/off."""
        self.rf_output(bool(on))

    def measure_switch_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """One sweep of the receiver ratios a2/b2 (port 1 driving) and a1/b1 (port 2
        driving): the switch terms (gamma_f, gamma_r). Needs a transmissive path (thru)."""
        data = self.measure_s_parameters(self.switch_terms)
        return data[self.switch_terms[0]], data[self.switch_terms[1]]

    def _complex_trace(self, name: str, query: str, points: int) -> np.ndarray:
        """Select the trace (measurement) ``name`` of the channel and read its unformatted
        data with ``query``: ``points`` complex values sent as (re, im) pairs."""
        self.write(f"CALC{self.options.channel}:PAR:SEL '{name}'")
        raw = self.query_real64(query, count=2 * points)
        return raw[0::2] + 1j * raw[1::2]


__all__ = ["ScpiVna", "VnaChannelOptions"]
