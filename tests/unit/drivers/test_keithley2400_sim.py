"""Keithley2400 and Sntj against ``sim/pyvisa/keithley2400.yaml`` (a 2400 on GPIB and a
2450 on a LAN socket): dialects per model, interlocks, exact command strings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.core.errors import InstrumentError, InterlockError
from cryochar.drivers.noise.sntj import Sntj, SntjOptions
from cryochar.drivers.protocols import SMU, NoiseSource, ShotNoiseSource
from cryochar.drivers.smu.keithley2400 import Keithley2400, Keithley2400Options
from tests.unit.drivers.simulated import connect

K2400 = "GPIB0::24::INSTR"
K2450 = "TCPIP0::localhost::5025::SOCKET"
SIM_FILE = "keithley2400.yaml"  # served by the visalib fixture (conftest)


@pytest.fixture(params=[K2400, K2450], ids=["2400", "2450"])
def smu(request, visalib: str) -> Iterator[Keithley2400]:
    instrument = connect(Keithley2400, "smu_sim", request.param, visalib)
    yield instrument
    instrument.close()


@pytest.fixture
def sntj(visalib: str) -> Iterator[Sntj]:
    instrument = connect(Sntj, "sntj_sim", K2450, visalib)
    yield instrument
    instrument.close()


def test_connect_reads_the_model_and_sets_up_the_current_reading(visalib: str):
    for address, model in ((K2400, "2400"), (K2450, "2450")):
        smu = Keithley2400("smu_sim", address, visalib=visalib, timeout=1)
        try:  # the exact connect lines are pinned by the YAML's dialogues
            assert smu.model == model
            assert smu.IDN()["model"] == model  # qcodes strips "MODEL "
            assert smu.ask("SYST:ERR?") == '0,"No error"'  # the connect commands passed
            assert isinstance(smu, SMU)
            assert smu.output() is False  # nothing sourced at connect
        finally:
            smu.close()


def test_set_voltage_selects_voltage_sourcing_and_compliance_once(smu: Keithley2400):
    compliance = ":SENS:CURR:PROT" if smu.model == "2400" else ":SOUR:VOLT:ILIM"
    smu.sent.clear()
    smu.set_voltage(1e-3)
    smu.set_voltage(2e-3)
    assert [line for line in smu.sent if line != "SYST:ERR?"] == [
        ":SOUR:FUNC VOLT", f"{compliance} 0.001", ":SOUR:VOLT 0.001", ":SOUR:VOLT 0.002"]
    assert smu.sent.count("SYST:ERR?") == 4
    assert smu.voltage() == 2e-3 and smu.current_limit() == 1e-3


def test_current_needs_the_output_on_and_parses_each_dialect(smu: Keithley2400):
    with pytest.raises(InstrumentError, match="output off"):
        smu.current()
    assert ":READ?" not in smu.sent
    smu.output(True)
    assert smu.sent[-2:] == [":OUTP 1", "SYST:ERR?"]
    assert smu.current() == 2e-5  # 2400: field 2 of "VOLT,CURR"; 2450: the one value
    assert smu.sent[-1] == ":READ?"
    smu.output(False)
    assert smu.output() is False


def test_voltage_beyond_the_limit_is_an_interlock_not_sent(visalib: str):
    smu = connect(Keithley2400, "smu_sim", K2450, visalib,
                  options=Keithley2400Options(voltage_limit=0.5, current_limit=1e-4))
    try:
        for value in (0.6, -0.6):
            with pytest.raises(InterlockError, match=r"\+/-0.5 V"):
                smu.set_voltage(value)
        with pytest.raises(InterlockError, match="compliance"):
            smu.current_limit(1e-3)
        assert smu.sent == []
        smu.set_voltage(-0.5)  # at the limit
        assert smu.voltage() == -0.5
    finally:
        smu.close()


def test_sntj_bias_and_safe_state(sntj: Sntj):
    assert isinstance(sntj, NoiseSource) and isinstance(sntj, ShotNoiseSource)
    assert sntj.kind == "sntj" and sntj.resistance == 50.0
    assert sntj.bias() == 0.0  # output off
    sntj.set_bias(2e-3)
    assert sntj.bias() == 2e-3 and sntj.output() is True
    assert ":OUTP 1" in sntj.sent
    sntj.sent.clear()
    with pytest.raises(InterlockError):  # default limit: 10 mV
        sntj.set_bias(0.011)
    assert sntj.sent == []
    sntj.off()
    assert [line for line in sntj.sent if line != "SYST:ERR?"] == [":SOUR:VOLT 0.0", ":OUTP 0"]
    assert sntj.bias() == 0.0


def test_sntj_options():
    options = SntjOptions(resistance="49.6", voltage_limit="5 mV")
    assert options.voltage_limit == 5e-3 and options.current_limit == 1e-3
    with pytest.raises(ValueError):
        SntjOptions(voltage_limit=2.0)  # an SNTJ never needs volts
