"""Raw SCPI/text dialogues against the twin, written from the instruments' manuals.

These talk to the servers over plain sockets, not through cryochar's drivers,
so a driver bug cannot hide a server bug (and the other way round).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from cryochar.sim import Twin
from tests.unit.sim.raw_client import RawClient

Raw = RawClient


@pytest.fixture
def pna(twin: Twin):
    client = Raw(twin.addresses["vna"], b"\n")
    yield client
    client.close()


@pytest.fixture
def lakeshore(twin: Twin):
    client = Raw(twin.addresses["lakeshore372"], b"\r\n")
    yield client
    client.close()


def test_pna_identity_and_settings(pna: Raw):
    assert pna.query("*IDN?").startswith("Keysight Technologies,N5242B,")
    pna.send("*RST")
    pna.send("SENS1:FREQ:STAR 4e9;STOP 8e9")
    pna.send(":SENSe1:SWEep:POINts 11;:SOURce1:POWer1:LEVel:IMMediate:AMPLitude -25")
    assert float(pna.query("SENS1:FREQ:STAR?")) == 4e9
    assert float(pna.query("SENS1:FREQ:SPAN?")) == 4e9
    assert int(pna.query("SENS1:SWE:POIN?")) == 11
    assert float(pna.query("SOUR1:POW?")) == -25
    assert pna.query("SYST:ERR?") == '+0,"No error"'


def test_pna_rejects_bad_settings_through_the_error_queue(pna: Raw):
    pna.send("SOUR1:POW 45")
    pna.send("SENS1:SWE:POIN -3")
    pna.send("FORM:DATA REAL,16")
    pna.send("CALC1:PAR:DEF:EXT 'x','S33'")
    codes = [int(pna.query("SYST:ERR?").split(",")[0]) for _ in range(5)]
    assert codes == [-222, -222, -224, -224, 0]
    assert float(pna.query("SOUR1:POW?")) == -10  # unchanged default


@pytest.mark.parametrize(("fmt", "order", "dtype"), [
    ("REAL,64", "NORM", ">f8"), ("REAL,64", "SWAP", "<f8"),
    ("REAL,32", "NORM", ">f4"), ("REAL,32", "SWAP", "<f4")])
def test_pna_sdata_block_formats(twin: Twin, pna: Raw, fmt, order, dtype):
    pna.send("SENS1:FREQ:STAR 4e9;STOP 8e9;:SENS1:SWE:POIN 21;:SENS1:BAND 10")
    pna.send("CALC1:PAR:DEF:EXT 'my_s21','S21';:CALC1:PAR:SEL 'my_s21'")
    pna.send(f"FORM:DATA {fmt};:FORM:BORD {order}")
    assert pna.query("FORM:DATA?") == fmt.replace(",", ",+")
    pna.send("SENS1:SWE:MODE HOLD;:INIT1:IMM")
    assert pna.query("*OPC?") == "1"
    data = pna.block("CALC1:DATA? SDATA", dtype=dtype)
    assert data.size == 42
    s21 = data[0::2] + 1j * data[1::2]
    expected = twin.expected_s(np.linspace(4e9, 8e9, 21))[:, 1, 0]
    np.testing.assert_allclose(s21, expected, atol=1e-3)  # -38 dB signal, ~-100 dB noise


def test_pna_ascii_data_and_measure_style(pna: Raw):
    pna.send("FORM:DATA ASCII,0;:SENS1:SWE:POIN 5")
    pna.send("CALC1:MEAS2:DEF 'S11'")
    assert pna.query("CALC1:MEAS2:PAR?") == '"S11"'
    values = [float(v) for v in pna.query("CALC1:MEAS2:DATA:SDATA?").split(",")]
    assert len(values) == 10
    catalog = pna.query("CALC1:PAR:CAT:EXT?")
    assert re.search(r"CH1_S11_2,S11", catalog)
    freqs = [float(v) for v in pna.query("SENS1:X?").split(",")]
    assert len(freqs) == 5


def test_pna_survives_garbage(pna: Raw):
    pna.send("\x00\xff;;;:::")
    pna.send("CALC1:DATA? NONSENSE")
    pna.send("'unterminated")
    assert pna.query("*IDN?").startswith("Keysight")


def test_lakeshore_readings_and_heater(twin: Twin, lakeshore: Raw):
    assert lakeshore.query("*IDN?") == "LSCI,MODEL372,LSA1234,1.8"
    mxc = float(lakeshore.query("KRDG? 6"))
    assert mxc == pytest.approx(0.010, rel=0.01)
    assert float(lakeshore.query("KRDG? 1")) == pytest.approx(45, rel=0.01)
    assert float(lakeshore.query("RDGR? 6")) > float(lakeshore.query("RDGR? 5"))  # RuOx
    lakeshore.send("OUTMODE 0,5,6,0,0,1,0")
    lakeshore.send("SETP 0,0.05")
    lakeshore.send("RANGE 0,5")
    assert lakeshore.query("RANGE? 0") == "5"  # applied before the clock moves on
    assert float(lakeshore.query("SETP? 0")) == pytest.approx(0.05)
    twin.clock.advance(1800)  # 15 MXC time constants
    assert float(lakeshore.query("KRDG? 6")) == pytest.approx(0.05, rel=0.01)
    assert 0 < float(lakeshore.query("HTR? 0")) < 100
    lakeshore.send("RANGE 0,0")
    assert lakeshore.query("RANGE? 0") == "0"  # applied before the clock moves on
    twin.clock.advance(1800)
    assert float(lakeshore.query("KRDG? 6")) == pytest.approx(0.010, rel=0.01)


def test_lakeshore_scanner_readings_go_stale(twin: Twin, lakeshore: Raw):
    lakeshore.send("SCAN 6,0")  # park on the MXC: always fresh
    assert lakeshore.query("SCAN?") == "06,0"
    lakeshore.send("OUTMODE 0,5,6,0,0,1,0;SETP 0,0.1;RANGE 0,6")
    lakeshore.query("RANGE? 0")
    lakeshore.send("SCAN 1,1")  # autoscan from channel 1: the MXC is visited later
    twin.clock.advance(1800)
    stale_or_fresh = float(lakeshore.query("KRDG? 6"))
    assert stale_or_fresh > 0.05  # visited within the last cycle of 5 channels x 3 s


def test_lakeshore_ignores_unknown_commands(lakeshore: Raw):
    lakeshore.send("FLY TO THE MOON")
    lakeshore.send("KRDG? 99")
    assert lakeshore.query("*IDN?").startswith("LSCI")
