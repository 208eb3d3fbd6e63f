"""KeysightPNA against its pyvisa-sim file: the driver's command surface.

Each test gets a fresh simulated instrument (its own copy of
``sim/pyvisa/keysight_pna.yaml``: pyvisa-sim shares device state between
sessions of one file). ``sent`` records every line the driver writes, so tests
can pin exact command strings and show that rejected values send nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError, InstrumentTimeout, InterlockError
from cryochar.core.paths import default_file
from cryochar.drivers.vna.keysight_pna import KeysightPNA, PnaOptions

ADDRESS = "TCPIP0::localhost::5025::SOCKET"
NO_ERROR = '+0,"No error"'


@pytest.fixture
def visalib(tmp_path: Path) -> str:
    """A private copy of the shipped pyvisa-sim file, as a pyvisa ``visalib``."""
    copy = tmp_path / "keysight_pna.yaml"
    shutil.copyfile(default_file("sim", "pyvisa/keysight_pna.yaml"), copy)
    return f"{copy}@sim"


def open_pna(visalib: str, **kwargs) -> tuple[KeysightPNA, list[str]]:
    """Connect a PNA to the simulated device; return it and its list of sent lines."""
    pna = KeysightPNA("pna_sim", ADDRESS, visalib=visalib, timeout=1, **kwargs)
    sent: list[str] = []
    write = pna.visa_handle.write

    def recording_write(message: str, *args, **kw):
        sent.append(message)
        return write(message, *args, **kw)

    pna.visa_handle.write = recording_write  # queries go through write too
    return pna, sent


@pytest.fixture
def pna(visalib: str) -> Iterator[KeysightPNA]:
    instrument, sent = open_pna(visalib)
    instrument.sent = sent
    yield instrument
    instrument.close()


@pytest.fixture
def limited_pna(visalib: str) -> Iterator[KeysightPNA]:
    instrument, sent = open_pna(visalib, limits=SafetyLimits(max_source_power_dbm=0))
    instrument.sent = sent
    yield instrument
    instrument.close()


# -- identity and connection ----------------------------------------------------------
def test_idn_is_parsed_into_vendor_model_serial_firmware(pna: KeysightPNA):
    idn = {"vendor": "Keysight Technologies", "model": "N5222B", "serial": "MY12345678",
           "firmware": "A.16.20.06"}
    assert pna.IDN() == idn
    assert pna.snapshot(update=True)["parameters"]["IDN"]["value"] == idn


def test_snapshot_right_after_connect_carries_the_idn(pna: KeysightPNA):
    assert pna.snapshot(update=False)["parameters"]["IDN"]["value"]["model"] == "N5222B"


def test_connect_selects_real64_little_endian_blocks_and_checks_errors(visalib: str):
    pna = KeysightPNA("pna_sim", ADDRESS, visalib=visalib, timeout=1)
    try:
        assert pna.visa_handle.write_termination == "\n"
        assert pna.visa_handle.read_termination == "\n"
        assert pna.ask("SYST:ERR?") == NO_ERROR  # init left nothing on the error queue
    finally:
        pna.close()


# -- parameters: exact commands, round trips, units -----------------------------------
@pytest.mark.parametrize(("name", "value", "command", "unit"), [
    ("start_frequency", 4e9, "SENS1:FREQ:STAR 4000000000.0", "Hz"),
    ("stop_frequency", 8.5e9, "SENS1:FREQ:STOP 8500000000.0", "Hz"),
    ("points", 1601, "SENS1:SWE:POIN 1601", ""),
    ("if_bandwidth", 1e3, "SENS1:BAND 1000.0", "Hz"),
    ("averages", 16, "SENS1:AVER:COUN 16", ""),
    ("source_power", -25.5, "SOUR1:POW -25.5", "dBm"),
    ("rf_output", True, "OUTP 1", ""),
    ("rf_output", False, "OUTP 0", ""),
])
def test_setting_sends_one_command_checks_errors_and_reads_back(
        pna: KeysightPNA, name: str, value, command: str, unit: str):
    parameter = pna.parameters[name]
    pna.sent.clear()
    parameter.set(value)
    assert pna.sent == [command, "SYST:ERR?"]
    got = parameter.get()
    assert pna.sent[-1] == command.split(" ")[0] + "?"
    assert got == value
    assert type(got) is type(value)
    assert parameter.unit == unit


def test_sweep_time_is_read_only_in_seconds(pna: KeysightPNA):
    assert pna.sweep_time() == pytest.approx(0.0125)
    assert pna.sweep_time.unit == "s"
    assert pna.sent[-1] == "SENS1:SWE:TIME?"
    assert not pna.sweep_time.settable


def test_channel_option_sets_the_command_suffix(visalib: str):
    pna, sent = open_pna(visalib, options=PnaOptions(channel=2))
    try:
        with pytest.raises(InstrumentError):  # the simulated PNA has channel 1 only
            pna.points(11)
        assert sent[-3:] == ["SENS2:SWE:POIN 11", "SYST:ERR?", "SYST:ERR?"]  # error, +0
    finally:
        pna.close()


# -- validators: rejected before anything is sent --------------------------------------
@pytest.mark.parametrize(("name", "value", "error"), [
    ("start_frequency", 1e6, ValueError),
    ("stop_frequency", 2e11, ValueError),
    ("points", 0, ValueError),
    ("points", 100004, ValueError),
    ("points", 10.5, TypeError),
    ("if_bandwidth", 0.5, ValueError),
    ("averages", 0, ValueError),
    ("source_power", -100, ValueError),
    ("source_power", 25, ValueError),
    ("rf_output", "on", ValueError),
])
def test_out_of_range_values_raise_before_sending(pna: KeysightPNA, name: str, value, error):
    pna.sent.clear()
    with pytest.raises(error):
        pna.parameters[name].set(value)
    assert pna.sent == []


def test_value_the_model_cannot_reach_is_an_instrument_error(pna: KeysightPNA):
    """50 GHz passes the family-wide validator; the N5222B (26.5 GHz) refuses it."""
    pna.start_frequency(4e9)
    with pytest.raises(InstrumentError) as info:
        pna.start_frequency(50e9)
    assert not isinstance(info.value, InterlockError)
    assert "SENS1:FREQ:STAR 50000000000.0" in info.value.where
    assert "-100" in info.value.message
    assert pna.start_frequency() == 4e9  # not applied
    assert pna.ask("SYST:ERR?") == NO_ERROR  # the queue was drained


# -- safety limits -----------------------------------------------------------------------
def test_source_power_above_the_station_limit_is_an_interlock_not_sent(limited_pna):
    pna = limited_pna
    pna.source_power(-10.0)
    pna.sent.clear()
    with pytest.raises(InterlockError) as info:
        pna.source_power(5.0)
    assert "exceeds the station limit 0 dBm" in info.value.message
    with pytest.raises(InterlockError):
        pna.set_source_power(0.5)
    assert pna.sent == []
    assert pna.source_power() == -10.0


def test_source_power_at_the_limit_is_allowed(limited_pna: KeysightPNA):
    limited_pna.set_source_power(0.0)
    assert limited_pna.source_power() == 0.0
    with pytest.raises(ValueError):  # the lower end is still the instrument's range
        limited_pna.source_power(-91)


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


def test_configure_sweep_without_averaging_switches_it_off(pna: KeysightPNA):
    pna.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    pna.configure_sweep(5e9, 6e9, 11, 100.0)
    assert "SENS1:AVER OFF" in pna.sent
    assert pna.ask("SENS1:AVER?") == "OFF"
    assert pna.averages() == 1


def test_configure_sweep_stops_at_the_first_refused_setting(pna: KeysightPNA):
    pna.sent.clear()
    with pytest.raises(InstrumentError):
        pna.configure_sweep(4e9, 30e9, 401, 1e3)
    assert pna.sent[-3:] == ["SENS1:FREQ:STOP 30000000000.0", "SYST:ERR?", "SYST:ERR?"]
    assert "SENS1:SWE:POIN 401" not in pna.sent


def test_rf_output_switch(pna: KeysightPNA):
    pna.set_rf_output(True)
    assert pna.ask("OUTP?") == "1"
    pna.set_rf_output(False)
    assert pna.rf_output() is False


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
def test_write_checked_raises_on_an_error_in_the_queue(pna: KeysightPNA):
    with pytest.raises(InstrumentError) as info:
        pna.write_checked("SENS1:BOGUS 1")
    assert info.value.where == "pna_sim: 'SENS1:BOGUS 1'"
    assert '-100,"Command error"' in info.value.message
    pna.write_checked("SENS1:SWE:POIN 11")  # the queue is empty again
    assert pna.points() == 11


def test_check_errors_drains_and_reports_every_queued_error(pna: KeysightPNA):
    pna.write("SENS1:BOGUS 1")
    pna.write("SENS1:BOGUS 2")
    with pytest.raises(InstrumentError) as info:
        pna.check_errors()
    assert info.value.message.count('-100,"Command error"') == 2
    pna.check_errors()  # nothing left


def test_unanswered_query_is_a_timeout(pna: KeysightPNA):
    pna.timeout(0.2)
    with pytest.raises(InstrumentTimeout) as info:
        pna.ask("SENS1:BOGUS?")
    assert "SENS1:BOGUS?" in info.value.where
