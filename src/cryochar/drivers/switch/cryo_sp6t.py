"""Controller of latching cryogenic SP6T switches (SCPI over TCP, LF-terminated).

Channel ``100 p + t`` is throw ``t`` (1..6) of switch ``p`` (the switch on VNA
port ``p``), as in Keysight's switch-driver dialect: ``ROUT:CLOS (@105)``
pulses switch 1 to throw 5, ``ROUT:CLOS? (@101:106)`` reads its six position
indicators, ``DIAG:COUN? (@1)`` counts its actuation pulses. A latching switch
can miss a pulse, so every actuation is verified by reading the indicators back;
a switch that did not move raises :class:`InstrumentError` (a sequence may retry).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from qcodes.validators import Ints

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError
from cryochar.drivers.base import ScpiInstrument

THROWS = range(1, 7)


class CryoSP6TOptions(BaseModel):
    """Station ``options`` of the switch controller: how many switches, and the wiring."""

    model_config = ConfigDict(extra="forbid")
    switches: int = Field(2, ge=1, le=9, description="switches on the controller (ports)")
    throws: dict[str, int] = Field(
        default_factory=lambda: {"short": 1, "open": 2, "load": 3, "thru": 4, "dut": 5,
                                 "verification": 6},
        description="name of what hangs off a throw -> throw number 1..6")

    @field_validator("throws")
    @classmethod
    def _throw_numbers(cls, value: dict[str, int]) -> dict[str, int]:
        if any(number not in THROWS for number in value.values()):
            raise ValueError("throws are numbered 1..6")
        if len(set(value.values())) != len(value):
            raise ValueError("two names share a throw")
        return value


class CryoSP6T(ScpiInstrument):
    """Latching SP6T switches as an :class:`~cryochar.drivers.protocols.RFSwitch`."""

    default_terminator = "\n"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: CryoSP6TOptions | None = None, **kwargs: Any):
        super().__init__(name, address, **kwargs)
        self.options = options or CryoSP6TOptions()
        for port in range(1, self.options.switches + 1):
            self.add_parameter(f"port{port}_position", label=f"Switch {port} closed throw",
                               get_cmd=partial(self.position, port),
                               set_cmd=partial(self.select, port), vals=Ints(1, 6))
            self.add_parameter(f"port{port}_actuations", label=f"Switch {port} pulses",
                               get_cmd=partial(self.actuation_count, port))
        self.add_parameter("actuation_time", get_cmd="ROUT:ACT:TIME?", get_parser=float,
                           unit="s", label="Actuation time")
        self.connect_message()

    # -- capability: RFSwitch -----------------------------------------------------------
    def select(self, port: int, throw: int | str) -> None:
        """Actuate switch ``port`` to ``throw`` (number or name), then verify the read-back."""
        number = self.throw_number(throw)
        command = f"ROUT:CLOS (@{self._channel(port, number)})"
        self.write_checked(command)
        found = self.position(port)
        if found != number:
            raise InstrumentError(
                f"switch {port} did not move to throw {number}; its indicators show "
                f"{f'throw {found}' if found else 'no throw closed'}",
                where=f"{self.name}: {command!r}",
                fix="actuate again (latching switches can miss a pulse); if it persists, "
                    "check the drive current and the switch's wiring")

    def position(self, port: int) -> int:
        """Closed throw of switch ``port`` from its position indicators; 0 when none is."""
        first = self._channel(port, 1)
        command = f"ROUT:CLOS? (@{first}:{first + 5})"
        reply = self.ask(command)
        try:
            states = [int(value) for value in reply.strip().split(",")]
        except ValueError:
            states = []
        if len(states) != 6 or set(states) - {0, 1} or sum(states) > 1:
            raise InstrumentError(f"unexpected position read-back {reply!r}",
                                  where=f"{self.name}: {command!r}",
                                  fix="check the controller's switch type (SP6T expected)")
        return states.index(1) + 1 if 1 in states else 0

    def actuation_count(self, port: int) -> int:
        """Actuation pulses the controller has sent to switch ``port``."""
        self._channel(port, 1)
        return int(self.ask(f"DIAG:COUN? (@{port})"))

    # -- more -------------------------------------------------------------------------------
    def open(self, port: int) -> None:
        """Open switch ``port``'s closed throw (no throw closed afterwards), verified."""
        closed = self.position(port)
        if closed:
            command = f"ROUT:OPEN (@{self._channel(port, closed)})"
            self.write_checked(command)
            if self.position(port):
                raise InstrumentError(f"switch {port} did not open",
                                      where=f"{self.name}: {command!r}", fix="open it again")

    def throw_number(self, throw: int | str) -> int:
        """Throw number of a name in ``options.throws`` (or a number 1..6 as it is)."""
        if isinstance(throw, str):
            if throw not in self.options.throws:
                raise ValueError(f"no throw named {throw!r}; known: "
                                 f"{', '.join(self.options.throws)}")
            return self.options.throws[throw]
        if isinstance(throw, bool) or not isinstance(throw, int) or throw not in THROWS:
            raise ValueError(f"throw must be 1..6 or a name, not {throw!r}")
        return throw

    def _channel(self, port: int, throw: int) -> int:
        if isinstance(port, bool) or not isinstance(port, int) or not (
                1 <= port <= self.options.switches):
            raise ValueError(f"port must be 1..{self.options.switches}, not {port!r}")
        return 100 * port + throw


__all__ = ["CryoSP6T", "CryoSP6TOptions"]
