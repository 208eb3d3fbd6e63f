"""RohdeSchwarzZNB against its pyvisa-sim file: the driver's command surface.

Each test gets a fresh simulated analyser (its own copy of
``sim/pyvisa/rs_znb.yaml``: pyvisa-sim shares device state between sessions of
one file). ``sent`` records every line the driver writes, so tests can pin exact
command strings and show that rejected values send nothing. What every SCPI VNA
driver does (identity, limits, refusals) is in ``test_vna_sim``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from cryochar.drivers import DRIVERS, VNA
from cryochar.drivers.vna.rs_znb import RohdeSchwarzZNB, ZnbOptions, rs_quantity
from tests.unit.drivers.simulated import (
    assert_checked_setting,
    assert_rejected_before_sending,
    connect,
)

ADDRESS = "TCPIP0::localhost::5025::SOCKET"
SIM_FILE = "rs_znb.yaml"  # served by the visalib fixture (conftest)


@pytest.fixture
def znb(visalib: str) -> Iterator[RohdeSchwarzZNB]:
    instrument = connect(RohdeSchwarzZNB, "znb_sim", ADDRESS, visalib)
    yield instrument
    instrument.close()


# -- registry, identity and connection ------------------------------------------------
def test_registry_entry_names_the_driver_its_options_and_the_vna_protocol():
    info = DRIVERS["rs_znb"]
    assert (info.kind, info.protocol) == ("vna", VNA)
    assert info.load() is RohdeSchwarzZNB and info.options_model() is ZnbOptions
    assert {"ZNB8", "ZNB40", "ZNA26", "ZNA67"} <= set(info.models)


def test_connect_creates_the_channel_and_reads_its_traces(visalib: str,
                                                          caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        znb = connect(RohdeSchwarzZNB, "znb_sim", ADDRESS, visalib)
    try:
        assert znb._traces == {"TRC1": "S21"}
        assert "not one this driver was written for" not in caplog.text  # ZNB8 is known
    finally:
        znb.close()


# -- parameters: exact commands, round trips, units (the shared headers: test_vna_sim) --
@pytest.mark.parametrize(("name", "value", "command"), [
    ("sweep_count", 16, "SENS1:SWE:COUN 16"),
    ("rf_output", True, "OUTP1 1"),
    ("rf_output", False, "OUTP1 0"),
])
def test_setting_sends_one_command_checks_errors_and_reads_back(
        znb: RohdeSchwarzZNB, name: str, value, command: str):
    assert_checked_setting(znb, name, value, command, "")


def test_a_new_channel_is_created_empty_and_names_its_own_traces(visalib: str):
    znb = connect(RohdeSchwarzZNB, "znb_sim", ADDRESS, visalib, options=ZnbOptions(channel=2))
    try:
        assert znb._traces == {}  # CONF:CHAN2:STAT ON created it; it has no trace yet
        assert znb._name("S21") == "cryochar_ch2_S21"  # trace names are unique per channel
    finally:
        znb.close()


# -- validators: rejected before anything is sent (the shared lower ends: test_vna_sim) --
@pytest.mark.parametrize(("name", "value", "error"), [
    ("start_frequency", 1e3, ValueError),
    ("stop_frequency", 1e11, ValueError),
    ("points", 100002, ValueError),
    ("averages", 1001, ValueError),
    ("sweep_count", 0, ValueError),
    ("source_power", -151, ValueError),
    ("source_power", 101, ValueError),
])
def test_out_of_range_values_raise_before_sending(znb: RohdeSchwarzZNB, name: str, value,
                                                  error):
    assert_rejected_before_sending(znb, name, value, error)


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
