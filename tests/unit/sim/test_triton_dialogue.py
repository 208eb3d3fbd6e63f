"""Raw socket dialogues with the twin's Oxford Instruments Triton.

Written from the Triton System Control remote interface (TCP, LF-terminated
lines, one ``STAT:`` reply per command, one client at a time), with plain
sockets, not through cryochar's driver. Default twin: pt1 T1, pt2 T2, still
T5, cold plate T6, MXC T8 (the control loop), heater H1 of 100 ohm.
"""

from __future__ import annotations

import socket
import time

import pytest

from cryochar.sim import Twin


class Line:
    """A bare line client."""

    def __init__(self, address: str, terminator: bytes = b"\n"):
        _, host, port, _ = address.split("::")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.term = terminator
        self.buffer = b""

    def query(self, line: str) -> str:
        self.sock.sendall(line.encode() + self.term)
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, "connection closed"
            self.buffer += chunk
        text, _, self.buffer = self.buffer.partition(b"\n")
        return text.decode()

    def value(self, path: str, unit: str) -> float:
        reply = self.query(f"READ:{path}")
        prefix = f"STAT:{path}:"
        assert reply.startswith(prefix) and reply.endswith(unit), reply
        return float(reply[len(prefix):-len(unit)])

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def triton(twin: Twin):
    client = Line(twin.addresses["triton"])
    yield client
    client.close()


def closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def test_identity_and_named_channels(triton: Line):
    assert triton.query("*IDN?") == "IDN:OXFORD INSTRUMENTS:TRITON:TRITON-TWIN-01:2.4.10"
    assert triton.query("READ:SYS:DR:CHAN") == "STAT:SYS:DR:CHAN:PT1:PT2:STIL:CPLT:MC"
    assert triton.query("READ:SYS:DR:CHAN:MC") == "STAT:SYS:DR:CHAN:MC:T8"
    assert triton.query("READ:SYS:DR:CHAN:STIL") == "STAT:SYS:DR:CHAN:STIL:T5"
    assert triton.query("READ:SYS:DR:CHAN:XYZ") == "STAT:SYS:DR:CHAN:XYZ:INVALID"
    assert triton.query("READ:SYS:TIME") == "STAT:SYS:TIME:00:00:00"  # testbed clock, UTC
    assert triton.query("READ:SYS:DR:STATUS") == "STAT:SYS:DR:STATUS:Circulating"


def test_temperatures_carry_units_and_match_the_fridge(twin: Twin, triton: Line):
    truth = twin.stage_temperatures()
    for device, stage in (("T1", "pt1"), ("T2", "pt2"), ("T5", "still"), ("T6", "cold_plate"),
                          ("T8", "mxc")):
        reading = triton.value(f"DEV:{device}:TEMP:SIG:TEMP", "K")
        assert reading == pytest.approx(truth[stage], rel=5e-3, abs=2e-6)
    assert triton.value("DEV:T8:TEMP:SIG:RES", "Ohm") > triton.value("DEV:T5:TEMP:SIG:RES", "Ohm")


def test_loop_settings_are_echoed_valid_and_read_back(triton: Line):
    for command in ("SET:DEV:T8:TEMP:LOOP:HTR:H1", "SET:DEV:T8:TEMP:LOOP:TSET:0.05",
                    "SET:DEV:T8:TEMP:LOOP:RANGE:3.16", "SET:DEV:T8:TEMP:LOOP:P:12.5",
                    "SET:DEV:T8:TEMP:LOOP:RAMP:ENAB:OFF", "SET:DEV:T8:TEMP:LOOP:RAMP:RATE:0.5"):
        assert triton.query(command) == f"STAT:{command}:VALID"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:TSET") == "STAT:DEV:T8:TEMP:LOOP:TSET:0.050000K"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:RANGE") == "STAT:DEV:T8:TEMP:LOOP:RANGE:3.160mA"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:HTR") == "STAT:DEV:T8:TEMP:LOOP:HTR:H1"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:P") == "STAT:DEV:T8:TEMP:LOOP:P:12.5"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:RAMP:RATE") == \
        "STAT:DEV:T8:TEMP:LOOP:RAMP:RATE:0.5K/min"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:MODE") == "STAT:DEV:T8:TEMP:LOOP:MODE:OFF"


def test_closed_loop_heats_the_mxc_to_the_setpoint(twin: Twin, triton: Line):
    triton.query("SET:DEV:T8:TEMP:LOOP:TSET:0.05")
    triton.query("SET:DEV:T8:TEMP:LOOP:RANGE:3.16")
    assert twin.mxc_heater_power() == 0.0  # loop still off
    assert triton.query("SET:DEV:T8:TEMP:LOOP:MODE:ON").endswith(":VALID")
    power = triton.value("DEV:H1:HTR:SIG:POWR", "uW") * 1e-6
    assert power == pytest.approx(twin.fridge.power_for(0.05), rel=1e-4)
    assert twin.mxc_heater_power() == pytest.approx(power, rel=1e-4)
    twin.clock.advance(1800)
    assert triton.value("DEV:T8:TEMP:SIG:TEMP", "K") == pytest.approx(0.05, rel=5e-3)
    triton.query("SET:DEV:T8:TEMP:LOOP:TSET:0.5")  # needs 10.5 mW; the range gives 1 mW
    full_scale = (3.16e-3) ** 2 * 100  # W
    assert triton.value("DEV:H1:HTR:SIG:POWR", "uW") == pytest.approx(full_scale * 1e6)
    triton.query("SET:DEV:T8:TEMP:LOOP:MODE:OFF")
    assert twin.mxc_heater_power() == 0.0


def test_open_loop_power_in_microwatts_within_the_range(twin: Twin, triton: Line):
    triton.query("SET:DEV:T8:TEMP:LOOP:RANGE:1")  # 1 mA into 100 ohm: 100 uW at most
    assert triton.query("SET:DEV:H1:HTR:SIG:POWR:50").endswith(":50:VALID")
    assert twin.mxc_heater_power() == pytest.approx(50e-6)
    assert triton.query("SET:DEV:H1:HTR:SIG:POWR:150") == "STAT:SET:DEV:H1:HTR:SIG:POWR:150:INVALID"
    assert twin.mxc_heater_power() == pytest.approx(50e-6)


@pytest.mark.parametrize(("command", "reply"), [
    ("SET:DEV:T8:TEMP:LOOP:TSET:-1", "STAT:SET:DEV:T8:TEMP:LOOP:TSET:-1:INVALID"),
    ("SET:DEV:T8:TEMP:LOOP:TSET:warm", "STAT:SET:DEV:T8:TEMP:LOOP:TSET:warm:INVALID"),
    ("SET:DEV:T8:TEMP:LOOP:RANGE:2", "STAT:SET:DEV:T8:TEMP:LOOP:RANGE:2:INVALID"),
    ("SET:DEV:T8:TEMP:LOOP:MODE:MAYBE", "STAT:SET:DEV:T8:TEMP:LOOP:MODE:MAYBE:INVALID"),
    ("SET:DEV:T8:TEMP:LOOP:HTR:H2", "STAT:SET:DEV:T8:TEMP:LOOP:HTR:H2:INVALID"),
    ("SET:DEV:T8:TEMP:LOOP:COLOUR:RED", "STAT:SET:DEV:T8:TEMP:LOOP:COLOUR:RED:INVALID"),
    ("READ:DEV:T8:TEMP:SIG:FOO", "STAT:DEV:T8:TEMP:SIG:FOO:INVALID"),
    ("READ:DEV:T9:TEMP:SIG:TEMP", "STAT:DEV:T9:TEMP:SIG:TEMP:NOT_FOUND"),
    ("READ:DEV:T5:TEMP:LOOP:MODE", "STAT:DEV:T5:TEMP:LOOP:MODE:NOT_FOUND"),
    ("SET:DEV:T5:TEMP:LOOP:TSET:0.1", "STAT:SET:DEV:T5:TEMP:LOOP:TSET:0.1:NOT_FOUND"),
    ("FLY TO THE MOON", "STAT:FLY TO THE MOON:INVALID"),
    ("READ:", "STAT:READ::INVALID"),
    ("::::", "STAT::::::INVALID"),
])
def test_what_the_triton_cannot_do_is_answered_not_applied(twin: Twin, triton: Line,
                                                           command: str, reply: str):
    assert triton.query(command) == reply
    assert triton.query("READ:DEV:T8:TEMP:LOOP:TSET") == "STAT:DEV:T8:TEMP:LOOP:TSET:0.000000K"
    assert triton.query("READ:DEV:T8:TEMP:LOOP:RANGE") == "STAT:DEV:T8:TEMP:LOOP:RANGE:1.000mA"
    assert twin.mxc_heater_power() == 0.0
    assert triton.query("*IDN?").startswith("IDN:OXFORD INSTRUMENTS")


def test_garbage_bytes_get_an_invalid_reply_and_the_server_lives_on(triton: Line):
    triton.sock.sendall(b"\x15#\xfe?garbled\x8f\n")
    while b"\n" not in triton.buffer:
        triton.buffer += triton.sock.recv(4096)
    reply, _, triton.buffer = triton.buffer.partition(b"\n")
    assert reply.startswith(b"STAT:") and reply.endswith(b":INVALID")
    assert triton.query("READ:SYS:DR:CHAN:MC") == "STAT:SYS:DR:CHAN:MC:T8"


def test_disabled_thermometer_keeps_its_last_reading(twin: Twin, triton: Line):
    triton.query("SET:DEV:T8:TEMP:LOOP:TSET:0.1")
    triton.query("SET:DEV:T8:TEMP:LOOP:RANGE:10")
    before = triton.value("DEV:T8:TEMP:SIG:TEMP", "K")
    assert triton.query("SET:DEV:T8:TEMP:MEAS:ENAB:OFF").endswith(":VALID")
    triton.query("SET:DEV:T8:TEMP:LOOP:MODE:ON")
    twin.clock.advance(1800)
    assert triton.value("DEV:T8:TEMP:SIG:TEMP", "K") == before
    assert triton.query("READ:DEV:T8:TEMP:MEAS:ENAB") == "STAT:DEV:T8:TEMP:MEAS:ENAB:OFF"
    triton.query("SET:DEV:T8:TEMP:MEAS:ENAB:ON")
    assert triton.value("DEV:T8:TEMP:SIG:TEMP", "K") == pytest.approx(0.1, rel=5e-3)


def test_crlf_terminated_commands_are_accepted(twin: Twin):
    client = Line(twin.addresses["triton"], terminator=b"\r\n")
    try:
        assert client.query("READ:SYS:DR:CHAN:MC") == "STAT:SYS:DR:CHAN:MC:T8"
    finally:
        client.close()


def test_one_client_at_a_time(twin: Twin, triton: Line):
    _, host, port, _ = twin.addresses["triton"].split("::")
    with socket.create_connection((host, int(port)), timeout=5) as second:
        second.sendall(b"*IDN?\n")
        assert closed_by_peer(second)  # refused: closed without a reply
    assert triton.query("READ:SYS:DR:CHAN:MC").endswith(":T8")  # the first one is served on
    triton.close()
    time.sleep(0.05)
    third = Line(twin.addresses["triton"])  # free again once the first has gone
    try:
        assert third.query("*IDN?").startswith("IDN:")
    finally:
        third.close()
