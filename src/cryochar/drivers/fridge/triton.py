"""Oxford Instruments Triton dilution refrigerator (TCP port 33576, LF terminated).

The Triton System Control software answers every command with one ``STAT:``
line: ``READ:DEV:T8:TEMP:SIG:TEMP`` -> ``STAT:DEV:T8:TEMP:SIG:TEMP:0.0123K``,
``SET:DEV:T8:TEMP:LOOP:TSET:0.05`` -> ``STAT:SET:DEV:T8:TEMP:LOOP:TSET:0.05:VALID``
(``...:INVALID`` when it cannot apply a value, ``...:NOT_FOUND`` for a device
it does not have). This driver checks that each reply answers the command sent,
parses values with their units (``K``, ``mA``, ``uW``) into SI, and verifies
every setting by reading it back. Why not qcodes' ``OxfordTriton``: it is an
``IPInstrument`` (no pyvisa, so no pyvisa-sim file and no shared reconnect), it
probes all 16 channels and the magnet on connect, and it does not check
``VALID``/``INVALID`` replies.

The Triton serves ONE client at a time: a reconnect closes the old connection
before opening the new one, and a second program connected to the same Triton
gets :class:`CommunicationError` on its first command.
"""

from __future__ import annotations

import contextlib
import math
import re
import select
import socket
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import CommunicationError, InstrumentError
from cryochar.core.units import Current, parse_quantity
from cryochar.drivers.base import (
    TRANSIENT,
    CryocharVisaInstrument,
    LimitValidator,
    check_mxc_setpoint,
    closed_on_failure,
)
from cryochar.drivers.temperature_control import (
    add_fridge_parameters,
    check_options_limits,
    check_readback,
    check_stage_channels,
    safe_state_on_failure,
)

T = TypeVar("T")

HEATER_RANGES = (31.6e-6, 100e-6, 316e-6, 1e-3, 3.16e-3, 10e-3, 31.6e-3, 100e-3)
"""Full-scale currents of the MC heater ranges, A (the Triton sets them in mA)."""


class TritonOptions(BaseModel):
    """Station ``options`` of a Triton."""

    model_config = ConfigDict(extra="forbid")
    channels: dict[str, str] = Field(
        default_factory=lambda: {"pt1": "T1", "pt2": "T2", "still": "T5", "cold_plate": "T6",
                                 "mxc": "T8"},
        description="stage name -> thermometer T1..T16; the 'mxc' one runs the loop")
    heater: str = Field("H1", pattern=r"^H\d{1,2}$", description="the loop's heater")
    heater_range: Current = Field(3.16e-3, description=(
        "MC heater range used for control, A (31.6 uA ... 100 mA)"))
    heater_resistance: float = Field(100.0, gt=0, le=2000, description="MC heater, ohm")

    def check_limits(self, limits: SafetyLimits) -> None:
        """Raise ``ValueError`` when the heater range can exceed ``max_heater_power``."""
        power = self.heater_range**2 * self.heater_resistance
        if limits.max_heater_power is not None and power > limits.max_heater_power:
            raise ValueError(
                f"heater range {self.heater_range * 1e3:g} mA allows {power:.3g} W, above the "
                f"station limit max_heater_power {limits.max_heater_power:.3g} W")

    def model_post_init(self, _context: Any) -> None:
        """Check the channel map and the heater range."""
        check_stage_channels(self.channels, lambda t: bool(re.fullmatch(r"T(?:[1-9]|1[0-6])", t)),
                             "Triton thermometers are named T1..T16")
        if not any(math.isclose(self.heater_range, r, rel_tol=1e-3) for r in HEATER_RANGES):
            raise ValueError("heater_range must be one of 31.6 uA, 100 uA, 316 uA, 1 mA, "
                             "3.16 mA, 10 mA, 31.6 mA, 100 mA")


def _one_client_error(where: str | None) -> CommunicationError:
    return CommunicationError(
        "the Triton closed the connection: it serves one client at a time", where=where,
        fix="close the other program (or qcodes/cryochar session) connected to this Triton")


def parse_stat(reply: str, path: str) -> str:
    """The value of a ``STAT:<path>:<value>`` reply to ``READ:<path>``.

    Raises ``LookupError`` for ``NOT_FOUND``/``INVALID`` and ``ValueError`` for a
    reply that does not answer ``path``.
    """
    prefix = f"STAT:{path}:"
    if not reply.startswith(prefix):
        raise ValueError(f"reply {reply!r} does not answer READ:{path}")
    value = reply[len(prefix):]
    if value in ("NOT_FOUND", "INVALID"):
        raise LookupError(value)
    return value


class Triton(CryocharVisaInstrument):
    """Oxford Instruments Triton as a
    :class:`~cryochar.drivers.protocols.TemperatureController`."""

    default_terminator = "\n"

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: TritonOptions | None = None, **kwargs: Any):
        limits = limits or SafetyLimits()
        options = options or TritonOptions()
        check_options_limits(name, options, limits, field="heater_range",
                             fix="choose a lower heater range")
        try:
            super().__init__(name, address, **kwargs)
        except ConnectionResetError as exc:  # closed at once: another client holds the Triton
            with contextlib.suppress(Exception):
                self.close()
            raise _one_client_error(f"{name} at {address}") from exc
        self.limits = limits
        self.options = options
        self._loop = f"DEV:{options.channels['mxc']}:TEMP:LOOP"
        self._power = f"DEV:{options.heater}:HTR:SIG:POWR"
        with closed_on_failure(self):
            self._add_parameters()
            self.connect_message()

    def _add_parameters(self) -> None:
        add_fridge_parameters(
            self, {stage: partial(self.read, f"DEV:{device}:TEMP:SIG:TEMP", "K")
                   for stage, device in self.options.channels.items()},
            read_setpoint=partial(self.read, f"{self._loop}:TSET", "K"),
            set_setpoint=self.set_mxc_temperature, max_setpoint=40, limits=self.limits)
        self.add_parameter("loop_mode", label="MXC loop", get_cmd=partial(
            self.read, f"{self._loop}:MODE"))
        self.add_parameter("heater_range", unit="A", label="MC heater range",
                           get_cmd=partial(self.read, f"{self._loop}:RANGE", "A"))
        self.add_parameter(
            "heater_power", unit="W", label="MC heater power",
            get_cmd=partial(self.read, self._power, "W"),
            set_cmd=lambda value: self.write_setting(self._power, f"{value * 1e6:.6g}"),
            vals=LimitValidator(0, 1, limit=self.limits.max_heater_power,
                                what="heater power", unit="W"))

    # -- protocol ------------------------------------------------------------------------
    def get_idn(self) -> dict[str, str | None]:
        """``IDN:OXFORD INSTRUMENTS:<model>:<serial>:<firmware>`` as a dict."""
        parts = [p.strip() for p in self.ask("*IDN?").split(":", 4)]
        if len(parts) != 5 or parts[0] != "IDN":
            raise CommunicationError(f"unexpected *IDN? reply {':'.join(parts)!r}",
                                     where=f"{self.name}: '*IDN?'",
                                     fix="check the address points at the Triton's port")
        return dict(zip(("vendor", "model", "serial", "firmware"), parts[1:], strict=True))

    def read(self, path: str, unit: str | None = None) -> Any:
        """``READ:<path>``: the value as text, or as a float in SI ``unit`` if given."""
        command = f"READ:{path}"
        reply = self.ask(command)
        try:
            value = parse_stat(reply, path)
            return parse_quantity(value, unit) if unit else value
        except LookupError as exc:
            raise InstrumentError(f"the Triton answered {exc.args[0]}",
                                  where=f"{self.name}: {command!r}",
                                  fix="check the channel names in the station options") from exc
        except ValueError as exc:
            raise CommunicationError(f"unexpected reply {reply!r}", where=f"{self.name}: "
                                     f"{command!r}", fix="check the connection") from exc

    def write_setting(self, path: str, value: str) -> None:
        """``SET:<path>:<value>``; raise unless the Triton answers ``...:VALID``."""
        command = f"SET:{path}:{value}"
        reply = self.ask(command)
        if reply.endswith((":INVALID", ":NOT_FOUND")):
            raise InstrumentError(f"the Triton refused it ({reply.rsplit(':', 1)[1]})",
                                  where=f"{self.name}: {command!r}",
                                  fix="check the value against the Triton's range")
        # the echoed value may be reformatted: check path and verdict, then read back
        if not (reply.startswith(f"STAT:SET:{path}:") and reply.endswith(":VALID")):
            raise CommunicationError(f"unexpected reply {reply!r}",
                                     where=f"{self.name}: {command!r}", fix="check the connection")

    def recover(self, command: str, action: Callable[[], T],
                transient: tuple[type[BaseException], ...] = TRANSIENT) -> T:
        """Reconnect and retry once (base behaviour); a failure on a connection the Triton
        has closed is reported as the one-client rule, not as a timeout."""
        try:
            return super().recover(command, action, transient)
        except InstrumentError as exc:
            if self._peer_closed():
                raise _one_client_error(exc.where) from exc
            raise

    def _peer_closed(self) -> bool:
        """True when the Triton has closed our socket (pyvisa-py raw sockets only)."""
        sock = self._raw_socket()
        if sock is None:
            return False
        try:
            readable = select.select([sock], [], [], 0)[0]
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _verify(self, path: str, expected: Any, unit: str | None = None) -> None:
        check_readback(self.name, path, self.read(path, unit), expected, rel_tol=1e-3,
                       abs_tol=1e-6, fix="check the Triton's loop settings")

    # -- capability: TemperatureController -------------------------------------------------
    def stage_temperatures(self) -> dict[str, float]:
        """Latest reading of each configured stage, K."""
        return {stage: self.read(f"DEV:{device}:TEMP:SIG:TEMP", "K")
                for stage, device in self.options.channels.items()}

    def mxc_temperature(self) -> float:
        """Latest mixing-chamber reading, K."""
        return self.read(f"DEV:{self.options.channels['mxc']}:TEMP:SIG:TEMP", "K")

    def set_mxc_temperature(self, temperature: float) -> None:
        """Closed-loop control of the MXC at ``temperature`` K (limit-checked first)."""
        check_mxc_setpoint(self.name, temperature, self.limits)
        loop, heater_range = self._loop, self.options.heater_range
        with safe_state_on_failure(self.heater_off):
            self.write_setting(f"{loop}:HTR", self.options.heater)
            self.write_setting(f"{loop}:TSET", f"{temperature:.6g}")
            self._verify(f"{loop}:TSET", float(temperature), "K")
            self.write_setting(f"{loop}:RANGE", f"{heater_range * 1e3:g}")
            self._verify(f"{loop}:RANGE", heater_range, "A")
            self.write_setting(f"{loop}:MODE", "ON")  # power flows only now
            self._verify(f"{loop}:MODE", "ON")

    def heater_off(self) -> None:
        """Loop off and zero open-loop power (the safe state), verified by read-back."""
        self.write_setting(f"{self._loop}:MODE", "OFF")
        self.write_setting(self._power, "0")
        self._verify(f"{self._loop}:MODE", "OFF")


__all__ = ["HEATER_RANGES", "Triton", "TritonOptions", "parse_stat"]
