"""Keysight PNA/PNA-X emulation (SCPI over TCP, port 5025 on the real instrument).

Serves what the programming manual documents for channel set-up, measurement
definition in both styles (``CALC:PAR:DEF:EXT``/``CALC:PAR:SEL`` and
``CALC:MEAS:DEF``), sweeps, and data transfer (``FORM:DATA REAL,64|REAL,32|
ASCII,0``, ``FORM:BORD NORM|SWAP``, ``CALC:DATA? SDATA|FDATA``,
``CALC:MEAS:DATA:SDATA?``, ``SENS:X?``). A sweep advances the testbed clock by
the sweep time.

Besides S-parameters, a measurement can be a receiver parameter as the PNA
defines them: ratioed ``"<num>/<den>,<source port>"`` or unratioed
``"<receiver>,<source port>"``, with receivers in logical notation (``a1``,
``b1``, ``a2``, ``b2``: a = reference, b = test, digit = port) or by their
physical names on a 2-port PNA-X (``R1`` = a1, ``A`` = b1, ``R2`` = a2,
``B`` = b2). The switch terms are ``'a2/b2,1'`` and ``'a1/b1,2'``. Ratioed data
are raw wave ratios; unratioed data are waves in sqrt(mW) (20 log10 |a1| is the
source power in dBm). The catalog lists receiver parameters with ``_`` for the
comma (``a2/b2_1``), as the manual describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.physics.vna import S_PARAMETERS, VNAPhysics
from cryochar.sim.servers.scpi import (
    ScpiDevice,
    ScpiError,
    format_number,
    ieee_block,
    parse_bool,
    parse_byte_order,
    parse_number,
    unquote,
)

SWEEP_OVERHEAD = 0.005  # s per sweep, on top of points / IF bandwidth
PHYSICAL_RECEIVERS = {"R1": "a1", "A": "b1", "R2": "a2", "B": "b2"}  # 2-port PNA-X
_RECEIVER = re.compile(r"^(?:([^/,]+)/)?([^/,]+),([0-9]+)$")


def receiver_parameter(text: str) -> tuple[str, str | None, int]:
    """``(numerator, denominator or None, source port)`` of a receiver parameter, receivers in
    logical notation; raises :class:`ScpiError` -224 for anything else."""
    match = _RECEIVER.fullmatch(text.replace(" ", ""))
    if not match:
        raise ScpiError(-224, "Illegal parameter value")
    ratioed, port = match.group(1) is not None, int(match.group(3))
    numerator = _logical(match.group(1) if ratioed else match.group(2))
    denominator = _logical(match.group(2)) if ratioed else None
    if port not in (1, 2):
        raise ScpiError(-224, "Illegal parameter value; source port must be 1 or 2")
    return numerator, denominator, port


def _logical(receiver: str) -> str:
    if re.fullmatch(r"[ab][12]", receiver, re.IGNORECASE):
        return receiver.lower()
    if receiver.upper() in PHYSICAL_RECEIVERS:
        return PHYSICAL_RECEIVERS[receiver.upper()]
    raise ScpiError(-224, f"Illegal parameter value; no receiver {receiver!r}")


@dataclass
class PnaState:
    """Settings of channel 1 and the measurements defined on it."""

    start: float = 10e6
    stop: float = 26.5e9
    points: int = 201
    if_bandwidth: float = 100e3
    power_dbm: float = -10.0
    output: bool = True
    averaging: bool = False
    average_count: int = 1
    sweep_mode: str = "CONT"
    data_format: str = "ASCII,0"
    byte_order: str = "NORM"
    measurements: dict[str, str] = field(default_factory=lambda: {"CH1_S11_1": "S11"})
    numbered: dict[int, str] = field(default_factory=lambda: {1: "CH1_S11_1"})
    selected: str = "CH1_S11_1"


class PnaDevice(ScpiDevice):
    """The twin's PNA-X: settings, measurements and noisy sweeps from :class:`VNAPhysics`."""

    reply_terminator = b"\n"

    def __init__(self, physics: VNAPhysics, clock: SimClock):
        super().__init__()
        self.physics = physics
        self.clock = clock
        c = physics.config
        self.identity = f"Keysight Technologies,{c.model},{c.serial},{c.firmware}"
        self.state = PnaState()
        self._last: dict[str, np.ndarray] | None = None
        self._last_power = 0.0
        self._register_sense()
        self._register_calculate()

    def reset(self) -> None:
        """``*RST``: default settings, one S11 measurement."""
        self.state = PnaState()
        self._last = None

    # -- settings -------------------------------------------------------------------
    def _setting(self, pattern: str, attr: str, parse, fmt=format_number) -> None:
        """A setting of the channel: a change discards the last sweep."""
        self.add_setting(pattern, lambda _s: self.state, attr, parse, fmt,
                         changed=lambda _state: setattr(self, "_last", None))

    def _register_sense(self) -> None:
        c = self.physics.config
        freq = lambda a: parse_number(a, minimum=c.min_frequency, maximum=c.max_frequency)  # noqa: E731
        self._setting("SENSe#:FREQuency:STARt", "start", freq)
        self._setting("SENSe#:FREQuency:STOP", "stop", freq)
        self.add("SENSe#:FREQuency:CENTer?",
                 lambda s, a: format_number((self.state.start + self.state.stop) / 2))
        self.add("SENSe#:FREQuency:SPAN?",
                 lambda s, a: format_number(self.state.stop - self.state.start))
        self._setting("SENSe#:SWEep:POINts", "points",
                      lambda a: int(parse_number(a, minimum=1, maximum=100003)), str)
        self._setting("SENSe#:BANDwidth[:RESolution]", "if_bandwidth",
                      lambda a: parse_number(a, minimum=1, maximum=15e6))
        self._setting("SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]", "power_dbm",
                      lambda a: parse_number(a, minimum=-90, maximum=20))
        self._setting("OUTPut[:STATe]", "output", parse_bool, lambda v: str(int(v)))
        self._setting("SENSe#:AVERage[:STATe]", "averaging", parse_bool, lambda v: str(int(v)))
        self._setting("SENSe#:AVERage:COUNt", "average_count",
                      lambda a: int(parse_number(a, minimum=1, maximum=65536)), str)
        self.add("SENSe#:AVERage:CLEar", lambda s, a: None)
        self._setting("SENSe#:SWEep:MODE", "sweep_mode", self._sweep_mode, str)
        self.add("SENSe#:SWEep:TIME?", lambda s, a: format_number(self._sweep_time()))
        self.add("SENSe#:X[:VALues]?", lambda s, a: self._block(self.frequencies()))
        self.add("INITiate#[:IMMediate]", lambda s, a: self._sweep())
        self.add("FORMat[:DATA]", lambda s, a: setattr(self.state, "data_format",
                                                       self._data_format(",".join(a))))
        self.add("FORMat[:DATA]?", lambda s, a: self.state.data_format.replace(",", ",+"))
        self._setting("FORMat:BORDer", "byte_order", parse_byte_order, str)
        self.add("DISPlay:WINDow#[:STATe]", lambda s, a: None)
        self.add("DISPlay:WINDow#:TRACe#:FEED", lambda s, a: None)

    @staticmethod
    def _sweep_mode(arg: str) -> str:
        token = arg.strip().upper()
        for mode in ("HOLD", "CONTINUOUS", "GROUPS", "SINGLE"):
            if mode.startswith(token) and len(token) >= 3:
                return mode[:4] if mode != "CONTINUOUS" else "CONT"
        raise ScpiError(-224, "Illegal parameter value")

    @staticmethod
    def _data_format(arg: str) -> str:
        token = arg.replace(" ", "").upper().replace("+", "")
        aliases = {"REAL,64": "REAL,64", "REAL,32": "REAL,32", "ASCII,0": "ASCII,0",
                   "ASC,0": "ASCII,0", "ASCII": "ASCII,0", "ASC": "ASCII,0"}
        if token not in aliases:
            raise ScpiError(-224, "Illegal parameter value")
        return aliases[token]

    # -- measurements ---------------------------------------------------------------
    def _register_calculate(self) -> None:
        self.add("CALCulate#:PARameter:DEFine:EXTended", self._define)
        self.add("CALCulate#:PARameter:DELete[:NAME]", self._delete)
        self.add("CALCulate#:PARameter:DELete:ALL", lambda s, a: self._delete_all())
        self.add("CALCulate#:PARameter:SELect", self._select)
        self.add("CALCulate#:PARameter:SELect?", lambda s, a: f'"{self.state.selected}"')
        self.add("CALCulate#:PARameter:CATalog[:EXTended]?", lambda s, a: self._catalog())
        self.add("CALCulate#:MEASure#:DEFine", self._define_numbered)
        self.add("CALCulate#:MEASure#:PARameter?", lambda s, a: f'"{self._numbered(s[1])}"')
        self.add("CALCulate#:DATA?", self._data_selected)
        self.add("CALCulate#:MEASure#:DATA:SDATA?", lambda s, a: self._data(
            self.state.measurements[self.state.numbered[s[1]]], "SDATA"))
        self.add("CALCulate#:MEASure#:DATA:FDATA?", lambda s, a: self._data(
            self.state.measurements[self.state.numbered[s[1]]], "FDATA"))

    @staticmethod
    def _parameter(arg: str) -> str:
        """An S-parameter (upper case) or a receiver parameter (spaces removed)."""
        text = unquote(arg).strip()
        name = text.upper().replace("_", "")
        if name in S_PARAMETERS:
            return name
        if "," not in text:
            raise ScpiError(-224, "Illegal parameter value")
        receiver_parameter(text)
        return text.replace(" ", "")

    def _define(self, _s, args) -> None:
        name, parameter = unquote(args[0]), self._parameter(args[1])
        self.state.measurements[name] = parameter
        self.state.numbered[max(self.state.numbered, default=0) + 1] = name

    def _define_numbered(self, suffixes, args) -> None:
        number, parameter = suffixes[1], self._parameter(args[0])
        name = f"CH1_{re.sub(r'[/,]', '_', parameter)}_{number}"
        self.state.measurements[name] = parameter
        self.state.numbered[number] = name
        self.state.selected = name

    def _numbered(self, number: int) -> str:
        if number not in self.state.numbered:
            raise ScpiError(-114, "Header suffix out of range")
        return self.state.measurements[self.state.numbered[number]]

    def _delete(self, _s, args) -> None:
        name = unquote(args[0])
        if self.state.measurements.pop(name, None) is None:
            raise ScpiError(-224, "Illegal parameter value")
        self.state.numbered = {k: v for k, v in self.state.numbered.items() if v != name}

    def _delete_all(self) -> None:
        self.state.measurements.clear()
        self.state.numbered.clear()
        self.state.selected = ""

    def _select(self, _s, args) -> None:
        name = unquote(args[0])
        if name not in self.state.measurements:
            raise ScpiError(-224, "Illegal parameter value")
        self.state.selected = name

    def _catalog(self) -> str:
        items = ",".join(f"{n},{p.replace(',', '_')}" for n, p in self.state.measurements.items())
        return f'"{items or "NO CATALOG"}"'

    def _data_selected(self, _s, args) -> bytes:
        kind = args[0].strip().upper() if args else ""
        if kind not in ("SDATA", "FDATA"):
            raise ScpiError(-224, "Illegal parameter value")
        if self.state.selected not in self.state.measurements:
            raise ScpiError(-200, "Execution error; no measurement selected")
        return self._data(self.state.measurements[self.state.selected], kind)

    # -- sweeps and data ------------------------------------------------------------
    def frequencies(self) -> np.ndarray:
        """Stimulus values of channel 1, Hz."""
        return np.linspace(self.state.start, self.state.stop, self.state.points)

    def _sweep_time(self) -> float:
        averages = self.state.average_count if self.state.averaging else 1
        return self.state.points / self.state.if_bandwidth * averages + SWEEP_OVERHEAD

    def _sweep(self) -> None:
        s = self.state
        averages = s.average_count if s.averaging else 1
        self.clock.advance(self._sweep_time())
        power = s.power_dbm if s.output else -200.0  # RF off: receivers see only noise
        self._last = self.physics.measure(self.frequencies(), power, s.if_bandwidth, averages)
        self._last_power = power

    def _data(self, parameter: str, kind: str) -> bytes:
        if self._last is None:
            if self.state.sweep_mode != "CONT":
                raise ScpiError(-221, "Settings conflict; no data, trigger a sweep")
            self._sweep()
        trace = self._trace(parameter)
        if kind == "FDATA":
            return self._block(20 * np.log10(np.abs(trace)))
        interleaved = np.empty(2 * trace.size)
        interleaved[0::2], interleaved[1::2] = trace.real, trace.imag
        return self._block(interleaved)

    def _trace(self, parameter: str) -> np.ndarray:
        """Complex data of an S-parameter or receiver parameter from the last sweep."""
        if parameter in S_PARAMETERS:
            return self._last[parameter]
        numerator, denominator, port = receiver_parameter(parameter)
        wave = self._last[f"{numerator},{port}"]
        if denominator is not None:
            return wave / self._last[f"{denominator},{port}"]
        return wave * 10 ** (self._last_power / 20)  # sqrt(mW)

    def _block(self, values: np.ndarray) -> bytes:
        return ieee_block(values, self.state.data_format, self.state.byte_order)


__all__ = ["PnaDevice", "PnaState"]
