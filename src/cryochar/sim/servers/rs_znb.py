"""Rohde & Schwarz ZNB/ZNA vector network analyser emulation (SCPI over TCP, LF).

A second front end to the twin's ONE VNA hardware chain: it measures through the
same :class:`VNAPhysics` (error boxes, cryogenic switches, port terminations,
receiver noise) as the PNA-X emulation (:mod:`cryochar.sim.servers.pna`). A real
station has one analyser on those cables, so a station maps its ``vna`` role to
either ``sim:vna`` (PNA-X) or ``sim:vna_rs`` (this one), not both: the two front
ends keep separate settings but share the switches and the noise generator.

Commands as in the R&S ZNB/ZNBT and ZNA user manuals (remote control reference):

* channels (``SENSe`` is optional): ``[SENSe<Ch>:]FREQuency:STARt|STOP|CENTer|SPAN``,
  ``[SENSe<Ch>:]SWEep:POINts``, ``:SWEep:TYPE LINear`` (the only type emulated),
  ``:SWEep:COUNt``, ``:SWEep:TIME?``, ``[SENSe<Ch>:]BANDwidth|BWIDth[:RESolution]``
  (rounded up to 1, 1.5, 2, 3, 5, 7 x 10^n Hz), ``[SENSe<Ch>:]AVERage[:STATe]|:COUNt|:CLEar``,
  ``SOURce<Ch>:POWer<Pt>[:LEVel][:IMMediate][:AMPLitude]`` (both ports alike),
  ``CONFigure:CHANnel<Ch>[:STATe]``; ``SDEFine`` on a new channel creates it too,
  other commands to a missing channel queue -114;
* ``OUTPut<Ch>[:STATe]``: RF on/off for every channel (the suffix is ignored);
* sweeps: ``INITiate<Ch>:CONTinuous``, ``INITiate:CONTinuous:ALL``,
  ``INITiate<Ch>[:IMMediate][:DUMMy]`` and ``INITiate[:IMMediate]:ALL`` (single sweep
  mode only; in continuous mode -213 "Init ignored"). One single sweep is
  ``SWEep:COUNt`` sweeps; with averaging on, the result averages the sweeps since the
  last ``AVERage:CLEar`` or setting change, at most ``AVERage:COUNt``. The testbed
  clock advances by ``SWEep:COUNt x SWEep:TIME`` (points / IF bandwidth per source
  port the channel's traces need). ``*OPC?`` answers once the sweep is done;
* traces (names unique over all channels): ``CALCulate<Ch>:PARameter:SDEFine
  '<trace>','<result>'``, ``:MEASure '<trace>','<result>'`` (and ``MEASure? '<trace>'``),
  ``:SELect``, ``:DELete '<trace>'``, ``:DELete:CALL`` (the channel's),
  ``:DELete:ALL`` (all), ``:CATalog?`` (``'Trc1,S21,...'``); results in
  :mod:`cryochar.sim.servers.rs_waves`; ``CALCulate<Ch>:FORMat`` of the selected trace;
* data of the selected trace: ``CALCulate<Ch>:DATA? SDATa|FDATa``,
  ``CALCulate<Ch>:DATA:STIMulus?``, in ``FORMat[:DATA] ASCii[,0]|REAL,32|REAL,64``
  and ``FORMat:BORDer NORMal|SWAPped`` (*RST: ASCii, SWAPped = little-endian);
* ``SYSTem:ERRor[:NEXT]?`` (``0,"No error"``), ``SYSTem:ERRor:ALL?``, ``*IDN?``
  (``Rohde-Schwarz,<model>,<serial>,<firmware>``), ``*RST`` (channel 1, trace Trc1 = S21).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.config import RsVnaConfig
from cryochar.sim.physics.vna import VNAPhysics
from cryochar.sim.servers.rs_waves import (
    FORMATS,
    Quantity,
    formatted,
    interleaved,
    keyword,
    parse_quantity,
)
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

SWEEP_OVERHEAD = 0.005  # s per sweep, besides points / IF bandwidth per partial measurement
_STEPS = np.array([1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0])
_DATA_FORMATS = {"REAL,64": "REAL,64", "REAL,32": "REAL,32", "ASCII": "ASCII,0",
                 "ASC": "ASCII,0", "ASCII,0": "ASCII,0", "ASC,0": "ASCII,0"}


@dataclass
class Trace:
    """One trace: its measured quantity and display format."""

    quantity: Quantity
    fmt: str = "MLOG"


@dataclass
class Channel:
    """Settings, traces and the latest sweep of one channel."""

    start: float
    stop: float
    points: int = 201
    if_bandwidth: float = 10e3
    power_dbm: float = -10.0
    averaging: bool = False
    average_count: int = 10
    sweep_count: int = 1
    continuous: bool = True
    traces: dict[str, Trace] = field(default_factory=dict)
    selected: str | None = None
    accumulated: int = 0  # sweeps in the running average
    last: dict[str, np.ndarray] | None = None
    last_power: float = -200.0

    def invalidate(self) -> None:
        """A setting changed: the data and the running average are gone."""
        self.last, self.accumulated = None, 0


def round_bandwidth(value: float) -> float:
    """IF bandwidth the analyser applies: ``value`` rounded up to 1, 1.5, 2, 3, 5, 7 x 10^n."""
    decade = 10 ** np.floor(np.log10(value))
    step = _STEPS[np.searchsorted(_STEPS, value / decade * (1 - 1e-12))]
    return float(step * decade)


class RsZnbDevice(ScpiDevice):
    """The twin's R&S ZNB/ZNA: channels, traces and noisy sweeps from :class:`VNAPhysics`."""

    reply_terminator = b"\n"

    def __init__(self, config: RsVnaConfig, physics: VNAPhysics, clock: SimClock):
        super().__init__()
        self.config = config
        self.physics = physics
        self.clock = clock
        self.identity = f"Rohde-Schwarz,{config.model},{config.serial},{config.firmware}"
        self.reset()
        self._register_channel()
        self._register_sweeps()
        self._register_traces()
        self.add("SYSTem:ERRor:ALL?", lambda s, a: self._all_errors())

    def reset(self) -> None:
        """``*RST``: channel 1 with trace Trc1 measuring S21, RF on, ASCII data."""
        self.channels = {1: self._new_channel()}
        self.channels[1].traces["Trc1"] = Trace(parse_quantity("S21"))
        self.channels[1].selected = "Trc1"
        self.output = True
        self.data_format, self.byte_order = "ASCII,0", "SWAP"

    def _new_channel(self) -> Channel:
        return Channel(self.config.min_frequency, self.config.max_frequency)

    def _channel(self, number: int) -> Channel:
        if number not in self.channels:
            raise ScpiError(-114, f"Header suffix out of range; no channel {number}")
        return self.channels[number]

    # -- errors ---------------------------------------------------------------------
    def _next_error(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f'{code},"{message}"'

    def _all_errors(self) -> str:
        if not self.errors:
            return '0,"No error"'
        return ",".join(self._next_error() for _ in range(len(self.errors)))

    # -- channel settings -------------------------------------------------------------
    def _setting(self, pattern: str, attr: str, parse, fmt=format_number) -> None:
        """A setting of channel ``<Ch>``: a change invalidates its data and average."""
        self.add_setting(pattern, lambda s: self._channel(s[0]), attr, parse, fmt,
                         changed=Channel.invalidate)

    def _register_channel(self) -> None:
        c = self.config
        freq = lambda a: parse_number(a, minimum=c.min_frequency, maximum=c.max_frequency)  # noqa: E731
        self._setting("[SENSe#:]FREQuency:STARt", "start", freq)
        self._setting("[SENSe#:]FREQuency:STOP", "stop", freq)
        self.add("[SENSe#:]FREQuency:CENTer", lambda s, a: self._centre(s[0], freq(a[0]), None))
        self.add("[SENSe#:]FREQuency:SPAN", lambda s, a: self._centre(
            s[0], None, parse_number(a[0], minimum=0, maximum=c.max_frequency)))
        self.add("[SENSe#:]FREQuency:CENTer?", lambda s, a: format_number(
            (self._channel(s[0]).start + self._channel(s[0]).stop) / 2))
        self.add("[SENSe#:]FREQuency:SPAN?", lambda s, a: format_number(
            self._channel(s[0]).stop - self._channel(s[0]).start))
        self._setting("[SENSe#:]SWEep:POINts", "points",
                      lambda a: int(parse_number(a, minimum=1, maximum=100001)), str)
        for header in ("[SENSe#:]BANDwidth[:RESolution]", "[SENSe#:]BWIDth[:RESolution]"):
            self._setting(header, "if_bandwidth",
                          lambda a: round_bandwidth(parse_number(a, minimum=1, maximum=30e6)))
        self._setting("SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]", "power_dbm",
                      lambda a: parse_number(a, minimum=-150, maximum=100))
        self._setting("[SENSe#:]AVERage[:STATe]", "averaging", parse_bool, lambda v: str(int(v)))
        self._setting("[SENSe#:]AVERage:COUNt", "average_count",
                      lambda a: int(parse_number(a, minimum=1, maximum=1000)), str)
        self._setting("[SENSe#:]SWEep:COUNt", "sweep_count",
                      lambda a: int(parse_number(a, minimum=1, maximum=10000)), str)
        self.add("[SENSe#:]AVERage:CLEar", lambda s, a: self._channel(s[0]).invalidate())
        self.add("[SENSe#:]SWEep:TYPE", lambda s, a: self._sweep_type(a[0]))
        self.add("[SENSe#:]SWEep:TYPE?", lambda s, a: "LIN")
        self.add("[SENSe#:]SWEep:TIME?", lambda s, a: format_number(
            self._sweep_time(self._channel(s[0]))))
        self.add("OUTPut#[:STATe]", lambda s, a: self._set_output(parse_bool(a[0])))
        self.add("OUTPut#[:STATe]?", lambda s, a: str(int(self.output)))
        self.add("CONFigure:CHANnel#[:STATe]", lambda s, a: self._configure(s[0], a[0]))
        self.add("CONFigure:CHANnel#[:STATe]?", lambda s, a: str(int(s[0] in self.channels)))
        self.add("FORMat[:DATA]", lambda s, a: setattr(self, "data_format", self._format(a)))
        self.add("FORMat[:DATA]?", lambda s, a: self.data_format.replace("ASCII", "ASC"))
        self.add_setting("FORMat:BORDer", lambda s: self, "byte_order", parse_byte_order, str)
        for ignored in ("DISPlay:WINDow#[:STATe]", "DISPlay:WINDow#:TRACe#:FEED",
                        "SYSTem:DISPlay:UPDate"):
            self.add(ignored, lambda s, a: None)

    def _centre(self, number: int, centre: float | None, span: float | None) -> None:
        channel = self._channel(number)
        centre = (channel.start + channel.stop) / 2 if centre is None else centre
        span = channel.stop - channel.start if span is None else span
        start, stop = centre - span / 2, centre + span / 2
        if start < self.config.min_frequency or stop > self.config.max_frequency:
            raise ScpiError(-222, "Data out of range")
        channel.start, channel.stop = start, stop
        channel.invalidate()

    @staticmethod
    def _sweep_type(arg: str) -> None:
        if keyword(arg, {"LIN": "LINEAR", "LOG": "LOGARITHMIC", "POW": "POWER", "CW": "CW",
                         "POIN": "POINT", "SEGM": "SEGMENT"}) != "LIN":
            raise ScpiError(-221, "Settings conflict; the twin emulates linear sweeps only")

    @staticmethod
    def _format(args: list[str]) -> str:
        token = ",".join(a.strip() for a in args).upper()
        if token not in _DATA_FORMATS:
            raise ScpiError(-224, "Illegal parameter value")
        return _DATA_FORMATS[token]

    def _set_output(self, on: bool) -> None:
        self.output = on
        for channel in self.channels.values():
            channel.invalidate()

    def _configure(self, number: int, arg: str) -> None:
        if not 1 <= number <= 200:
            raise ScpiError(-114, "Header suffix out of range")
        if parse_bool(arg):
            self.channels.setdefault(number, self._new_channel())
        elif self.channels.pop(number, None) is not None and not self.channels:
            self.channels[1] = self._new_channel()  # the analyser keeps one channel

    # -- sweeps -----------------------------------------------------------------------
    def _register_sweeps(self) -> None:
        self.add("INITiate#:CONTinuous", lambda s, a: self._continuous(
            [self._channel(s[0])], parse_bool(a[0])))
        self.add("INITiate#:CONTinuous?", lambda s, a: str(int(self._channel(s[0]).continuous)))
        self.add("INITiate:CONTinuous:ALL", lambda s, a: self._continuous(
            list(self.channels.values()), parse_bool(a[0])))
        self.add("INITiate#[:IMMediate][:DUMMy]", lambda s, a: self._single(self._channel(s[0])))
        self.add("INITiate[:IMMediate]:ALL", lambda s, a: self._single_all())

    @staticmethod
    def _continuous(channels: list[Channel], on: bool) -> None:
        for channel in channels:
            channel.continuous = on

    def _single_all(self) -> None:
        for channel in self.channels.values():
            self._single(channel)

    def _sweep_time(self, channel: Channel) -> float:
        """One sweep, s: every source port the traces need is one partial measurement."""
        sources = set().union(*(t.quantity.sources for t in channel.traces.values()))
        return channel.points / channel.if_bandwidth * max(len(sources), 1) + SWEEP_OVERHEAD

    def _single(self, channel: Channel) -> None:
        if channel.continuous:
            raise ScpiError(-213, "Init ignored; the channel is in continuous sweep mode")
        self._sweep(channel, channel.sweep_count)

    def _sweep(self, channel: Channel, count: int) -> None:
        self.clock.advance(self._sweep_time(channel) * count)
        channel.accumulated = min(channel.accumulated + count, channel.average_count)
        averages = channel.accumulated if channel.averaging else 1
        power = channel.power_dbm if self.output else -200.0  # RF off: only receiver noise
        frequency = np.linspace(channel.start, channel.stop, channel.points)
        channel.last = self.physics.measure(frequency, power, channel.if_bandwidth, averages)
        channel.last_power = power

    # -- traces and data ----------------------------------------------------------------
    def _register_traces(self) -> None:
        self.add("CALCulate#:PARameter:SDEFine", self._define)
        self.add("CALCulate#:PARameter:MEASure", self._redefine)
        self.add("CALCulate#:PARameter:MEASure?",
                 lambda s, a: f"'{self._trace(s[0], a[0]).quantity.text}'")
        self.add("CALCulate#:PARameter:SELect", self._select)
        self.add("CALCulate#:PARameter:SELect?", lambda s, a: f"'{self._selected(s[0])}'")
        self.add("CALCulate#:PARameter:DELete", self._delete)
        self.add("CALCulate#:PARameter:DELete:CALL", lambda s, a: self._delete_all(
            [self._channel(s[0])]))
        self.add("CALCulate#:PARameter:DELete:ALL", lambda s, a: self._delete_all(
            list(self.channels.values())))
        self.add("CALCulate#:PARameter:CATalog?", lambda s, a: "'{}'".format(",".join(
            f"{n},{t.quantity.text}" for n, t in self._channel(s[0]).traces.items())))
        self.add("CALCulate#:FORMat", lambda s, a: setattr(
            self._trace(s[0]), "fmt", keyword(a[0], FORMATS)))
        self.add("CALCulate#:FORMat?", lambda s, a: self._trace(s[0]).fmt)
        self.add("CALCulate#:DATA?", self._data)
        self.add("CALCulate#:DATA:STIMulus?", lambda s, a: self._stimulus(s[0]))

    @staticmethod
    def _find(channel: Channel, name: str) -> str | None:
        """The stored name of trace ``name`` in ``channel`` (names are case-insensitive)."""
        return next((n for n in channel.traces if n.upper() == name.upper()), None)

    def _trace_name(self, number: int, arg: str) -> str:
        name = self._find(self._channel(number), unquote(arg))
        if name is None:
            raise ScpiError(-224, f"Illegal parameter value; no trace {unquote(arg)!r} "
                                  f"in channel {number}")
        return name

    def _trace(self, number: int, arg: str | None = None) -> Trace:
        """Trace ``arg`` of channel ``number``, or its selected trace."""
        name = self._selected(number) if arg is None else self._trace_name(number, arg)
        return self.channels[number].traces[name]

    def _selected(self, number: int) -> str:
        channel = self._channel(number)
        if channel.selected is None:
            raise ScpiError(-221, f"Settings conflict; channel {number} has no trace")
        return channel.selected

    def _define(self, s, args) -> None:
        if len(args) != 2 or not unquote(args[0]):
            raise ScpiError(-109, "Missing parameter")
        name, quantity = unquote(args[0]), parse_quantity(args[1])
        if any(self._find(channel, name) for channel in self.channels.values()):
            raise ScpiError(-224, f"Illegal parameter value; trace {name!r} exists")
        if not 1 <= s[0] <= 200:
            raise ScpiError(-114, "Header suffix out of range")
        channel = self.channels.setdefault(s[0], self._new_channel())
        channel.traces[name] = Trace(quantity)
        channel.selected = channel.selected or name

    def _redefine(self, s, args) -> None:
        self._trace(s[0], args[0]).quantity = parse_quantity(args[1])

    def _select(self, s, args) -> None:
        self.channels[s[0]].selected = self._trace_name(s[0], args[0])

    def _delete(self, s, args) -> None:
        channel, name = self._channel(s[0]), self._trace_name(s[0], args[0])
        del channel.traces[name]
        if channel.selected == name:
            channel.selected = next(iter(channel.traces), None)

    @staticmethod
    def _delete_all(channels: list[Channel]) -> None:
        for channel in channels:
            channel.traces.clear()
            channel.selected = None

    def _data(self, s, args) -> bytes:
        kind = keyword(args[0], {"SDAT": "SDATA", "FDAT": "FDATA"}) if args else ""
        if not kind:
            raise ScpiError(-109, "Missing parameter")
        channel = self._channel(s[0])
        trace = self._trace(s[0])
        if channel.last is None:
            if not channel.continuous:
                raise ScpiError(-221, "Settings conflict; no data, start a single sweep")
            self._sweep(channel, 1)
        data = trace.quantity.trace(channel.last, channel.last_power)
        return self._block(interleaved(data) if kind == "SDAT" else formatted(data, trace.fmt))

    def _stimulus(self, number: int) -> bytes:
        channel = self._channel(number)
        self._selected(number)
        return self._block(np.linspace(channel.start, channel.stop, channel.points))

    def _block(self, values: np.ndarray) -> bytes:
        return ieee_block(values, self.data_format, self.byte_order)


__all__ = ["Channel", "RsZnbDevice", "Trace", "round_bandwidth"]
