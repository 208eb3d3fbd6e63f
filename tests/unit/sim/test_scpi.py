"""SCPI parsing shared by the twin's instruments."""

from __future__ import annotations

import numpy as np
import pytest

from cryochar.sim.servers.scpi import (
    ScpiDevice,
    ScpiError,
    compile_pattern,
    ieee_block,
    parse_number,
    split_arguments,
)


@pytest.mark.parametrize(("pattern", "header", "matches"), [
    ("SENSe#:FREQuency:STARt", "SENS1:FREQ:STAR", True),
    ("SENSe#:FREQuency:STARt", "sense:frequency:start", True),
    ("SENSe#:FREQuency:STARt", ":SENS2:FREQ:STAR", True),
    ("SENSe#:FREQuency:STARt", "SENSFREQ:STAR", False),
    ("SENSe#:FREQuency:STARt", "SENS:FREQ:STARX", False),
    ("SENSe#:FREQuency:STARt", "SENS:FREQ:STA", False),
    ("SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]?", "SOUR1:POW1:LEV:IMM:AMPL?", True),
    ("SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]?", "SOUR:POW?", True),
    ("SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]?", "SOUR:POW", False),
    ("[SENSe#:]SWEep:POINts", "SWE:POIN", True),
    ("[SENSe#:]SWEep:POINts", "SENS:SWE:POIN", True),
    ("*IDN?", "*idn?", True),
])
def test_header_patterns(pattern, header, matches):
    assert bool(compile_pattern(pattern).match(header)) is matches


def test_numbers_with_suffixes_and_limits():
    assert parse_number("4 GHZ") == 4e9
    assert parse_number("-30") == -30
    assert parse_number("MAX", minimum=0, maximum=5) == 5
    with pytest.raises(ScpiError) as info:
        parse_number("9", maximum=5)
    assert info.value.code == -222
    with pytest.raises(ScpiError):
        parse_number("abc")


def test_arguments_split_outside_quotes():
    assert split_arguments("'a,b','S21'") == ["'a,b'", "'S21'"]
    assert split_arguments("REAL,64") == ["REAL", "64"]


@pytest.mark.parametrize(("fmt", "order", "dtype"), [
    ("REAL,64", "NORM", ">f8"), ("REAL,64", "SWAP", "<f8"), ("REAL,32", "NORM", ">f4")])
def test_ieee_blocks_round_trip(fmt, order, dtype):
    values = np.linspace(-1, 1, 7)
    block = ieee_block(values, fmt, order)
    digits = int(block[1:2])
    length = int(block[2:2 + digits])
    payload = block[2 + digits:]
    assert len(payload) == length
    np.testing.assert_allclose(np.frombuffer(payload, dtype=dtype), values, rtol=1e-6)


def test_device_queues_errors_and_handles_compound_lines():
    device = ScpiDevice()
    state = {}
    device.add("SENSe#:FREQuency:STARt", lambda s, a: state.__setitem__("start", a[0]))
    device.add("SENSe#:FREQuency:STOP", lambda s, a: state.__setitem__("stop", a[0]))
    assert device.handle("SENS1:FREQ:STAR 1;STOP 2;*IDN?") == [device.identity]
    assert state == {"start": "1", "stop": "2"}
    assert device.handle("NOPE:NOPE 3") == []
    assert device.handle("SYST:ERR?") == ['-113,"Undefined header"']
    assert device.handle("SYST:ERR?") == ['+0,"No error"']
    for _ in range(150):
        device.handle("BAD")
    assert len(device.errors) == device.max_errors
    assert device.errors[-1] == (-350, "Queue overflow")
