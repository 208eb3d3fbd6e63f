"""Keithley 2400-series / 2450 SourceMeter emulation (SCPI), biasing the twin's SNTJ.

Serves the SCPI subset of the reference manuals that a bias supply needs:
``[SOUR]:FUNC VOLT|CURR``, ``[SOUR]:VOLT[:LEV]``, ``[SOUR]:CURR[:LEV]``,
``[SENS]:FUNC "CURR"``, ``OUTP[:STAT] ON|OFF``, ``READ?``, ``MEAS[:<func>]?``,
``SYST:ERR?`` (``0,"No error"``). Compliance differs by model, as on the
instruments: the 2400 uses ``[SENS]:CURR:PROT`` / ``[SENS]:VOLT:PROT`` and
``READ?`` returns the ``FORM:ELEM`` elements (default VOLT,CURR,RES,TIME,STAT);
the 2450 (SCPI command set) uses ``[SOUR]:VOLT:ILIM`` / ``[SOUR]:CURR:VLIM``
and ``READ?`` returns the one measured value. ``READ?`` with the output off
queues error 803 and returns nothing; ``MEAS?`` switches the output on first.

The load is the junction: I = V / R, clamped by the compliance (then V = I R).
The junction sees the source's operating point while the output is on, 0 V
when it is off. A reading takes NPLC / 50 Hz of testbed time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.config import SntjConfig
from cryochar.sim.physics.noise_sources import ShotNoiseJunction
from cryochar.sim.servers.scpi import ScpiDevice, ScpiError, parse_bool, parse_number, unquote

LINE_FREQUENCY = 50.0  # Hz: one power-line cycle is 20 ms
OVERFLOW = 9.91e37  # what the 2400 returns for an element it does not measure
_ELEMENTS = ("VOLT", "CURR", "RES", "TIME", "STAT")
_IDENTITY = {
    "2400": "KEITHLEY INSTRUMENTS INC.,MODEL 2400,{serial},C32   Oct  4 2010 14:20:11/A02  /S/K",
    "2450": "KEITHLEY INSTRUMENTS,MODEL 2450,{serial},1.7.12b"}


@dataclass
class SmuState:
    """Source and measure settings (``*RST`` defaults)."""

    function: str = "VOLT"
    voltage: float = 0.0
    current: float = 0.0
    current_limit: float = 105e-6  # compliance while sourcing voltage, A
    voltage_limit: float = 21.0  # compliance while sourcing current, V
    output: bool = False
    sense: str = "CURR"
    elements: tuple[str, ...] = _ELEMENTS
    nplc: float = 1.0


def _accept(parse):
    """A handler that validates one argument with ``parse`` and changes nothing."""
    def handler(_s, args) -> None:
        parse(args[0])

    return handler


def _fmt(value: float) -> str:
    return f"{value:+.6E}"


class Keithley2400Device(ScpiDevice):
    """The twin's SourceMeter (model 2400 or 2450) with the SNTJ on its output."""

    reply_terminator = b"\n"

    def __init__(self, config: SntjConfig, junction: ShotNoiseJunction, clock: SimClock,
                 rng: np.random.Generator):
        super().__init__()
        self.model = config.smu_model
        self.junction = junction
        self.clock = clock
        self._rng = rng
        self._t0 = clock.now()
        self.identity = _IDENTITY[self.model].format(serial=config.smu_serial)
        self.state = SmuState()
        self._register()

    def reset(self) -> None:
        """``*RST``: voltage source at 0 V, output off."""
        self.state = SmuState()
        self._apply()

    def _next_error(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f'{code},"{message}"'

    # -- physics --------------------------------------------------------------------
    def operating_point(self) -> tuple[float, float, bool]:
        """(voltage V, current A, in compliance) at the output terminals."""
        s = self.state
        if not s.output:
            return 0.0, 0.0, False
        r = self.junction.resistance
        if s.function == "VOLT":
            voltage, current = s.voltage, s.voltage / r
            if abs(current) > s.current_limit:
                current = float(np.sign(current)) * s.current_limit
                return current * r, current, True
            return voltage, current, False
        current, voltage = s.current, s.current * r
        if abs(voltage) > s.voltage_limit:
            voltage = float(np.sign(voltage)) * s.voltage_limit
            return voltage, voltage / r, True
        return voltage, current, False

    def _apply(self) -> None:
        self.junction.voltage = self.operating_point()[0]

    def _reading(self) -> tuple[float, float, bool]:
        self.clock.advance(self.state.nplc / LINE_FREQUENCY)
        voltage, current, compliance = self.operating_point()
        noise = self._rng.standard_normal(2)
        return (voltage * (1 + 1e-6 * noise[0]) + 1e-7 * noise[0],
                current * (1 + 1e-5 * noise[1]) + 1e-12 * noise[1], compliance)

    # -- commands -------------------------------------------------------------------
    def _set(self, attr: str, value) -> None:
        setattr(self.state, attr, value)
        self._apply()

    def _register(self) -> None:
        s = lambda: self.state  # noqa: E731
        volts = lambda a: parse_number(a, minimum=-210, maximum=210)  # noqa: E731
        amps = lambda a: parse_number(a, minimum=-1.05, maximum=1.05)  # noqa: E731
        self.add("[SOURce]:FUNCtion[:MODE]", lambda x, a: self._set("function", self._func(a[0])))
        self.add("[SOURce]:FUNCtion[:MODE]?", lambda x, a: s().function)
        self.add("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]",
                 lambda x, a: self._set("voltage", volts(a[0])))
        self.add("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?",
                 lambda x, a: _fmt(s().voltage))
        self.add("[SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]",
                 lambda x, a: self._set("current", amps(a[0])))
        self.add("[SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]?",
                 lambda x, a: _fmt(s().current))
        for node in ("VOLTage", "CURRent"):  # ranges are accepted; the twin is exact
            self.add(f"[SOURce]:{node}:RANGe", _accept(parse_number))
            self.add(f"[SOURce]:{node}:RANGe:AUTO", _accept(parse_bool))
            self.add(f"[SENSe]:{node}[:DC]:RANGe[:UPPer]", _accept(parse_number))
            self.add(f"[SENSe]:{node}[:DC]:RANGe:AUTO", _accept(parse_bool))
            self.add(f"[SENSe]:{node}[:DC]:NPLCycles", lambda x, a: self._set(
                "nplc", parse_number(a[0], minimum=0.01, maximum=10)))
            self.add(f"[SENSe]:{node}[:DC]:NPLCycles?", lambda x, a: _fmt(s().nplc))
        self.add("[SENSe]:FUNCtion[:ON]", lambda x, a: self._set("sense", self._func(a[0])))
        self.add("[SENSe]:FUNCtion[:ON]?", lambda x, a: f'"{s().sense}:DC"')
        self.add("OUTPut[:STATe]", lambda x, a: self._set("output", parse_bool(a[0])))
        self.add("OUTPut[:STATe]?", lambda x, a: str(int(s().output)))
        self.add("READ?", lambda x, a: self._read())
        self.add("MEASure[:CURRent][:DC]?", lambda x, a: self._measure("CURR"))
        self.add("MEASure:VOLTage[:DC]?", lambda x, a: self._measure("VOLT"))
        if self.model == "2400":
            self._register_2400(amps, volts)
        else:
            self._register_2450(amps, volts)

    def _register_limits(self, current: str, voltage: str, tripped: str, amps, volts) -> None:
        """The compliance commands of a dialect: the ``current`` limit (sourcing voltage),
        the ``voltage`` limit (sourcing current), both magnitudes, and ``tripped?``."""
        self.add(current, lambda x, a: self._set("current_limit", abs(amps(a[0]))))
        self.add(f"{current}?", lambda x, a: _fmt(self.state.current_limit))
        self.add(voltage, lambda x, a: self._set("voltage_limit", abs(volts(a[0]))))
        self.add(f"{voltage}?", lambda x, a: _fmt(self.state.voltage_limit))
        self.add(tripped, lambda x, a: str(int(self.operating_point()[2])))

    def _register_2400(self, amps, volts) -> None:
        self._register_limits("[SENSe]:CURRent[:DC]:PROTection[:LEVel]",
                              "[SENSe]:VOLTage[:DC]:PROTection[:LEVel]",
                              "[SENSe]:CURRent[:DC]:PROTection:TRIPped?", amps, volts)
        self.add("FORMat:ELEMents[:SENSe#]", self._elements)
        self.add("FORMat:ELEMents[:SENSe#]?", lambda x, a: ",".join(self.state.elements))
        self.add("TRIGger:COUNt", lambda x, a: None if int(a[0]) == 1 else self._one_only())
        self.add("ARM:COUNt", lambda x, a: None if int(a[0]) == 1 else self._one_only())

    def _register_2450(self, amps, volts) -> None:
        self._register_limits("[SOURce]:VOLTage:ILIMit[:LEVel]", "[SOURce]:CURRent:VLIMit[:LEVel]",
                              "[SOURce]:VOLTage:ILIMit[:LEVel]:TRIPped?", amps, volts)

    @staticmethod
    def _one_only() -> None:
        raise ScpiError(-221, "Settings conflict; the twin takes one reading per trigger")

    @staticmethod
    def _func(arg: str) -> str:
        token = unquote(arg).upper().removesuffix(":DC")
        for name in ("VOLTAGE", "CURRENT"):
            if len(token) >= 4 and name.startswith(token):
                return name[:4]
        raise ScpiError(-224, "Illegal parameter value")

    def _elements(self, _s, args) -> None:
        names = tuple(self._element(a) for a in args)
        if not names:
            raise ScpiError(-109, "Missing parameter")
        self.state.elements = names

    @staticmethod
    def _element(arg: str) -> str:
        token = arg.strip().upper()
        for name in ("VOLTAGE", "CURRENT", "RESISTANCE", "TIME", "STATUS"):
            if len(token) >= 3 and name.startswith(token):
                return name[:4] if name != "RESISTANCE" else "RES"
        raise ScpiError(-224, "Illegal parameter value")

    def _read(self) -> str:
        if not self.state.output:
            raise ScpiError(803, "Output disabled")
        voltage, current, compliance = self._reading()
        if self.model == "2450":
            return _fmt(current if self.state.sense == "CURR" else voltage)
        values = {"VOLT": voltage, "CURR": current, "RES": OVERFLOW,
                  "TIME": self.clock.now() - self._t0, "STAT": 8.0 if compliance else 0.0}
        return ",".join(_fmt(values[name]) for name in self.state.elements)

    def _measure(self, function: str) -> str:
        self._set("sense", function)
        self._set("output", True)
        return self._read()


__all__ = ["Keithley2400Device", "SmuState"]
