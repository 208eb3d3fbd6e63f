"""Controller of the two cryogenic SP6T switches (SCPI over TCP, LF-terminated).

A documented SCPI dialect in the style of Keysight's switch drivers (11713C,
34945A): channel ``100 p + t`` is throw ``t`` (1..6) of switch ``p`` (1..2).

==============================  ====================================================
``ROUTe:CLOSe (@105,204)``      pulse each switch to the throw (one per switch)
``ROUTe:CLOSe? (@101:106)``     1/0 per channel, from the position indicators
``ROUTe:OPEN (@105)``           pulse that throw open if it is closed
``ROUTe:OPEN:ALL``              open every switch
``ROUTe:OPEN? (@101:106)``      0/1 per channel
``DIAGnostic:COUNt? (@1,2)``    actuation pulses sent to each switch
``DIAGnostic:RELay:CYCLes? ..`` pulses sent to each throw (channel list)
``ROUTe:ACTuation:TIME?``       pulse + settling time, s
==============================  ====================================================

plus ``*IDN?``, ``*RST`` (the latching switches stay where they are), ``*CLS``,
``*OPC?`` and ``SYST:ERR?``. Each pulse takes the actuation time on the
testbed clock and dissipates its energy on the MXC. A pulse can fail (fault
hook ``failure_probability``): the indicators then still show the old throw.
"""

from __future__ import annotations

import re

from cryochar.sim.clock import SimClock
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.physics.switch import PORTS, THROWS, CryoSwitches
from cryochar.sim.servers.scpi import ScpiDevice, ScpiError, format_number

_LIST = re.compile(r"^\(@\s*([0-9:,\s]+)\)$")


def parse_channel_list(args: list[str]) -> list[int]:
    """Numbers of a SCPI channel list ``(@101,103:105)`` (split at commas by the parser)."""
    match = _LIST.fullmatch(",".join(args).strip())
    if not match:
        raise ScpiError(-104, "Data type error; expected a channel list (@...)")
    numbers: list[int] = []
    for item in match.group(1).split(","):
        first, _, last = item.strip().partition(":")
        if not first.strip().isdigit() or (last and not last.strip().isdigit()):
            raise ScpiError(-104, "Data type error; expected a channel list (@...)")
        lo, hi = int(first), int(last or first)
        if hi < lo or hi - lo > 1000:
            raise ScpiError(-222, "Data out of range")
        numbers.extend(range(lo, hi + 1))
    return numbers


def _channels(args: list[str]) -> list[tuple[int, int]]:
    pairs = []
    for channel in parse_channel_list(args):
        port, throw = divmod(channel, 100)
        if port not in PORTS or throw not in THROWS:
            raise ScpiError(-222, f"Data out of range; no channel {channel}")
        pairs.append((port, throw))
    return pairs


class SwitchDevice(ScpiDevice):
    """The twin's switch controller, acting on :class:`CryoSwitches`."""

    reply_terminator = b"\n"

    def __init__(self, switches: CryoSwitches, clock: SimClock, fridge: Fridge | None = None):
        super().__init__()
        self.switches = switches
        self.clock = clock
        self.fridge = fridge
        c = switches.config
        self.identity = f"cryochar,{c.model},{c.serial},{c.firmware}"
        self.add("ROUTe:CLOSe", lambda s, a: self._close(_channels(a)))
        self.add("ROUTe:CLOSe?", lambda s, a: self._states(_channels(a), closed=True))
        self.add("ROUTe:OPEN", lambda s, a: self._open(_channels(a)))
        self.add("ROUTe:OPEN:ALL", lambda s, a: self._open(
            [(p, t) for p, t in self.switches.positions.items() if t]))
        self.add("ROUTe:OPEN?", lambda s, a: self._states(_channels(a), closed=False))
        self.add("ROUTe:ACTuation:TIME?", lambda s, a: format_number(c.actuation_time))
        self.add("DIAGnostic:COUNt?", lambda s, a: self._counts(a))
        self.add("DIAGnostic:RELay:CYCLes?", lambda s, a: ",".join(
            str(self.switches.throw_pulses[pair]) for pair in _channels(a)))

    def _close(self, pairs: list[tuple[int, int]]) -> None:
        ports = [port for port, _ in pairs]
        if len(set(ports)) != len(ports):
            raise ScpiError(-221, "Settings conflict; one throw per switch")
        for port, throw in pairs:
            self.switches.actuate(port, throw)
            self._pulse_time()

    def _open(self, pairs: list[tuple[int, int]]) -> None:
        for port, throw in pairs:
            if self.switches.positions[port] == throw:
                self.switches.open(port)
                self._pulse_time()

    def _pulse_time(self) -> None:
        """The pulse heats the MXC and takes the actuation time."""
        c = self.switches.config
        if self.fridge is not None and c.actuation_heat > 0 and c.actuation_time > 0:
            self.fridge.add_load(self.clock.now(), c.actuation_time,
                                 c.actuation_heat / c.actuation_time)
        self.clock.advance(c.actuation_time)

    def _states(self, pairs: list[tuple[int, int]], *, closed: bool) -> str:
        return ",".join(str(int((self.switches.positions[p] == t) == closed)) for p, t in pairs)

    def _counts(self, args: list[str]) -> str:
        ports = parse_channel_list(args)
        if any(port not in PORTS for port in ports):
            raise ScpiError(-222, "Data out of range; switches are 1 and 2")
        return ",".join(str(self.switches.pulses[port]) for port in ports)


__all__ = ["SwitchDevice", "parse_channel_list"]
