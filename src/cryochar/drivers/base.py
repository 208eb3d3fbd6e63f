"""Shared driver behaviour: fault conversion, error-queue checks, safety limits.

Every driver is an ordinary qcodes ``VisaInstrument``. On top of it:

* pyvisa/socket failures (timeouts, dropped connections, undecodable replies)
  trigger one reconnect and one retry of the command; a second failure becomes
  :class:`InstrumentTimeout` or :class:`CommunicationError` naming the
  instrument and the command. Survived faults are counted in ``faults``;
* SCPI drivers read ``SYST:ERR?`` after settings and raise on an error
  (:meth:`ScpiInstrument.add_checked_parameter`), send their connect-time set-up
  with :meth:`ScpiInstrument.setup_at_connect` and read REAL,64 blocks with
  :meth:`ScpiInstrument.query_real64`;
* limits from the station file are qcodes validators that raise
  :class:`InterlockError` before the command is sent.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import select
import socket
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import pyvisa
import pyvisa.constants
from qcodes.instrument import Instrument, VisaInstrument
from qcodes.validators import Numbers, Validator

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


def scpi_number(value: Any) -> str:
    """A number as SCPI text: an integer (Python or numpy) as an integer, anything else as
    ``repr`` of a plain float (a numpy scalar's own repr, ``np.float64(0.5)``, is refused
    by instruments)."""
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    return repr(float(value))


@contextlib.contextmanager
def closed_on_failure(instrument: Instrument) -> Iterator[None]:
    """Close ``instrument`` when the block raises, then re-raise: qcodes does not close an
    instrument whose ``__init__`` raised, which would keep its name and connection taken."""
    try:
        yield
    except Exception:
        instrument.close()
        raise


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

    @contextlib.contextmanager
    def timeout_extended(self, expected: float) -> Iterator[None]:
        """Lengthen the I/O timeout by 1.5 x ``expected`` s (the sweep or measurement the
        next reply waits for) while the block runs; restore it afterwards."""
        saved = self.visa_handle.timeout
        self.visa_handle.timeout = saved + 1500 * expected  # ms
        try:
            yield
        finally:
            self.visa_handle.timeout = saved

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

    def add_checked_parameter(self, name: str, header: str, unit: str, vals: Validator[Any],
                              *, parser: Callable[[str], Any] = float,
                              formatter: Callable[[Any], str] = scpi_number) -> None:
        """A qcodes parameter read with ``<header>?`` (reply through ``parser``) and set with
        ``<header> <formatter(value)>`` followed by an error-queue check; ``unit`` as given."""
        self.add_parameter(
            name, unit=unit, vals=vals, get_cmd=f"{header}?", get_parser=parser,
            set_cmd=lambda value: self.write_checked(f"{header} {formatter(value)}"))

    def setup_at_connect(self, commands: Sequence[str], *, checked_as: str | None = None,
                         ) -> None:
        """Send the connect-time ``commands``, then drain the error queue (an error names
        ``checked_as``, by default the first command). Any failure closes the connection."""
        with closed_on_failure(self):
            for command in commands:
                self.write(command)
            self.check_errors(commands[0] if checked_as is None else checked_as)

    def query_real64(self, query: str, count: int | None = None) -> np.ndarray:
        """Query a REAL,64 little-endian IEEE 488.2 block (``FORM:BORD SWAP``); a garbled or
        lost one, or one of the wrong length (``count`` values expected), reconnects and
        queries again once."""

        def read() -> np.ndarray:
            values = self.visa_handle.query_binary_values(
                query, datatype="d", is_big_endian=False, container=np.array)
            if count is not None and values.size != count:
                raise ValueError(f"{values.size} values where {count} were expected")
            return values

        return self.recover(query, read, transient=(*TRANSIENT, ValueError))

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
    "closed_on_failure",
    "convert_visa_error",
    "scpi_number",
]
