"""Keysight PNA / PNA-X (N52xx) vector network analyser.

Why not qcodes' own N52xx driver: it fixes ``FORM REAL,32`` and reads formatted
display traces (``CALC:DATA? FDATA``, one trace at a time), while calibration
and metrology need the unformatted complex ratios (``SDATA``) at 64-bit
precision and measurements defined by name without touching the display. This
driver keeps qcodes parameters (units, validators, snapshots with IDN) and
transfers data as little-endian REAL,64 IEEE 488.2 blocks through pyvisa.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from qcodes.validators import Enum, Ints, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.drivers.base import LimitValidator
from cryochar.drivers.vna._common import ScpiVna, VnaChannelOptions

S_PARAMETERS = ("S11", "S21", "S12", "S22")
SWITCH_TERMS = ("a2/b2,1", "a1/b1,2")  # gamma_f, gamma_r in logical receiver notation
_RECEIVER = re.compile(r"^(?:(?:[ab][12]|R[12]|A|B)/)?(?:[ab][12]|R[12]|A|B),[12]$")


class PnaOptions(VnaChannelOptions):
    """Station ``options`` of a PNA."""


class KeysightPNA(ScpiVna):
    """Keysight PNA/PNA-X over SCPI (TCP socket port 5025 or HiSLIP)."""

    default_terminator = "\n"
    switch_terms = SWITCH_TERMS

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: PnaOptions | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        limits = limits or SafetyLimits()
        self.options = options or PnaOptions()
        ch = self.options.channel
        self._defined: set[str] = set()
        add = self.add_checked_parameter
        add("start_frequency", f"SENS{ch}:FREQ:STAR", "Hz", Numbers(10e6, 1.1e11))
        add("stop_frequency", f"SENS{ch}:FREQ:STOP", "Hz", Numbers(10e6, 1.1e11))
        add("points", f"SENS{ch}:SWE:POIN", "", Ints(1, 100003), parser=int)
        add("if_bandwidth", f"SENS{ch}:BAND", "Hz", Numbers(1, 15e6))
        add("averages", f"SENS{ch}:AVER:COUN", "", Ints(1, 65536), parser=int)
        add("source_power", f"SOUR{ch}:POW", "dBm", LimitValidator(
            -90, 20, limit=limits.max_source_power_dbm, what="source power", unit="dBm"))
        add("rf_output", "OUTP", "", Enum(True, False),
            parser=lambda r: bool(int(r)), formatter=lambda v: str(int(v)))
        self.add_parameter("sweep_time", get_cmd=f"SENS{ch}:SWE:TIME?", get_parser=float,
                           unit="s", label="Sweep time")
        self.setup_at_connect(["FORM:DATA REAL,64", "FORM:BORD SWAP"])
        self.connect_message()

    # -- capability: VNA (source power, RF output, switch terms: ScpiVna) ---------------
    def configure_sweep(self, start: float, stop: float, points: int, if_bandwidth: float,
                        averages: int = 1) -> None:
        """Linear sweep ``start``..``stop`` Hz with ``points`` points; IF bandwidth Hz."""
        self._set_linear_sweep(start, stop, points, if_bandwidth, averages)
        self.write_checked(f"SENS{self.options.channel}:SWE:MODE HOLD")

    def frequencies(self) -> np.ndarray:
        """Stimulus values of the channel, Hz."""
        return self.query_real64(f"SENS{self.options.channel}:X?")

    def measure_s_parameters(self, names: Sequence[str] = ("S21",)) -> dict[str, np.ndarray]:
        """Trigger one (averaged) sweep, wait for it, return the named S-parameters (or raw
        receiver parameters such as ``'a2/b2,1'``, see :meth:`_define`) as complex arrays."""
        ch = self.options.channel
        for parameter in names:
            self._define(parameter)
        self._sweep_and_wait()
        points = self.points.get_latest() or int(self.points())
        return {parameter: self._complex_trace(self._name(parameter), f"CALC{ch}:DATA? SDATA",
                                               points) for parameter in names}

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
        with self.timeout_extended(float(self.sweep_time()) * averages):
            self.write(f"INIT{self.options.channel}:IMM")
            self.ask("*OPC?")


__all__ = ["KeysightPNA", "PnaOptions"]
