"""Raw dialogues with the twin's Lakeshore 336 running the variable-temperature load,
written from the Model 336 manual (CRLF-terminated text over TCP), plain sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.sim import Twin
from tests.unit.sim.raw_client import RawClient


@pytest.fixture
def ls336(twin: Twin) -> Iterator[RawClient]:
    client = RawClient(twin.addresses["vt_load"], b"\r\n")
    yield client
    client.close()


def test_identity_and_readings(twin: Twin, ls336: RawClient):
    assert ls336.query("*IDN?") == "LSCI,MODEL336,LSA33601,2.9"
    assert float(ls336.query("KRDG? A")) == pytest.approx(0.010, rel=0.01)  # at the bath
    assert float(ls336.query("KRDG? B")) == pytest.approx(0.010, rel=0.01)
    readings = ls336.query("KRDG? 0").split(",")  # all four inputs
    assert len(readings) == 4 and float(readings[3]) == 0.0
    assert ls336.query("INNAME? A") == "VT load"
    assert float(ls336.query("SRDG? A")) > float(ls336.query("SRDG? B")) * 0.9  # RuOx ohms


def test_closed_loop_holds_the_load_at_the_setpoint(twin: Twin, ls336: RawClient):
    ls336.send("HTRSET 1,2,0,0.01,2")  # 50 ohm, user max current 10 mA, power display
    assert ls336.query("HTRSET? 1") == "2,0,+0.0100,2"
    ls336.send("OUTMODE 1,1,1,0")  # closed loop on input A
    ls336.send("SETP 1,2.5")
    ls336.send("RANGE 1,3")
    assert ls336.query("OUTMODE? 1") == "1,1,0"
    assert float(ls336.query("SETP? 1")) == 2.5
    assert ls336.query("RANGE? 1") == "3"
    twin.clock.advance(60)  # one time constant
    assert 1.0 < float(ls336.query("KRDG? A")) < 2.0
    twin.clock.advance(600)
    assert float(ls336.query("KRDG? A")) == pytest.approx(2.5, rel=0.003)
    power = twin.noise_chain.vt_load.heater_power
    assert float(ls336.query("HTR? 1")) == pytest.approx(100 * power / 5e-3, rel=1e-3)
    ls336.send("RANGE 1,0")  # heater off: back to the bath
    assert ls336.query("RANGE? 1") == "0"  # applied before the clock moves on
    twin.clock.advance(900)
    assert float(ls336.query("KRDG? A")) == pytest.approx(0.010, rel=0.01)


def test_range_limits_the_power(twin: Twin, ls336: RawClient):
    ls336.send("HTRSET 1,2,0,0.01,2;OUTMODE 1,1,1,0;SETP 1,4.0;RANGE 1,1")  # low: 50 uW
    assert ls336.query("RANGE? 1") == "1"  # applied before the clock moves on
    twin.clock.advance(900)
    assert twin.noise_chain.vt_load.heater_power == pytest.approx(50e-6)
    assert float(ls336.query("KRDG? A")) < 1.2  # sqrt(2 P / g) = 1.1 K, short of 4 K
    assert float(ls336.query("HTR? 1")) == pytest.approx(100.0)


def test_open_loop_manual_output(twin: Twin, ls336: RawClient):
    ls336.send("HTRSET 1,2,0,0.01,1;OUTMODE 1,3,1,0;MOUT 1,50;RANGE 1,3")
    assert float(ls336.query("MOUT? 1")) == 50.0
    assert twin.noise_chain.vt_load.heater_power == pytest.approx(0.25 * 5e-3)  # (50 %)^2
    assert float(ls336.query("HTR? 1")) == pytest.approx(50.0)  # percent of current


def test_bad_commands_are_ignored(ls336: RawClient):
    ls336.send("SETP 1,999")
    ls336.send("RANGE 1,7")
    ls336.send("KRDG? Q")
    ls336.send("FLY TO THE MOON")
    assert float(ls336.query("SETP? 1")) == 0.0
    assert ls336.query("RANGE? 1") == "0"
    assert ls336.query("*IDN?").startswith("LSCI,MODEL336")
