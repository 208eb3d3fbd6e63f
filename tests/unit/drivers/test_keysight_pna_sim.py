"""KeysightPNA against its pyvisa-sim file: the driver's command surface.

Each test gets a fresh simulated instrument (its own copy of
``sim/pyvisa/keysight_pna.yaml``: pyvisa-sim shares device state between
sessions of one file). ``sent`` records every line the driver writes, so tests
can pin exact command strings and show that rejected values send nothing. What
every SCPI VNA driver does (identity, limits, refusals) is in ``test_vna_sim``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.core.errors import InstrumentError
from cryochar.drivers.vna.keysight_pna import KeysightPNA
from tests.unit.drivers.simulated import (
    assert_checked_setting,
    assert_rejected_before_sending,
    connect,
)

ADDRESS = "TCPIP0::localhost::5025::SOCKET"
SIM_FILE = "keysight_pna.yaml"  # served by the visalib fixture (conftest)


@pytest.fixture
def pna(visalib: str) -> Iterator[KeysightPNA]:
    instrument = connect(KeysightPNA, "pna_sim", ADDRESS, visalib)
    yield instrument
    instrument.close()


# -- parameters: exact commands, round trips, units (the shared headers: test_vna_sim) --
@pytest.mark.parametrize(("value", "command"), [(True, "OUTP 1"), (False, "OUTP 0")])
def test_rf_output_is_the_instruments_one_switch(pna: KeysightPNA, value: bool, command: str):
    assert_checked_setting(pna, "rf_output", value, command, "")


# -- validators: rejected before anything is sent (the shared lower ends: test_vna_sim) --
@pytest.mark.parametrize(("name", "value", "error"), [
    ("start_frequency", 1e6, ValueError),
    ("stop_frequency", 2e11, ValueError),
    ("points", 100004, ValueError),
    ("averages", 65537, ValueError),
    ("source_power", -100, ValueError),
    ("source_power", 25, ValueError),
])
def test_out_of_range_values_raise_before_sending(pna: KeysightPNA, name: str, value, error):
    assert_rejected_before_sending(pna, name, value, error)


# -- safety limits -----------------------------------------------------------------------
def test_without_a_limit_the_instrument_range_applies(pna: KeysightPNA):
    pna.set_source_power(20)
    assert pna.source_power() == 20.0


# -- capability methods ------------------------------------------------------------------
def test_configure_sweep_sends_the_whole_sweep_setup(pna: KeysightPNA):
    pna.sent.clear()
    pna.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    assert [line for line in pna.sent if line != "SYST:ERR?"] == [
        "SENS1:FREQ:STAR 4000000000.0",
        "SENS1:FREQ:STOP 8000000000.0",
        "SENS1:SWE:POIN 401",
        "SENS1:BAND 1000.0",
        "SENS1:AVER:COUN 4",
        "SENS1:AVER ON",
        "SENS1:SWE:MODE HOLD",
    ]
    assert pna.sent.count("SYST:ERR?") == 7  # every setting is checked
    assert (pna.start_frequency(), pna.stop_frequency(), pna.points(), pna.if_bandwidth(),
            pna.averages()) == (4e9, 8e9, 401, 1e3, 4)
    assert pna.ask("SENS1:AVER?") == "ON"
    assert pna.ask("SENS1:SWE:MODE?") == "HOLD"


def test_unknown_s_parameter_is_rejected_before_sending(pna: KeysightPNA):
    pna.sent.clear()
    with pytest.raises(ValueError, match="S31"):
        pna._define("S31")
    assert pna.sent == []


def test_measurement_definition_is_sent_once_per_parameter(pna: KeysightPNA):
    pna.sent.clear()
    pna._define("s21")
    pna._define("S21")
    assert pna.sent == ["CALC1:PAR:DEF:EXT 'cryochar_S21','S21'", "SYST:ERR?"]


# -- error queue -------------------------------------------------------------------------
def test_check_errors_drains_and_reports_every_queued_error(pna: KeysightPNA):
    pna.write("SENS1:BOGUS 1")
    pna.write("SENS1:BOGUS 2")
    with pytest.raises(InstrumentError) as info:
        pna.check_errors()
    assert info.value.message.count('-100,"Command error"') == 2
    pna.check_errors()  # nothing left
