"""Raw SCPI dialogues with the twin's switch controller and the PNA's receiver parameters.

Plain sockets, written from the protocols as documented (the switch controller's
dialect in ``cryochar.sim.servers.switch``, the PNA's receiver notation in the
Keysight programming manual), not through cryochar's drivers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from cryochar.sim import Twin, load_testbed


class Raw:
    """A bare LF-terminated SCPI client with IEEE 488.2 block reads."""

    def __init__(self, address: str):
        _, host, port, _ = address.split("::")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.buffer = b""

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")

    def _fill(self, n: int) -> None:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buffer += chunk

    def query(self, line: str) -> str:
        self.send(line)
        while b"\n" not in self.buffer:
            self._fill(len(self.buffer) + 1)
        text, _, self.buffer = self.buffer.partition(b"\n")
        return text.decode()

    def complex_block(self, line: str) -> np.ndarray:
        """A REAL,64 big-endian block of interleaved re/im pairs."""
        self.send(line)
        self._fill(2)
        digits = int(self.buffer[1:2])
        self._fill(2 + digits)
        length = int(self.buffer[2:2 + digits])
        self._fill(2 + digits + length + 1)
        payload = self.buffer[2 + digits:2 + digits + length]
        self.buffer = self.buffer[2 + digits + length + 1:]
        data = np.frombuffer(payload, dtype=">f8")
        return data[0::2] + 1j * data[1::2]

    def errors(self) -> list[int]:
        codes = []
        while (code := int(self.query("SYST:ERR?").split(",")[0])) != 0:
            codes.append(code)
        return codes

    def close(self) -> None:
        self.sock.close()


def clients(twin: Twin, *names: str) -> list[Raw]:
    return [Raw(twin.addresses[name]) for name in names]


@pytest.fixture
def switch(twin: Twin) -> Iterator[Raw]:
    (client,) = clients(twin, "switch")
    yield client
    client.close()


def test_identity_and_power_on_position(switch: Raw):
    assert switch.query("*IDN?") == "cryochar,CSW-2SP6T,CSW00001,1.2.0"
    assert switch.query("ROUT:CLOS? (@101:106)") == "0,0,0,0,1,0"  # both on the DUT
    assert switch.query("ROUT:CLOS? (@205)") == "1"
    assert switch.query("DIAG:COUN? (@1,2)") == "0,0"
    assert float(switch.query("ROUT:ACT:TIME?")) == 0.05


def test_close_moves_one_throw_per_switch_and_counts_pulses(twin: Twin, switch: Raw):
    start = twin.clock.now()
    switch.send("ROUTe:CLOSe (@101, 204)")
    assert switch.query("*OPC?") == "1"
    assert twin.clock.now() - start == pytest.approx(2 * 0.05)  # two pulses
    assert switch.query("ROUT:CLOS? (@101:106,201:206)") == "1,0,0,0,0,0,0,0,0,1,0,0"
    assert switch.query("ROUT:OPEN? (@101,102)") == "0,1"
    assert switch.query("DIAG:COUN? (@1,2)") == "1,1"
    switch.send(":ROUT:CLOS (@103);:ROUT:CLOS (@103)")  # the second pulse finds it closed
    assert switch.query("DIAG:COUN? (@1)") == "3"
    assert switch.query("DIAG:REL:CYCL? (@101:103)") == "1,0,2"
    assert twin.switches.truth()["positions"] == {"port1": "load", "port2": "thru"}
    assert switch.errors() == []


def test_open_and_open_all(switch: Raw):
    switch.send("ROUT:OPEN (@104)")  # not closed: nothing happens
    assert switch.query("DIAG:COUN? (@1)") == "0"
    switch.send("ROUT:OPEN (@105)")
    assert switch.query("ROUT:CLOS? (@101:106)") == "0,0,0,0,0,0"
    switch.send("ROUT:OPEN:ALL")
    assert switch.query("ROUT:CLOS? (@201:206)") == "0,0,0,0,0,0"
    assert switch.query("DIAG:COUN? (@1,2)") == "1,1"
    assert switch.errors() == []


def test_bad_commands_queue_errors_and_move_nothing(switch: Raw):
    switch.send("ROUT:CLOS (@101,103)")  # two throws of one SP6T
    switch.send("ROUT:CLOS (@107)")
    switch.send("ROUT:CLOS (@301)")
    switch.send("ROUT:CLOS 101")
    switch.send("ROUT:CLOS (@1x1)")
    switch.send("DIAG:COUN? (@3)")
    switch.send("ROUT:CLOS")
    switch.send("ROUT:TELEPORT (@101)")
    assert switch.errors() == [-221, -222, -222, -104, -104, -222, -104, -113]
    assert switch.query("ROUT:CLOS? (@101:106,201:206)").count("1") == 2  # still on DUT
    assert switch.query("DIAG:COUN? (@1,2)") == "0,0"
    switch.send("\x00\xff;;;:::(@")
    assert switch.query("*IDN?").startswith("cryochar")


def test_a_failing_switch_reads_back_its_old_throw():
    config = load_testbed(overrides={"twin.switch.failure_probability": 1.0}).model
    with Twin(config) as twin:
        (client,) = clients(twin, "switch")
        client.send("ROUT:CLOS (@101)")
        assert client.query("ROUT:CLOS? (@101:106)") == "0,0,0,0,1,0"
        assert client.query("DIAG:COUN? (@1)") == "1"  # the pulse was sent
        assert client.errors() == []  # the controller cannot tell; the indicators can
        client.close()


def test_actuation_heats_the_mixing_chamber():
    overrides = {"twin.switch.actuation_heat": 1.0, "twin.fridge.thermometer_noise": 0}
    with Twin(load_testbed(overrides=overrides).model) as twin:
        (client,) = clients(twin, "switch")
        before = twin.fridge.temperature("mxc")
        client.query("ROUT:CLOS (@101);*OPC?")
        assert twin.fridge.temperature("mxc") > before + 1e-3  # 20 W for 50 ms
        client.close()


def test_pna_measures_switch_terms_as_receiver_ratios(twin: Twin):
    switch, pna = clients(twin, "switch", "vna")
    switch.send("ROUT:CLOS (@104,204)")  # both switches on the thru: a transmissive path
    pna.send("SENS1:FREQ:STAR 4e9;STOP 8e9;:SENS1:SWE:POIN 51;:SENS1:BAND 1e3")
    pna.send("CALC1:PAR:DEF:EXT 'swf','a2/b2,1'")
    pna.send("CALC1:PAR:DEF:EXT 'swr','a1/b1, 2'")
    pna.send("CALC1:PAR:DEF:EXT 'ref','R1,1'")  # unratioed, physical receiver name
    pna.send("CALC1:MEAS7:DEF 'B/R1,1'")  # physical ratio = raw S21
    assert pna.query("CALC1:MEAS7:PAR?") == '"B/R1,1"'
    assert "swf,a2/b2_1" in pna.query("CALC1:PAR:CAT:EXT?")
    pna.send("FORM:DATA REAL,64;:SENS1:SWE:MODE HOLD;:INIT1:IMM")
    assert pna.query("*OPC?") == "1"
    data = {}
    for name in ("swf", "swr", "ref"):
        pna.send(f"CALC1:PAR:SEL '{name}'")
        data[name] = pna.complex_block("CALC1:DATA? SDATA")
    s21 = pna.complex_block("CALC1:MEAS7:DATA:SDATA?")
    assert pna.errors() == []
    f = np.linspace(4e9, 8e9, 51)
    truth = twin.true_error_terms(f)
    np.testing.assert_allclose(data["swf"], truth["forward switch term"], atol=2e-3)
    np.testing.assert_allclose(data["swr"], truth["reverse switch term"], atol=2e-3)
    np.testing.assert_allclose(20 * np.log10(np.abs(data["ref"])), -10, atol=1e-3)  # dBm
    np.testing.assert_allclose(s21, twin.expected_s(f)[:, 1, 0], atol=1e-3)
    for bad in ("'x','a3/b2,1'", "'x','a2/b2,3'", "'x','X,1'", "'x','a2/b2'"):
        pna.send(f"CALC1:PAR:DEF:EXT {bad}")
    assert pna.errors() == [-224] * 4
    switch.close()
    pna.close()
