"""Raw SCPI dialogues with the twin's Keithley SourceMeter (2450 and 2400 command sets,
from their reference manuals) biasing the shot-noise junction, over a plain socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.sim import Twin, load_testbed
from tests.unit.sim.raw_client import RawClient

R = 50.0  # the twin's junction, ohm


@pytest.fixture
def smu(twin: Twin) -> Iterator[RawClient]:
    client = RawClient(twin.addresses["smu"], b"\n")
    yield client
    client.close()


@pytest.fixture
def twin_2400() -> Iterator[Twin]:
    with Twin(load_testbed(overrides={"twin.noise_source.sntj.smu_model": "2400"}).model) as t:
        yield t


def test_2450_sources_voltage_and_reads_the_junction_current(twin: Twin, smu: RawClient):
    assert smu.query("*IDN?") == "KEITHLEY INSTRUMENTS,MODEL 2450,04400001,1.7.12b"
    assert smu.query(":OUTP?") == "0"  # nothing is sourced at power-up
    smu.send(':SOUR:FUNC VOLT;:SOUR:VOLT 1e-3;:SOUR:VOLT:ILIM 1e-3;:SENS:FUNC "CURR"')
    assert smu.query(":OUTP?") == "0"  # a query: the settings above are applied
    assert twin.noise_chain.sntj.voltage == 0.0  # output still off
    smu.send(":OUTP ON")
    assert smu.query(":OUTP?") == "1"
    assert twin.noise_chain.sntj.voltage == pytest.approx(1e-3)
    assert float(smu.query(":READ?")) == pytest.approx(1e-3 / R, rel=1e-4)
    assert float(smu.query(":SOUR:VOLT?")) == 1e-3
    assert float(smu.query(":SOUR:VOLT:ILIM?")) == 1e-3
    assert smu.query(":SENS:FUNC?") == '"CURR:DC"'
    smu.send(":SOUR:VOLT -2 mV")
    assert float(smu.query(":MEAS:CURR?")) == pytest.approx(-2e-3 / R, rel=1e-4)
    smu.send(":OUTP OFF")
    assert smu.query("SYST:ERR?") == '0,"No error"'
    assert twin.noise_chain.sntj.voltage == 0.0


def test_compliance_clamps_the_current(twin: Twin, smu: RawClient):
    smu.send(":SOUR:VOLT 0.1;:SOUR:VOLT:ILIM 1e-3;:OUTP ON")  # 2 mA wanted into 50 ohm
    assert float(smu.query(":READ?")) == pytest.approx(1e-3, rel=1e-4)
    assert smu.query(":SOUR:VOLT:ILIM:TRIP?") == "1"
    assert twin.noise_chain.sntj.voltage == pytest.approx(1e-3 * R)  # V = I_limit R


def test_current_source_mode_with_voltage_limit(twin: Twin, smu: RawClient):
    smu.send(":SOUR:FUNC CURR;:SOUR:CURR 10e-6;:SOUR:CURR:VLIM 1;:OUTP ON")
    assert smu.query(":SOUR:FUNC?") == "CURR"  # also: the settings are applied
    assert twin.noise_chain.sntj.voltage == pytest.approx(10e-6 * R)


def test_read_with_the_output_off_is_an_error_without_reply(smu: RawClient):
    smu.send(":READ?")
    assert smu.query("SYST:ERR?") == '803,"Output disabled"'
    assert smu.query(":OUTP?") == "0"


def test_a_reading_takes_nplc_line_cycles_of_testbed_time(twin: Twin, smu: RawClient):
    smu.send(":SENS:CURR:NPLC 5;:OUTP ON")
    before = twin.clock.now()
    smu.query(":READ?")
    assert twin.clock.now() - before == pytest.approx(0.1)


def test_bad_values_and_unknown_commands_queue_errors(smu: RawClient):
    smu.send(":SOUR:VOLT 500")
    smu.send(":SOUR:FUNC RES")
    smu.send(":SENS:CURR:PROT 1e-3")  # a 2400 command: undefined on the 2450
    smu.send(":OUTP MAYBE")
    smu.send("GARBAGE")
    assert smu.errors() == [-222, -224, -113, -224, -113]
    assert float(smu.query(":SOUR:VOLT?")) == 0.0


def test_2400_elements_and_compliance(twin_2400: Twin):
    smu = RawClient(twin_2400.addresses["smu"], b"\n")
    try:
        assert smu.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2400,")
        smu.send(":SOUR:FUNC VOLT;:SOUR:VOLT 2e-3;:SENS:CURR:PROT 1e-3;:OUTP ON")
        fields = [float(v) for v in smu.query(":READ?").split(",")]
        assert len(fields) == 5  # default elements VOLT,CURR,RES,TIME,STAT
        assert fields[0] == pytest.approx(2e-3, rel=1e-4)
        assert fields[1] == pytest.approx(2e-3 / R, rel=1e-4)
        assert fields[2] == 9.91e37 and fields[4] == 0.0  # not measured; not in compliance
        smu.send(":FORM:ELEM VOLT,CURR")
        assert smu.query(":FORM:ELEM?") == "VOLT,CURR"
        voltage, current = (float(v) for v in smu.query(":READ?").split(","))
        assert current == pytest.approx(voltage / R, rel=1e-4)
        assert float(smu.query(":SENS:CURR:PROT?")) == 1e-3
        smu.send(":SOUR:VOLT 1")  # 20 mA wanted: compliance
        assert smu.query(":SENS:CURR:PROT:TRIP?") == "1"
        smu.send(":SOUR:VOLT:ILIM 1e-3")  # a 2450 command: undefined on the 2400
        assert smu.errors() == [-113]
        smu.send("*RST")
        assert smu.query(":OUTP?") == "0" and twin_2400.noise_chain.sntj.voltage == 0.0
    finally:
        smu.close()
