"""Keysight N9030-series (PXA/MXA X-Series) signal analyser, spectrum-analyser mode.

Why not qcodes' ``KeysightN9030B``: it queries the mode and measurement
catalogues and the options at connect, writes settings without reading the
error queue, reads only swept traces (no channel power, no noise-source
drive) and leaves the detector at the instrument's default (normal, log
averaging), which reads noise several dB off. This driver keeps qcodes
parameters (units, validators, IDN snapshots), checks ``SYST:ERR?`` after every
setting, measures noise with the average detector on a power (RMS) scale, and
transfers data as little-endian REAL,64 blocks.

Noise power comes from the channel-power measurement (``CONF:CHP``), which
integrates the spectrum over its integration bandwidth with the analyser's
noise-bandwidth correction; traces come from the swept SA measurement
(``CONF:SAN``) as power per resolution bandwidth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from qcodes.validators import Enum, Ints, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.core.units import Frequency
from cryochar.drivers.base import ScpiInstrument

DETECTORS = ("AVER", "NORM", "POS", "SAMP", "NEG")
AVERAGE_TYPES = ("RMS", "LOG", "SCAL")


class N9030Options(BaseModel):
    """Station ``options`` of an N9030 analyser."""

    model_config = ConfigDict(extra="forbid")
    max_frequency: Frequency = Field(26.5e9, gt=0, le=50e9, description=(
        "upper frequency of the frequency option (503: 3.6 GHz ... 526: 26.5 GHz), Hz"))


def _dbm_to_watt(values: np.ndarray) -> np.ndarray:
    return 1e-3 * 10 ** (np.asarray(values, dtype=float) / 10)


class KeysightN9030(ScpiInstrument):
    """Keysight N9030A/B (and the MXA/EXA X-Series) over SCPI: a :class:`SpectrumAnalyser`."""

    default_terminator = "\n"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: N9030Options | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        self.limits = limits or SafetyLimits()
        self.options = options or N9030Options()
        freq = Numbers(2.0, self.options.max_frequency)
        span = Numbers(10.0, self.options.max_frequency)
        add = self.add_checked_parameter
        switch = {"vals": Enum(True, False), "parser": _bool, "formatter": _onoff}
        add("center_frequency", ":SENS:FREQ:CENT", "Hz", freq)
        add("span", ":SENS:FREQ:SPAN", "Hz", span)
        add("rbw", ":SENS:BAND:RES", "Hz", Numbers(1.0, 8e6))
        add("vbw", ":SENS:BAND:VID", "Hz", Numbers(1.0, 50e6))
        add("points", ":SENS:SWE:POIN", "", Ints(1, 100001), parser=int)
        add("sweep_time", ":SENS:SWE:TIME", "s", Numbers(1e-6, 4000))
        add("averages", ":SENS:AVER:COUN", "", Ints(1, 10000), parser=int)
        add("averaging", ":SENS:AVER", "", **switch)
        add("average_type", ":SENS:AVER:TYPE", "", Enum(*AVERAGE_TYPES), parser=str,
            formatter=str)
        add("detector", ":SENS:DET:TRAC", "", Enum(*DETECTORS), parser=str, formatter=str)
        add("channel_span", ":SENS:CHP:FREQ:SPAN", "Hz", span)
        add("channel_bandwidth", ":SENS:CHP:BAND:INT", "Hz", span)
        add("channel_rbw", ":SENS:CHP:BAND:RES", "Hz", Numbers(1.0, 8e6))
        add("channel_averages", ":SENS:CHP:AVER:COUN", "", Ints(1, 10000), parser=int)
        add("channel_averaging", ":SENS:CHP:AVER", "", **switch)
        add("noise_source_drive", ":SOUR:NOIS:STAT", "", **switch)
        self._measurement = ""
        self.setup_at_connect(["FORM REAL,64", "FORM:BORD SWAP", ":INIT:CONT OFF"])
        self.connect_message()

    # -- capability: SpectrumAnalyser -----------------------------------------------------
    def configure(self, center: float, span: float, rbw: float, points: int = 1001,
                  averages: int = 1) -> None:
        """Swept SA around ``center`` Hz over ``span`` Hz with RBW ``rbw`` Hz and the
        average detector on a power scale; ``averages`` traces averaged."""
        self._select("SAN", defaults=True)
        self.center_frequency(center)
        self.span(span)
        self.rbw(rbw)
        self.points(points)
        self.detector("AVER")
        self.average_type("RMS")
        self.averages(averages)
        self.averaging(averages > 1)

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """One (averaged) sweep: frequencies, Hz, and power per resolution bandwidth, W."""
        self._select("SAN", defaults=False)
        traces = self.averages() if self.averaging() else 1
        pairs = self._read(":READ:SAN1?", float(self.sweep_time()) * traces)
        return pairs[0::2], _dbm_to_watt(pairs[1::2])

    def noise_power(self, center: float, span: float, rbw: float, averages: int = 1) -> float:
        """Channel power over ``span`` Hz around ``center`` Hz, W (RBW ``rbw`` Hz)."""
        self._select("CHP", defaults=True)
        self.center_frequency(center)
        self.channel_span(span)
        self.channel_bandwidth(span)
        self.channel_rbw(rbw)
        self.channel_averages(averages)
        self.channel_averaging(averages > 1)
        sweep = float(self.ask(":SENS:CHP:SWE:TIME?"))
        power_dbm, _density = self._read(":READ:CHP?", sweep * averages, count=2)
        return float(_dbm_to_watt(power_dbm))

    def set_noise_source_drive(self, on: bool) -> None:
        """Switch the +28 V noise-source drive on or off."""
        self.noise_source_drive(bool(on))

    # -- helpers --------------------------------------------------------------------------
    def _select(self, measurement: str, *, defaults: bool) -> None:
        """Make ``measurement`` current; ``defaults`` restores its settings (CONF:<meas>)."""
        if defaults:
            self.write_checked(f":CONF:{measurement}")
        elif self._measurement != measurement:
            self.write_checked(f":CONF:{measurement}:NDEF")
        self._measurement = measurement

    def _read(self, query: str, expected: float, count: int | None = None) -> np.ndarray:
        """Run a measurement query and read its REAL,64 block, the I/O timeout extended
        past the expected measurement time ``expected`` s. A block of the wrong length
        (``count`` values expected) is a garbled reply: reconnect and query again once."""
        with self.timeout_extended(expected):
            return self.query_real64(query, count)


def _bool(reply: str) -> bool:
    token = reply.strip().upper()
    return token == "ON" or (token not in ("OFF", "") and bool(int(float(token))))


def _onoff(value: bool) -> str:
    return "ON" if value else "OFF"


__all__ = ["KeysightN9030", "N9030Options"]
