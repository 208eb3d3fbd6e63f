"""Keysight N9030-series (X-Series) signal analyser emulation: SCPI over TCP (5025).

Spectrum-analyser mode with two measurements, as the X-Series programming
guide documents them:

* swept SA (``CONF:SAN``): ``[SENS]:FREQ:CENT|SPAN|STAR|STOP``,
  ``[SENS]:BAND[:RES][:AUTO]``, ``[SENS]:BAND:VID[:AUTO]``, ``[SENS]:SWE:POIN``,
  ``[SENS]:SWE:TIME[:AUTO]``, ``[SENS]:AVER[:STAT]|:COUN|:TYPE LOG|RMS|SCAL``,
  ``[SENS]:DET[:FUNC]|:DET:TRAC NORM|AVER|POS|SAMP|NEG``; data from
  ``READ|FETC|MEAS:SAN[1]?`` as (frequency, dBm) pairs and ``TRAC[:DATA]? TRACE1``;
* channel power (``CONF:CHP``): ``[SENS]:CHP:BAND:INT``, ``[SENS]:CHP:FREQ:SPAN``,
  ``[SENS]:CHP:BAND[:RES]``, ``[SENS]:CHP:AVER[:STAT]|:COUN``,
  ``[SENS]:CHP:SWE:TIME[:AUTO]``; ``READ|FETC|MEAS:CHP[:CHP]?`` -> channel power
  (dBm) and power spectral density (dBm/Hz).

``CONF:<meas>`` selects a measurement and restores its defaults
(``CONF:<meas>:NDEF`` keeps them). Results follow ``FORM[:DATA] ASC|REAL,32|
REAL,64`` and ``FORM:BORD NORM|SWAP``. ``SOUR:NOIS[:STAT] ON|OFF`` switches the
28 V noise-source drive. A measurement advances the testbed clock by its sweep
time (times the average count); powers are the amplifier chain's noise
spectrum plus the analyser's own noise floor, with detector and radiometer
statistics from :mod:`cryochar.sim.physics.spectrum`. *RST: swept SA, full
span, normal detector, log-power averaging, noise source off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.config import SpectrumAnalyserConfig
from cryochar.sim.physics.amplifier import AmplifierChain, radiometer_power
from cryochar.sim.physics.spectrum import (
    AVERAGE_TYPES,
    DETECTORS,
    auto_rbw,
    auto_sweep_time,
    channel_samples,
    detect,
)
from cryochar.sim.servers.scpi import (
    ScpiDevice,
    ScpiError,
    format_number,
    ieee_block,
    parse_bool,
    parse_byte_order,
    parse_number,
)

MIN_SPAN = 10.0  # Hz (zero span is not emulated)
CHANNEL_GRID = 201  # points of the channel-power integral
_KEYWORDS = {  # accepted long/short forms -> stored keyword
    "NORMAL": "NORM", "AVERAGE": "AVER", "POSITIVE": "POS", "SAMPLE": "SAMP",
    "NEGATIVE": "NEG", "LOG": "LOG", "RMS": "RMS", "SCALAR": "SCAL"}
_FORMATS = {"ASC": "ASCII,0", "ASCII": "ASCII,0", "ASC,8": "ASCII,0", "ASCII,8": "ASCII,0",
            "REAL,32": "REAL,32", "REAL,64": "REAL,64"}


@dataclass
class SweptSettings:
    """Swept SA measurement settings (frequency range is shared by the mode)."""

    rbw: float = 3e6
    rbw_auto: bool = True
    vbw: float = 3e6
    vbw_auto: bool = True
    points: int = 1001
    sweep_time: float = 1e-3
    sweep_time_auto: bool = True
    averaging: bool = False
    average_count: int = 100
    average_type: str = "LOG"
    detector: str = "NORM"


@dataclass
class ChannelSettings:
    """Channel power measurement settings."""

    span: float = 3e6
    integration: float = 2e6
    rbw: float = 30e3
    averaging: bool = False
    average_count: int = 10
    sweep_time: float = 1e-3
    sweep_time_auto: bool = True


def _keyword(arg: str, allowed: tuple[str, ...]) -> str:
    token = arg.strip().upper()
    token = _KEYWORDS.get(token, token)
    if token not in allowed:
        raise ScpiError(-224, "Illegal parameter value")
    return token


def _dbm(power: np.ndarray | float) -> np.ndarray:
    return 10 * np.log10(np.maximum(np.asarray(power, dtype=float), 1e-30) / 1e-3)


class N9030Device(ScpiDevice):
    """The twin's N9030B: swept spectrum and channel power of the amplifier chain."""

    reply_terminator = b"\n"

    def __init__(self, config: SpectrumAnalyserConfig, chain: AmplifierChain, clock: SimClock,
                 rng: np.random.Generator):
        super().__init__()
        self.config = config
        self.chain = chain
        self.clock = clock
        self._rng = rng
        self.identity = f"Keysight Technologies,{config.model},{config.serial},{config.firmware}"
        self.reset()
        self._register_frequency()
        self._register_swept()
        self._register_channel()
        self._register_system()

    def reset(self) -> None:
        """``*RST``: swept SA over the full span, noise source off."""
        c = self.config
        self.center = (c.min_frequency + c.max_frequency) / 2
        self.span = c.max_frequency - c.min_frequency
        self.swept = SweptSettings()
        self.channel = ChannelSettings()
        self.measurement = "SAN"
        self.continuous = True
        self.data_format = "ASCII,0"
        self.byte_order = "NORM"
        self._results: dict[str, np.ndarray] = {}
        self.chain.diode.on = False
        self._couple()

    # -- settings helpers -----------------------------------------------------------------
    def _setting(self, pattern: str, obj: str, attr: str, parse, fmt=format_number,
                 auto: str | None = None) -> None:
        """A setting of the ``obj`` measurement's settings; with ``auto``, its ``:AUTO``
        switch too (setting the value switches auto off). A change re-couples settings
        and discards results."""
        def changed(settings) -> None:
            if auto:
                setattr(settings, auto, False)
            self._changed()

        self.add_setting(pattern, lambda _s: getattr(self, obj), attr, parse, fmt,
                         changed=changed)
        if auto:
            self.add_setting(pattern + ":AUTO", lambda _s: getattr(self, obj), auto, parse_bool,
                             lambda on: str(int(on)), changed=lambda _settings: self._changed())

    def _changed(self) -> None:
        self._couple()
        self._results.clear()

    def _couple(self) -> None:
        s, c = self.swept, self.channel
        if s.rbw_auto:
            s.rbw = auto_rbw(self.span)
        if s.vbw_auto:
            s.vbw = s.rbw
        if s.sweep_time_auto:
            s.sweep_time = auto_sweep_time(self.span, s.rbw, s.vbw)
        if c.sweep_time_auto:
            c.sweep_time = auto_sweep_time(c.span, c.rbw, c.rbw)

    def _frequency(self, arg: str) -> float:
        return parse_number(arg, minimum=self.config.min_frequency,
                            maximum=self.config.max_frequency)

    def _fit_span(self, span: float) -> float:
        room = 2 * min(self.center - self.config.min_frequency,
                       self.config.max_frequency - self.center)
        return float(np.clip(span, MIN_SPAN, max(room, MIN_SPAN)))

    # -- frequency (shared by the mode) -----------------------------------------------------
    def _register_frequency(self) -> None:
        def center(_s, a):
            self.center = self._frequency(a[0])
            self.span = self._fit_span(self.span)
            self._changed()

        def span(_s, a):
            value = parse_number(a[0], minimum=0, maximum=self.config.max_frequency)
            if value < MIN_SPAN:
                raise ScpiError(-221, "Settings conflict; zero span is not available")
            self.span = self._fit_span(value)
            self._changed()

        def edges(start: float, stop: float) -> None:
            stop = max(stop, start + MIN_SPAN)
            self.center, self.span = (start + stop) / 2, stop - start
            self._changed()

        self.add("[SENSe]:FREQuency:CENTer", center)
        self.add("[SENSe]:FREQuency:SPAN", span)
        self.add("[SENSe]:FREQuency:STARt", lambda s, a: edges(
            self._frequency(a[0]), self.center + self.span / 2))
        self.add("[SENSe]:FREQuency:STOP", lambda s, a: edges(
            self.center - self.span / 2, self._frequency(a[0])))
        self.add("[SENSe]:FREQuency:CENTer?", lambda s, a: format_number(self.center))
        self.add("[SENSe]:FREQuency:SPAN?", lambda s, a: format_number(self.span))
        self.add("[SENSe]:FREQuency:STARt?",
                 lambda s, a: format_number(self.center - self.span / 2))
        self.add("[SENSe]:FREQuency:STOP?",
                 lambda s, a: format_number(self.center + self.span / 2))

    # -- swept SA -------------------------------------------------------------------------
    def _register_swept(self) -> None:
        bandwidth = lambda a: parse_number(a, minimum=1, maximum=8e6)  # noqa: E731
        self._setting("[SENSe]:BANDwidth[:RESolution]", "swept", "rbw", bandwidth,
                      auto="rbw_auto")
        self._setting("[SENSe]:BANDwidth:VIDeo", "swept", "vbw",
                      lambda a: parse_number(a, minimum=1, maximum=50e6), auto="vbw_auto")
        self._setting("[SENSe]:SWEep:POINts", "swept", "points",
                      lambda a: int(parse_number(a, minimum=1, maximum=100001)), str)
        self._setting("[SENSe]:SWEep:TIME", "swept", "sweep_time",
                      lambda a: parse_number(a, minimum=1e-6, maximum=4000),
                      auto="sweep_time_auto")
        self._setting("[SENSe]:AVERage[:STATe]", "swept", "averaging", parse_bool,
                      lambda v: str(int(v)))
        self._setting("[SENSe]:AVERage:COUNt", "swept", "average_count",
                      lambda a: int(parse_number(a, minimum=1, maximum=10000)), str)
        self._setting("[SENSe]:AVERage:TYPE", "swept", "average_type",
                      lambda a: _keyword(a, AVERAGE_TYPES), str)
        self.add("[SENSe]:AVERage:CLEar", lambda s, a: self._results.clear())
        for pattern in ("[SENSe]:DETector[:FUNCtion]", "[SENSe]:DETector:TRACe#"):
            self._setting(pattern, "swept", "detector", lambda a: _keyword(a, DETECTORS), str)
        self.add("READ:SANalyzer#?", lambda s, a: self._swept_data(s[0], read=True))
        self.add("FETCh:SANalyzer#?", lambda s, a: self._swept_data(s[0], read=False))
        self.add("MEASure:SANalyzer#?", lambda s, a: self._measure_query("SAN", s[0]))
        self.add("TRACe[:DATA]?", self._trace_data)

    def _sweep_frequencies(self) -> np.ndarray:
        if self.swept.points == 1:
            return np.array([self.center])
        return np.linspace(self.center - self.span / 2, self.center + self.span / 2,
                           self.swept.points)

    def _measure_swept(self) -> None:
        s = self.swept
        traces = s.average_count if s.averaging else 1
        self.clock.advance(s.sweep_time * traces)
        frequency = self._sweep_frequencies()
        enbw = self.config.noise_bandwidth_factor * s.rbw
        power = (self.chain.psd(frequency) + self._floor()) * enbw
        shown = detect(power, enbw * s.sweep_time / s.points, traces, s.detector,
                       s.average_type, self._rng)
        self._results["SAN"] = np.stack([frequency, _dbm(shown)])

    def _swept_data(self, trace: int, *, read: bool) -> bytes:
        if trace != 1:
            raise ScpiError(-114, "Header suffix out of range")
        pairs = self._result("SAN", read=read)
        return self._block(pairs.T.ravel())

    def _trace_data(self, _s, args) -> bytes:
        name = args[0].strip().upper() if args else ""
        if name not in ("TRACE1", "TRAC1"):
            raise ScpiError(-224, "Illegal parameter value")
        return self._block(self._result("SAN", read=False)[1])

    # -- channel power -------------------------------------------------------------------
    def _register_channel(self) -> None:
        freq = lambda a: parse_number(a, minimum=MIN_SPAN, maximum=self.config.max_frequency)  # noqa: E731
        self._setting("[SENSe]:CHPower:BANDwidth:INTegration", "channel", "integration", freq)
        self._setting("[SENSe]:CHPower:FREQuency:SPAN", "channel", "span", freq)
        self._setting("[SENSe]:CHPower:BANDwidth[:RESolution]", "channel", "rbw",
                      lambda a: parse_number(a, minimum=1, maximum=8e6))
        self._setting("[SENSe]:CHPower:AVERage[:STATe]", "channel", "averaging", parse_bool,
                      lambda v: str(int(v)))
        self._setting("[SENSe]:CHPower:AVERage:COUNt", "channel", "average_count",
                      lambda a: int(parse_number(a, minimum=1, maximum=10000)), str)
        self._setting("[SENSe]:CHPower:SWEep:TIME", "channel", "sweep_time",
                      lambda a: parse_number(a, minimum=1e-6, maximum=4000),
                      auto="sweep_time_auto")
        self.add("READ:CHPower[:CHPower]?", lambda s, a: self._channel_data(read=True))
        self.add("FETCh:CHPower[:CHPower]?", lambda s, a: self._channel_data(read=False))
        self.add("MEASure:CHPower[:CHPower]?", lambda s, a: self._measure_query("CHP", 1))
        self.add("READ:CHPower:DENSity?",
                 lambda s, a: self._block(self._result("CHP", read=True)[1:]))
        self.add("FETCh:CHPower:DENSity?",
                 lambda s, a: self._block(self._result("CHP", read=False)[1:]))

    def _measure_channel(self) -> None:
        c = self.channel
        if c.integration > c.span:
            raise ScpiError(-221, "Settings conflict; integration bandwidth exceeds the span")
        traces = c.average_count if c.averaging else 1
        self.clock.advance(c.sweep_time * traces)
        grid = np.linspace(self.center - c.integration / 2, self.center + c.integration / 2,
                           CHANNEL_GRID)
        true = float(np.trapezoid(self.chain.psd(grid) + self._floor(), grid))
        samples = channel_samples(c.integration, c.span, c.rbw, c.sweep_time, traces,
                                  self.config.noise_bandwidth_factor)
        measured = float(radiometer_power(true, samples, self._rng))
        self._results["CHP"] = np.array([_dbm(measured), _dbm(measured / c.integration)])

    def _channel_data(self, *, read: bool) -> bytes:
        return self._block(self._result("CHP", read=read))

    # -- measurements, system ------------------------------------------------------------
    def _register_system(self) -> None:
        for meas in ("SANalyzer", "CHPower"):
            key = meas[:3].upper()
            self.add(f"CONFigure:{meas}", lambda s, a, m=key: self._configure(m, defaults=True))
            self.add(f"CONFigure:{meas}:NDEFault",
                     lambda s, a, m=key: self._configure(m, defaults=False))
        self.add("CONFigure?", lambda s, a: self.measurement)
        self.add("CONFigure:CATalog?", lambda s, a: '"SAN,CHP"')
        self.add("INSTrument[:SELect]", self._instrument)
        self.add("INSTrument[:SELect]?", lambda s, a: "SA")
        self.add("INSTrument:CATalog?", lambda s, a: '"SA 1"')
        self.add("INITiate:CONTinuous", lambda s, a: setattr(self, "continuous",
                                                             parse_bool(a[0])))
        self.add("INITiate:CONTinuous?", lambda s, a: str(int(self.continuous)))
        self.add("INITiate[:IMMediate]", lambda s, a: self._measure())
        self.add("ABORt", lambda s, a: None)
        self.add("FORMat[:TRACe][:DATA]", self._format)
        self.add("FORMat[:TRACe][:DATA]?", lambda s, a: self.data_format.replace(
            "ASCII,0", "ASC,8"))
        self.add_setting("FORMat:BORDer", lambda _s: self, "byte_order", parse_byte_order, str)
        self.add("UNIT:POWer", self._unit)
        self.add("UNIT:POWer?", lambda s, a: "DBM")
        self.add("SOURce:NOISe[:STATe]", self._noise_source)
        self.add("SOURce:NOISe[:STATe]?", lambda s, a: str(int(self.chain.diode.on)))

    def _noise_source(self, _s, args) -> None:
        self.chain.diode.on = parse_bool(args[0])
        self._results.clear()

    def _configure(self, measurement: str, *, defaults: bool) -> None:
        if defaults and measurement == "SAN":
            self.swept = SweptSettings()
        elif defaults:
            self.channel = ChannelSettings()
        self.measurement = measurement
        self._changed()

    def _measure(self) -> None:
        if self.measurement == "SAN":
            self._measure_swept()
        else:
            self._measure_channel()

    def _measure_query(self, measurement: str, trace: int) -> bytes:
        self._configure(measurement, defaults=True)
        if measurement == "SAN":
            return self._swept_data(trace, read=True)
        return self._channel_data(read=True)

    def _result(self, measurement: str, *, read: bool) -> np.ndarray:
        if self.measurement != measurement:
            raise ScpiError(-221, "Settings conflict; measurement not active, use CONF first")
        if read or (measurement not in self._results and self.continuous):
            self._measure()
        if measurement not in self._results:
            raise ScpiError(-230, "Data corrupt or stale")
        return self._results[measurement]

    def _floor(self) -> float:
        """The analyser's own noise, W/Hz (displayed average noise level)."""
        return 1e-3 * 10 ** (self.config.danl_dbm_hz / 10)

    def _instrument(self, _s, args) -> None:
        if args[0].strip().upper() not in ("SA", '"SA"'):
            raise ScpiError(-224, "Illegal parameter value; only SA mode is licensed")

    def _format(self, _s, args) -> None:
        token = ",".join(args).replace(" ", "").upper()
        if token not in _FORMATS:
            raise ScpiError(-224, "Illegal parameter value")
        self.data_format = _FORMATS[token]

    @staticmethod
    def _unit(_s, args) -> None:
        if args[0].strip().upper() != "DBM":
            raise ScpiError(-224, "Illegal parameter value; the twin reports dBm only")

    def _block(self, values: np.ndarray) -> bytes:
        return ieee_block(np.asarray(values, dtype=float).ravel(), self.data_format,
                          self.byte_order)


__all__ = ["ChannelSettings", "N9030Device", "SweptSettings"]
