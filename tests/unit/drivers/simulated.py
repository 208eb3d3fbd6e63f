"""Helpers for driver tests against pyvisa-sim files: a private copy of a shipped file,
a record of the lines a driver writes, and the checks every SCPI driver's settings and
error handling must pass."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cryochar.core.errors import InstrumentError, InstrumentTimeout
from cryochar.core.paths import default_file


def private_copy(tmp_path: Path, name: str) -> str:
    """A private copy of the shipped pyvisa-sim file ``sim/pyvisa/<name>``, as a pyvisa
    ``visalib`` (pyvisa-sim shares device state between sessions of one file)."""
    copy = tmp_path / name
    shutil.copyfile(default_file("sim", f"pyvisa/{name}"), copy)
    return f"{copy}@sim"


def record(instrument: Any) -> list[str]:
    """Record every line ``instrument`` writes (queries go through write too) in the list
    returned, also kept as ``instrument.sent``."""
    sent: list[str] = []
    write = instrument.visa_handle.write

    def recording_write(message: str, *args: Any, **kw: Any) -> Any:
        sent.append(message)
        return write(message, *args, **kw)

    instrument.visa_handle.write = recording_write
    instrument.sent = sent
    return sent


def connect(driver: type, name: str, address: str, visalib: str, **kwargs: Any) -> Any:
    """Connect ``driver`` to the simulated instrument at ``address`` (1 s I/O timeout),
    every line it writes recorded in ``sent``."""
    instrument = driver(name, address, visalib=visalib, timeout=1, **kwargs)
    record(instrument)
    return instrument


def assert_checked_setting(instrument: Any, name: str, value: Any, command: str,
                           unit: str) -> None:
    """Setting parameter ``name`` to ``value`` sends exactly ``command`` and one error-queue
    check; reading it back queries ``<header>?`` and returns ``value``, of its type, in
    ``unit``."""
    parameter = instrument.parameters[name]
    instrument.sent.clear()
    parameter.set(value)
    assert instrument.sent == [command, "SYST:ERR?"]
    got = parameter.get()
    assert instrument.sent[-1] == command.split(" ")[0] + "?"
    assert got == value
    assert type(got) is type(value)
    assert parameter.unit == unit


def assert_rejected_before_sending(instrument: Any, name: str, value: Any,
                                   error: type[Exception] | tuple[type[Exception], ...],
                                   ) -> None:
    """Setting parameter ``name`` to ``value`` raises ``error`` and sends nothing."""
    instrument.sent.clear()
    with pytest.raises(error):
        instrument.parameters[name].set(value)
    assert instrument.sent == []


def assert_refusal_names_the_command(instrument: Any, command: str) -> InstrumentError:
    """``write_checked(command)`` of a command the instrument refuses raises
    :class:`InstrumentError` naming the instrument and the command; returned for more
    checks."""
    with pytest.raises(InstrumentError) as info:
        instrument.write_checked(command)
    assert info.value.where == f"{instrument.name}: {command!r}"
    return info.value


def assert_unanswered_query_times_out(instrument: Any, query: str) -> None:
    """A query the instrument does not answer is an :class:`InstrumentTimeout` naming it."""
    instrument.timeout(0.2)
    with pytest.raises(InstrumentTimeout) as info:
        instrument.ask(query)
    assert query in info.value.where
