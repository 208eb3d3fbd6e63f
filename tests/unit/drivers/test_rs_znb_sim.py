"""RohdeSchwarzZNB against its pyvisa-sim file: the driver's command surface.

Each test gets a fresh simulated analyser (its own copy of
``sim/pyvisa/rs_znb.yaml``: pyvisa-sim shares device state between sessions of
one file). ``sent`` records every line the driver writes, so tests can pin exact
command strings and show that rejected values send nothing.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError, InstrumentTimeout, InterlockError
from cryochar.core.paths import default_file
from cryochar.drivers import DRIVERS, VNA
from cryochar.drivers.vna.rs_znb import RohdeSchwarzZNB, ZnbOptions, rs_quantity

ADDRESS = "TCPIP0::localhost::5025::SOCKET"
NO_ERROR = '0,"No error"'


@pytest.fixture
def visalib(tmp_path: Path) -> str:
    """A private copy of the shipped pyvisa-sim file, as a pyvisa ``visalib``."""
    copy = tmp_path / "rs_znb.yaml"
    shutil.copyfile(default_file("sim", "pyvisa/rs_znb.yaml"), copy)
    return f"{copy}@sim"


def open_znb(visalib: str, **kwargs) -> tuple[RohdeSchwarzZNB, list[str]]:
    """Connect to the simulated analyser; return it and its list of sent lines."""
    znb = RohdeSchwarzZNB("znb_sim", ADDRESS, visalib=visalib, timeout=1, **kwargs)
    sent: list[str] = []
    write = znb.visa_handle.write

    def recording_write(message: str, *args, **kw):
        sent.append(message)
        return write(message, *args, **kw)

    znb.visa_handle.write = recording_write  # queries go through write too
    return znb, sent


@pytest.fixture
def znb(visalib: str) -> Iterator[RohdeSchwarzZNB]:
    instrument, sent = open_znb(visalib)
    instrument.sent = sent
    yield instrument
    instrument.close()


@pytest.fixture
def limited_znb(visalib: str) -> Iterator[RohdeSchwarzZNB]:
    instrument, sent = open_znb(visalib, limits=SafetyLimits(max_source_power_dbm=-5))
    instrument.sent = sent
    yield instrument
    instrument.close()


# -- registry, identity and connection ------------------------------------------------
def test_registry_entry_names_the_driver_its_options_and_the_vna_protocol():
    info = DRIVERS["rs_znb"]
    assert (info.kind, info.protocol) == ("vna", VNA)
    assert info.load() is RohdeSchwarzZNB and info.options_model() is ZnbOptions
    assert {"ZNB8", "ZNB40", "ZNA26", "ZNA67"} <= set(info.models)


def test_driver_satisfies_the_vna_protocol(znb: RohdeSchwarzZNB):
    assert isinstance(znb, VNA)


def test_idn_is_parsed_into_vendor_model_serial_firmware(znb: RohdeSchwarzZNB):
    assert znb.IDN() == {"vendor": "Rohde-Schwarz", "model": "ZNB8-4Port",
                         "serial": "1311601062100104", "firmware": "3.45"}
    assert znb.snapshot(update=False)["parameters"]["IDN"]["value"]["model"] == "ZNB8-4Port"


def test_connect_selects_real64_little_endian_blocks_creates_the_channel_reads_traces(
        visalib: str, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        znb, _ = open_znb(visalib)
    try:
        assert znb.visa_handle.write_termination == "\n"
        assert znb.visa_handle.read_termination == "\n"
        assert znb._traces == {"TRC1": "S21"}
        assert znb.ask("SYST:ERR?") == NO_ERROR  # init left nothing on the error queue
        assert "not one this driver was written for" not in caplog.text  # ZNB8 is known
    finally:
        znb.close()


# -- parameters: exact commands, round trips, units -----------------------------------
@pytest.mark.parametrize(("name", "value", "command", "unit"), [
    ("start_frequency", 4e9, "SENS1:FREQ:STAR 4000000000.0", "Hz"),
    ("stop_frequency", 8.5e9, "SENS1:FREQ:STOP 8500000000.0", "Hz"),
    ("points", 1601, "SENS1:SWE:POIN 1601", ""),
    ("if_bandwidth", 1e3, "SENS1:BAND 1000.0", "Hz"),
    ("averages", 16, "SENS1:AVER:COUN 16", ""),
    ("sweep_count", 16, "SENS1:SWE:COUN 16", ""),
    ("source_power", -25.5, "SOUR1:POW -25.5", "dBm"),
    ("rf_output", True, "OUTP1 1", ""),
    ("rf_output", False, "OUTP1 0", ""),
])
def test_setting_sends_one_command_checks_errors_and_reads_back(
        znb: RohdeSchwarzZNB, name: str, value, command: str, unit: str):
    parameter = znb.parameters[name]
    znb.sent.clear()
    parameter.set(value)
    assert znb.sent == [command, "SYST:ERR?"]
    got = parameter.get()
    assert znb.sent[-1] == command.split(" ")[0] + "?"
    assert got == value
    assert type(got) is type(value)
    assert parameter.unit == unit


def test_sweep_time_is_read_only_in_seconds(znb: RohdeSchwarzZNB):
    assert znb.sweep_time() == pytest.approx(0.0251)
    assert znb.sweep_time.unit == "s"
    assert znb.sent[-1] == "SENS1:SWE:TIME?"
    assert not znb.sweep_time.settable


def test_channel_option_sets_the_command_suffix_and_creates_the_channel(visalib: str):
    znb, sent = open_znb(visalib, options=ZnbOptions(channel=2))
    try:
        assert znb._traces == {}  # the new channel is empty
        with pytest.raises(InstrumentError):  # the simulated file has settings of channel 1
            znb.points(11)
        assert sent[-3:] == ["SENS2:SWE:POIN 11", "SYST:ERR?", "SYST:ERR?"]  # error, 0
        assert znb._name("S21") == "cryochar_ch2_S21"  # trace names are unique per channel
    finally:
        znb.close()


# -- validators: rejected before anything is sent --------------------------------------
@pytest.mark.parametrize(("name", "value", "error"), [
    ("start_frequency", 1e3, ValueError),
    ("stop_frequency", 1e11, ValueError),
    ("points", 0, ValueError),
    ("points", 100002, ValueError),
    ("points", 10.5, TypeError),
    ("if_bandwidth", 0.5, ValueError),
    ("averages", 0, ValueError),
    ("averages", 1001, ValueError),
    ("sweep_count", 0, ValueError),
    ("source_power", -151, ValueError),
    ("source_power", 101, ValueError),
    ("rf_output", "on", ValueError),
])
def test_out_of_range_values_raise_before_sending(znb: RohdeSchwarzZNB, name: str, value,
                                                  error):
    znb.sent.clear()
    with pytest.raises(error):
        znb.parameters[name].set(value)
    assert znb.sent == []


def test_value_the_model_cannot_reach_is_an_instrument_error(znb: RohdeSchwarzZNB):
    """20 GHz passes the family-wide validator; the ZNB8 (8.5 GHz) refuses it."""
    znb.start_frequency(4e9)
    with pytest.raises(InstrumentError) as info:
        znb.start_frequency(20e9)
    assert not isinstance(info.value, InterlockError)
    assert "SENS1:FREQ:STAR 20000000000.0" in info.value.where
    assert znb.start_frequency() == 4e9  # not applied
    assert znb.ask("SYST:ERR?") == NO_ERROR  # the queue was drained


# -- safety limits -----------------------------------------------------------------------
def test_source_power_above_the_station_limit_is_an_interlock_not_sent(limited_znb):
    znb = limited_znb
    znb.source_power(-10.0)
    znb.sent.clear()
    with pytest.raises(InterlockError) as info:
        znb.source_power(0.0)
    assert "exceeds the station limit -5 dBm" in info.value.message
    with pytest.raises(InterlockError):
        znb.set_source_power(-4.5)
    assert znb.sent == []
    assert znb.source_power() == -10.0


def test_source_power_at_the_limit_is_allowed(limited_znb: RohdeSchwarzZNB):
    limited_znb.set_source_power(-5.0)
    assert limited_znb.source_power() == -5.0
    with pytest.raises(ValueError):  # the lower end is still the command's range
        limited_znb.source_power(-151)


# -- capability methods ------------------------------------------------------------------
def test_configure_sweep_sends_the_whole_sweep_setup(znb: RohdeSchwarzZNB):
    znb.sent.clear()
    znb.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    assert [line for line in znb.sent if line != "SYST:ERR?"] == [
        "SENS1:SWE:TYPE LIN",
        "SENS1:FREQ:STAR 4000000000.0",
        "SENS1:FREQ:STOP 8000000000.0",
        "SENS1:SWE:POIN 401",
        "SENS1:BAND 1000.0",
        "SENS1:AVER:COUN 4",
        "SENS1:AVER ON",
        "SENS1:SWE:COUN 4",  # one single sweep = one complete average
        "INIT1:CONT OFF",
    ]
    assert znb.sent.count("SYST:ERR?") == 9  # every setting is checked
    assert (znb.start_frequency(), znb.stop_frequency(), znb.points(), znb.if_bandwidth(),
            znb.averages(), znb.sweep_count()) == (4e9, 8e9, 401, 1e3, 4, 4)
    assert znb.ask("SENS1:AVER?") == "ON"


def test_configure_sweep_without_averaging_switches_it_off(znb: RohdeSchwarzZNB):
    znb.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    znb.configure_sweep(5e9, 6e9, 11, 100.0)
    assert "SENS1:AVER OFF" in znb.sent
    assert znb.ask("SENS1:AVER?") == "OFF"
    assert (znb.averages(), znb.sweep_count()) == (1, 1)


def test_configure_sweep_stops_at_the_first_refused_setting(znb: RohdeSchwarzZNB):
    znb.sent.clear()
    with pytest.raises(InstrumentError):
        znb.configure_sweep(4e9, 30e9, 401, 1e3)
    assert znb.sent[-3:] == ["SENS1:FREQ:STOP 30000000000.0", "SYST:ERR?", "SYST:ERR?"]
    assert "SENS1:SWE:POIN 401" not in znb.sent


def test_rf_output_switch(znb: RohdeSchwarzZNB):
    znb.set_rf_output(False)
    assert znb.ask("OUTP1?") == "0"
    znb.set_rf_output(True)
    assert znb.rf_output() is True


@pytest.mark.parametrize(("given", "quantity"), [
    ("s21", "S21"), ("S12", "S12"), ("a2/b2,1", "A2D1/B2D1"), ("a1/b1,2", "A1D2/B1D2"),
    ("b2,1", "B2D1"), ("A2D1/B2D1", "A2D1/B2D1"), ("b2d1sam/a1d1sam", "B2D1SAM/A1D1SAM"),
    ("B2/A1", "B2/A1")])
def test_quantities_in_rs_and_logical_receiver_notation(given: str, quantity: str):
    assert rs_quantity(given) == quantity


@pytest.mark.parametrize("bad", ["S31x", "S33", "A2/B2/A1", "C1D1", "A2D1//B2D1", "", "x2/b2,1"])
def test_unknown_quantity_is_rejected_before_sending(znb: RohdeSchwarzZNB, bad: str):
    znb.sent.clear()
    with pytest.raises(ValueError, match="unknown quantity"):
        znb.measure_s_parameters([bad])
    assert znb.sent == []


def test_trace_definition_is_sent_once_per_quantity(znb: RohdeSchwarzZNB):
    znb.sent.clear()
    znb._define("S21")
    znb._define("S21")
    znb._define(rs_quantity("a2/b2,1"))
    assert [line for line in znb.sent if line != "SYST:ERR?"] == [
        "CALC1:PAR:SDEF 'cryochar_ch1_S21','S21'",
        "CALC1:PAR:SDEF 'cryochar_ch1_A2D1_B2D1','A2D1/B2D1'"]


def test_traces_left_by_an_earlier_session_are_reused_or_re_pointed(znb: RohdeSchwarzZNB):
    znb._traces.update({"CRYOCHAR_CH1_S21": "S12", "CRYOCHAR_CH1_S11": "S11"})  # as catalogued
    znb.sent.clear()
    znb._define("S11")  # exists with the right quantity: nothing sent
    znb._define("S21")  # exists measuring something else: MEASure, not a duplicate SDEFine
    assert znb.sent == ["CALC1:PAR:MEAS 'cryochar_ch1_S21','S21'", "SYST:ERR?"]


def test_sweep_is_one_trigger_and_one_opc_query_with_the_timeout_extended(znb):
    znb.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    seen = []
    ask = znb.visa_handle.query

    def recording_query(message: str, *args, **kw):
        seen.append((message, znb.visa_handle.timeout))
        return ask(message, *args, **kw)

    znb.visa_handle.query = recording_query
    znb.sent.clear()
    znb._sweep_and_wait()
    assert znb.sent == ["SENS1:SWE:TIME?", "SENS1:AVER:CLE", "INIT1:IMM;*OPC?"]
    assert seen[-1] == ("INIT1:IMM;*OPC?", pytest.approx(1000 + 1500 * 0.0251 * 4, abs=1))
    assert znb.visa_handle.timeout == 1000  # restored


# -- error queue -------------------------------------------------------------------------
def test_write_checked_raises_on_an_error_in_the_queue(znb: RohdeSchwarzZNB):
    with pytest.raises(InstrumentError) as info:
        znb.write_checked("SENS1:BOGUS 1")
    assert info.value.where == "znb_sim: 'SENS1:BOGUS 1'"
    assert '-100,"Command error"' in info.value.message
    znb.write_checked("SENS1:SWE:POIN 11")  # the queue is empty again
    assert znb.points() == 11


def test_unanswered_query_is_a_timeout(znb: RohdeSchwarzZNB):
    znb.timeout(0.2)
    with pytest.raises(InstrumentTimeout) as info:
        znb.ask("SENS1:BOGUS?")
    assert "SENS1:BOGUS?" in info.value.where
