"""Shared driver behaviour: fault conversion, error-queue checks, safety limits.

Every driver is an ordinary qcodes ``VisaInstrument``. On top of it:

* pyvisa/socket failures (timeouts, dropped connections, undecodable replies)
  trigger one reconnect and one retry of the command; a second failure becomes
  :class:`InstrumentTimeout` or :class:`CommunicationError` naming the
  instrument and the command. Survived faults are counted in ``faults``;
* SCPI drivers read ``SYST:ERR?`` after settings and raise on an error;
* limits from the station file are qcodes validators that raise
  :class:`InterlockError` before the command is sent.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import pyvisa
import pyvisa.constants
from qcodes.instrument import VisaInstrument
from qcodes.validators import Numbers

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    InstrumentError,
    InstrumentTimeout,
    InterlockError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (pyvisa.errors.VisaIOError, OSError, UnicodeDecodeError)


def convert_visa_error(instrument: str, command: str, exc: BaseException) -> InstrumentError:
    """The cryochar error for a failure while sending ``command``."""
    where = f"{instrument}: {command!r}"
    if isinstance(exc, UnicodeDecodeError | ValueError):
        garbled = CommunicationError(
            "garbled reply", where=where,
            fix="check the cabling and the instrument's interface settings")
        garbled.kind = "garbled"
        return garbled
    if isinstance(exc, pyvisa.errors.VisaIOError) and exc.error_code == (
            pyvisa.constants.StatusCode.error_timeout):
        return InstrumentTimeout("no reply in time", where=where,
                                 fix="check the instrument is on and the address is right")
    return CommunicationError(f"communication failed ({exc})", where=where,
                              fix="check the connection; the instrument may have dropped it")


class LimitValidator(Numbers):
    """A range check whose upper end is a safety limit: exceeding it is an interlock."""

    def __init__(self, min_value: float, max_value: float, *, limit: float | None,
                 what: str, unit: str):
        super().__init__(min_value, max_value if limit is None else min(max_value, limit))
        self._limit = limit
        self._what = what
        self._unit = unit

    def validate(self, value: Any, context: str = "") -> None:
        """Raise :class:`InterlockError` above the limit, ``ValueError`` outside the range."""
        if self._limit is not None and isinstance(value, int | float) and value > self._limit:
            raise InterlockError(
                f"{self._what} {value:g} {self._unit} exceeds the station limit "
                f"{self._limit:g} {self._unit}; not sent", where=context or None,
                fix="lower the value or raise the limit in the station file")
        super().validate(value, context)


def check_mxc_setpoint(name: str, temperature: float, limits: SafetyLimits) -> None:
    """Refuse (InterlockError, before sending) a MXC setpoint above the station's
    ``max_mxc_temperature`` or not above 0 K."""
    limit = limits.max_mxc_temperature
    if limit is not None and temperature > limit:
        raise InterlockError(
            f"MXC setpoint {temperature:g} K exceeds the station limit {limit:g} K; not sent",
            where=name, fix="lower the setpoint or raise max_mxc_temperature")
    if not temperature > 0:
        raise InterlockError(f"MXC setpoint {temperature:g} K is not a temperature above "
                             "0 K; not sent", where=name, fix="give the setpoint in K")


class CryocharVisaInstrument(VisaInstrument):
    """Base of cryochar's drivers: quiet connect, reconnect-and-retry, converted faults."""

    def __init__(self, name: str, address: str, **kwargs: Any):
        self._visalib = kwargs.get("visalib")
        self.faults: Counter[str] = Counter()
        super().__init__(name, address, **kwargs)

    def connect_message(self, idn_param: str = "IDN", begin_time: float | None = None) -> None:
        """Log (not print) the connection, so ``--json`` output stays clean."""
        idn = self.parameters[idn_param].get()  # cached: snapshot(update=False) keeps it
        log.info("connected to %s: %s", self.name, idn)

    def reconnect(self) -> None:
        """Close and reopen the connection, keeping terminators and timeout."""
        handle = self.visa_handle
        settings = (handle.read_termination, handle.write_termination, handle.timeout)
        resource = handle.resource_name
        with contextlib.suppress(Exception):  # don't leak the old socket
            handle.close()
        self.set_address(resource, self._visalib)
        (self.visa_handle.read_termination, self.visa_handle.write_termination,
         self.visa_handle.timeout) = settings
        self._tune_socket()
        log.info("%s: reconnected to %s", self.name, resource)

    def recover(self, command: str, action: Callable[[], T],
                transient: tuple[type[BaseException], ...] = TRANSIENT) -> T:
        """Run ``action``; on a transient fault reconnect once and retry once."""
        try:
            return action()
        except transient as exc:
            first = convert_visa_error(self.name, command, exc)
        try:
            self.reconnect()
            result = action()
        except transient as exc:
            raise convert_visa_error(self.name, command, exc) from exc
        except Exception as exc:
            raise CommunicationError(f"reconnect failed after {first.message} ({exc})",
                                     where=first.where, fix=first.fix) from exc
        self.faults[first.kind] += 1
        return result

    def _raw_socket(self) -> socket.socket | None:
        """pyvisa-py's TCP socket of a ``::SOCKET`` resource, else None."""
        session = getattr(self.visa_handle.visalib, "sessions", {}).get(self.visa_handle.session)
        sock = getattr(session, "interface", None)
        return sock if isinstance(sock, socket.socket) else None

    def _tune_socket(self) -> None:
        """Disable Nagle's algorithm: a command followed at once by a query (INIT;
        *OPC?) otherwise waits for the instrument's delayed ACK, ~40 ms each time."""
        sock = self._raw_socket()
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def device_clear(self) -> None:
        """Clear the device. On a raw socket drain pending input here: pyvisa-py's
        (0.8.1) drain loops forever once the peer has closed the connection."""
        sock = self._raw_socket()
        if sock is None:  # not pyvisa-py's raw socket (e.g. pyvisa-sim)
            super().device_clear()
            return
        self._tune_socket()
        while select.select([sock], [], [], 0.02)[0]:
            if not sock.recv(4096):
                raise ConnectionResetError("the instrument closed the connection")

    def write_raw(self, cmd: str) -> None:
        """Send ``cmd`` (reconnect and resend once on a transient fault)."""
        self.recover(cmd, lambda: VisaInstrument.write_raw(self, cmd))

    def ask_raw(self, cmd: str) -> str:
        """Query ``cmd`` (reconnect and ask again once on a transient fault)."""
        return self.recover(cmd, lambda: VisaInstrument.ask_raw(self, cmd))


class ScpiInstrument(CryocharVisaInstrument):
    """A SCPI instrument whose error queue is read after every setting."""

    def write_checked(self, cmd: str) -> None:
        """Send a setting, then raise :class:`InstrumentError` if ``SYST:ERR?`` reports one."""
        self.write(cmd)
        self.check_errors(cmd)

    def check_errors(self, after: str = "") -> None:
        """Drain the error queue; raise on the first error found."""
        errors = []
        for _ in range(20):
            reply = self.ask("SYST:ERR?").strip()
            code = int(reply.split(",", 1)[0])
            if code == 0:
                break
            errors.append(reply)
        if errors:
            raise InstrumentError(f"instrument reported {'; '.join(errors)}",
                                  where=f"{self.name}: {after!r}" if after else self.name,
                                  fix="check the value against the instrument's range")


__all__ = [
    "CryocharVisaInstrument",
    "LimitValidator",
    "ScpiInstrument",
    "check_mxc_setpoint",
    "convert_visa_error",
]
