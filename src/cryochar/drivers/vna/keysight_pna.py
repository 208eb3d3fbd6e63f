"""Keysight PNA / PNA-X (N52xx) vector network analyser.

Why not qcodes' own N52xx driver: it fixes ``FORM REAL,32`` and reads formatted
display traces (``CALC:DATA? FDATA``, one trace at a time), while calibration
and metrology need the unformatted complex ratios (``SDATA``) at 64-bit
precision and measurements defined by name without touching the display. This
driver keeps qcodes parameters (units, validators, snapshots with IDN) and
transfers data as little-endian REAL,64 IEEE 488.2 blocks through pyvisa.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from qcodes.validators import Enum, Ints, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.drivers.base import TRANSIENT, LimitValidator, ScpiInstrument

S_PARAMETERS = ("S11", "S21", "S12", "S22")
SWITCH_TERMS = ("a2/b2,1", "a1/b1,2")  # gamma_f, gamma_r in logical receiver notation
_RECEIVER = re.compile(r"^(?:(?:[ab][12]|R[12]|A|B)/)?(?:[ab][12]|R[12]|A|B),[12]$")


class PnaOptions(BaseModel):
    """Station ``options`` of a PNA."""

    model_config = ConfigDict(extra="forbid")
    channel: int = Field(1, ge=1, le=200, description="measurement channel")


class KeysightPNA(ScpiInstrument):
    """Keysight PNA/PNA-X over SCPI (TCP socket port 5025 or HiSLIP)."""

    default_terminator = "\n"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: PnaOptions | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        limits = limits or SafetyLimits()
        self.options = options or PnaOptions()
        ch = self.options.channel
        self._defined: set[str] = set()
        self._add_checked("start_frequency", f"SENS{ch}:FREQ:STAR", "Hz", Numbers(10e6, 1.1e11))
        self._add_checked("stop_frequency", f"SENS{ch}:FREQ:STOP", "Hz", Numbers(10e6, 1.1e11))
        self._add_checked("points", f"SENS{ch}:SWE:POIN", "", Ints(1, 100003), parser=int)
        self._add_checked("if_bandwidth", f"SENS{ch}:BAND", "Hz", Numbers(1, 15e6))
        self._add_checked("averages", f"SENS{ch}:AVER:COUN", "", Ints(1, 65536), parser=int)
        self._add_checked("source_power", f"SOUR{ch}:POW", "dBm", LimitValidator(
            -90, 20, limit=limits.max_source_power_dbm, what="source power", unit="dBm"))
        self._add_checked("rf_output", "OUTP", "", Enum(True, False),
                          parser=lambda r: bool(int(r)), formatter=lambda v: str(int(v)))
        self.add_parameter("sweep_time", get_cmd=f"SENS{ch}:SWE:TIME?", get_parser=float,
                           unit="s", label="Sweep time")
        try:
            self.write("FORM:DATA REAL,64")
            self.write("FORM:BORD SWAP")
            self.check_errors("FORM:DATA REAL,64")
        except Exception:
            self.close()  # qcodes does not close an instrument whose __init__ raised
            raise
        self.connect_message()

    def _add_checked(self, name: str, header: str, unit: str, vals, *, parser=float,
                     formatter=None) -> None:
        formatter = formatter or _scpi_number
        self.add_parameter(
            name, unit=unit, vals=vals, get_cmd=f"{header}?", get_parser=parser,
            set_cmd=lambda value, h=header: self.write_checked(f"{h} {formatter(value)}"))

    # -- capability: VNA ------------------------------------------------------------
    def configure_sweep(self, start: float, stop: float, points: int, if_bandwidth: float,
                        averages: int = 1) -> None:
        """Linear sweep ``start``..``stop`` Hz with ``points`` points; IF bandwidth Hz."""
        ch = self.options.channel
        self.start_frequency(start)
        self.stop_frequency(stop)
        self.points(points)
        self.if_bandwidth(if_bandwidth)
        self.averages(averages)
        self.write_checked(f"SENS{ch}:AVER {'ON' if averages > 1 else 'OFF'}")
        self.write_checked(f"SENS{ch}:SWE:MODE HOLD")

    def set_source_power(self, power_dbm: float) -> None:
        """Source power, dBm."""
        self.source_power(power_dbm)

    def set_rf_output(self, on: bool) -> None:
        """RF source on/off."""
        self.rf_output(bool(on))

    def frequencies(self) -> np.ndarray:
        """Stimulus values of the channel, Hz."""
        return self._block(f"SENS{self.options.channel}:X?")

    def measure_s_parameters(self, names: Sequence[str] = ("S21",)) -> dict[str, np.ndarray]:
        """Trigger one (averaged) sweep, wait for it, return the named S-parameters (or raw
        receiver parameters such as ``'a2/b2,1'``, see :meth:`_define`) as complex arrays."""
        ch = self.options.channel
        for parameter in names:
            self._define(parameter)
        self._sweep_and_wait()
        points = self.points.get_latest() or int(self.points())
        result = {}
        for parameter in names:
            self.write(f"CALC{ch}:PAR:SEL '{self._name(parameter)}'")
            raw = self._block(f"CALC{ch}:DATA? SDATA", count=2 * points)
            result[parameter] = raw[0::2] + 1j * raw[1::2]
        return result

    def measure_switch_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """One sweep of the receiver ratios ``a2/b2`` (port 1 driving) and ``a1/b1`` (port 2
        driving): the switch terms (gamma_f, gamma_r). Needs a transmissive path (thru)."""
        data = self.measure_s_parameters(SWITCH_TERMS)
        return data[SWITCH_TERMS[0]], data[SWITCH_TERMS[1]]

    # -- helpers --------------------------------------------------------------------
    @staticmethod
    def _name(parameter: str) -> str:
        """Measurement name of an S-parameter or receiver parameter (``cryochar_a2_b2_1``)."""
        if parameter.upper() in S_PARAMETERS:
            return f"cryochar_{parameter.upper()}"
        return "cryochar_" + re.sub(r"[/,]", "_", parameter)

    def _define(self, parameter: str) -> None:
        """Define a measurement once: an S-parameter, or a receiver parameter such as
        ``'a2/b2,1'`` (ratioed, logical or physical receivers) or ``'b2,1'`` (unratioed)."""
        text = parameter.upper() if parameter.upper() in S_PARAMETERS else parameter
        if text not in S_PARAMETERS and not _RECEIVER.fullmatch(text):
            raise ValueError(f"unknown S-parameter {parameter!r}; use one of {S_PARAMETERS} "
                             "or a receiver parameter such as 'a2/b2,1'")
        if text not in self._defined:
            ch = self.options.channel
            self.write_checked(f"CALC{ch}:PAR:DEF:EXT '{self._name(text)}','{text}'")
            self._defined.add(text)

    def _sweep_and_wait(self) -> None:
        averages = self.averages.get_latest() or 1
        expected = float(self.sweep_time()) * averages
        saved = self.visa_handle.timeout
        self.visa_handle.timeout = saved + 1500 * expected  # ms: the I/O timeout past the sweep
        try:
            self.write(f"INIT{self.options.channel}:IMM")
            self.ask("*OPC?")
        finally:
            self.visa_handle.timeout = saved

    def _block(self, query: str, count: int | None = None) -> np.ndarray:
        """Query a REAL,64 little-endian block; a garbled or lost one, or one of the wrong
        length (``count`` values expected), reconnects and queries again once."""

        def read() -> np.ndarray:
            values = self.visa_handle.query_binary_values(
                query, datatype="d", is_big_endian=False, container=np.array)
            if count is not None and values.size != count:
                raise ValueError(f"{values.size} values where {count} were expected")
            return values

        return self.recover(query, read, transient=(*TRANSIENT, ValueError))


def _scpi_number(value: Any) -> str:
    """A number as SCPI text: Python ``repr`` of a plain int or float (a numpy scalar's
    repr is ``np.float64(...)``, which an instrument rejects)."""
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    return repr(float(value))


__all__ = ["KeysightPNA", "PnaOptions"]
