"""What every SCPI VNA driver must do, run against each one's pyvisa-sim file: identity,
clean connect, read-only sweep time, refusals by the instrument and by the station's
source-power limit, sweep set-up that stops at the first refused setting, the RF
switch, and error-queue and timeout reporting. Each driver's own module pins its
command dialect (parameter headers, trace handling, sweep triggering)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import InstrumentError, InterlockError
from cryochar.drivers import VNA
from cryochar.drivers.vna.keysight_pna import KeysightPNA, PnaOptions
from cryochar.drivers.vna.rs_znb import RohdeSchwarzZNB, ZnbOptions
from tests.unit.drivers.simulated import (
    assert_checked_setting,
    assert_refusal_names_the_command,
    assert_rejected_before_sending,
    assert_unanswered_query_times_out,
    connect,
    private_copy,
)

ADDRESS = "TCPIP0::localhost::5025::SOCKET"


@dataclass(frozen=True)
class SimulatedVna:
    """A driver and what its pyvisa-sim file serves."""

    driver: type
    options: type
    file: str
    name: str
    idn: dict[str, str]
    no_error: str  # the empty error queue's reply
    sweep_time: float  # s, one sweep of the simulated set-up
    unreachable: float  # Hz: inside the family's range, beyond the simulated model's
    power_limit: float  # dBm, the station limit of the ``limited`` fixture
    below_range: float  # dBm, below the source-power command's range
    rf_query: str  # the RF switch's query
    follow_averages: tuple[str, ...]  # parameters that configure_sweep sets to ``averages``


VNAS = {
    "keysight_pna": SimulatedVna(
        KeysightPNA, PnaOptions, "keysight_pna.yaml", "pna_sim",
        {"vendor": "Keysight Technologies", "model": "N5222B", "serial": "MY12345678",
         "firmware": "A.16.20.06"},
        '+0,"No error"', 0.0125, 50e9, 0.0, -91, "OUTP?", ("averages",)),
    "rs_znb": SimulatedVna(
        RohdeSchwarzZNB, ZnbOptions, "rs_znb.yaml", "znb_sim",
        {"vendor": "Rohde-Schwarz", "model": "ZNB8-4Port", "serial": "1311601062100104",
         "firmware": "3.45"},
        '0,"No error"', 0.0251, 20e9, -5.0, -151, "OUTP1?", ("averages", "sweep_count")),
}


@pytest.fixture(params=sorted(VNAS))
def case(request: pytest.FixtureRequest) -> SimulatedVna:
    return VNAS[request.param]


def _connected(case: SimulatedVna, tmp_path: Path, **kwargs: Any) -> Any:
    return connect(case.driver, case.name, ADDRESS, private_copy(tmp_path, case.file),
                   **kwargs)


@pytest.fixture
def vna(case: SimulatedVna, tmp_path: Path) -> Iterator[Any]:
    instrument = _connected(case, tmp_path)
    yield instrument
    instrument.close()


@pytest.fixture
def limited(case: SimulatedVna, tmp_path: Path) -> Iterator[Any]:
    instrument = _connected(case, tmp_path,
                            limits=SafetyLimits(max_source_power_dbm=case.power_limit))
    yield instrument
    instrument.close()


# -- identity and connection ----------------------------------------------------------
def test_idn_is_parsed_and_in_the_snapshot_right_after_connect(vna, case: SimulatedVna):
    assert vna.snapshot(update=False)["parameters"]["IDN"]["value"] == case.idn
    assert vna.IDN() == case.idn
    assert vna.snapshot(update=True)["parameters"]["IDN"]["value"] == case.idn
    assert isinstance(vna, VNA)


def test_connect_leaves_lf_terminators_and_an_empty_error_queue(vna, case: SimulatedVna):
    assert vna.visa_handle.write_termination == "\n"
    assert vna.visa_handle.read_termination == "\n"
    assert vna.ask("SYST:ERR?") == case.no_error  # init left nothing on the error queue


# -- channel settings: the SCPI headers both dialects share -------------------------------
@pytest.mark.parametrize(("name", "value", "command", "unit"), [
    ("start_frequency", 4e9, "SENS1:FREQ:STAR 4000000000.0", "Hz"),
    ("stop_frequency", 8.5e9, "SENS1:FREQ:STOP 8500000000.0", "Hz"),
    ("points", 1601, "SENS1:SWE:POIN 1601", ""),
    ("if_bandwidth", 1e3, "SENS1:BAND 1000.0", "Hz"),
    ("averages", 16, "SENS1:AVER:COUN 16", ""),
    ("source_power", -25.5, "SOUR1:POW -25.5", "dBm"),
])
def test_setting_sends_one_command_checks_errors_and_reads_back(
        vna, name: str, value, command: str, unit: str):
    assert_checked_setting(vna, name, value, command, unit)


@pytest.mark.parametrize(("name", "value", "error"), [
    ("points", 0, ValueError),
    ("points", 10.5, TypeError),
    ("if_bandwidth", 0.5, ValueError),
    ("averages", 0, ValueError),
    ("rf_output", "on", ValueError),
])
def test_out_of_range_values_raise_before_sending(vna, name: str, value, error):
    assert_rejected_before_sending(vna, name, value, error)


def test_channel_option_sets_the_command_suffix(case: SimulatedVna, tmp_path: Path):
    vna = _connected(case, tmp_path, options=case.options(channel=2))
    try:
        with pytest.raises(InstrumentError):  # the simulated files set up channel 1 only
            vna.points(11)
        assert vna.sent[-3:] == ["SENS2:SWE:POIN 11", "SYST:ERR?", "SYST:ERR?"]  # error, none
    finally:
        vna.close()


def test_sweep_time_is_read_only_in_seconds(vna, case: SimulatedVna):
    assert vna.sweep_time() == pytest.approx(case.sweep_time)
    assert vna.sweep_time.unit == "s"
    assert vna.sent[-1] == "SENS1:SWE:TIME?"
    assert not vna.sweep_time.settable


# -- refusals ---------------------------------------------------------------------------
def test_value_the_model_cannot_reach_is_an_instrument_error(vna, case: SimulatedVna):
    """The frequency passes the family-wide validator; the simulated model refuses it."""
    vna.start_frequency(4e9)
    with pytest.raises(InstrumentError) as info:
        vna.start_frequency(case.unreachable)
    assert not isinstance(info.value, InterlockError)
    assert f"SENS1:FREQ:STAR {case.unreachable!r}" in info.value.where
    assert "-100" in info.value.message
    assert vna.start_frequency() == 4e9  # not applied
    assert vna.ask("SYST:ERR?") == case.no_error  # the queue was drained


def test_source_power_above_the_station_limit_is_an_interlock_not_sent(limited,
                                                                       case: SimulatedVna):
    limit = case.power_limit
    limited.source_power(-10.0)
    limited.sent.clear()
    with pytest.raises(InterlockError) as info:
        limited.source_power(limit + 5)
    assert f"exceeds the station limit {limit:g} dBm" in info.value.message
    with pytest.raises(InterlockError):
        limited.set_source_power(limit + 0.5)
    assert limited.sent == []
    assert limited.source_power() == -10.0


def test_source_power_at_the_limit_is_allowed(limited, case: SimulatedVna):
    limited.set_source_power(case.power_limit)
    assert limited.source_power() == case.power_limit
    with pytest.raises(ValueError):  # the lower end is still the command's range
        limited.source_power(case.below_range)


# -- capability methods ------------------------------------------------------------------
def test_configure_sweep_without_averaging_switches_it_off(vna, case: SimulatedVna):
    vna.configure_sweep(4e9, 8e9, 401, 1e3, averages=4)
    vna.configure_sweep(5e9, 6e9, 11, 100.0)
    assert "SENS1:AVER OFF" in vna.sent
    assert vna.ask("SENS1:AVER?") == "OFF"
    assert [vna.parameters[name]() for name in case.follow_averages] == [1] * len(
        case.follow_averages)


def test_configure_sweep_stops_at_the_first_refused_setting(vna):
    vna.sent.clear()
    with pytest.raises(InstrumentError):
        vna.configure_sweep(4e9, 30e9, 401, 1e3)
    assert vna.sent[-3:] == ["SENS1:FREQ:STOP 30000000000.0", "SYST:ERR?", "SYST:ERR?"]
    assert "SENS1:SWE:POIN 401" not in vna.sent


def test_rf_output_switch(vna, case: SimulatedVna):
    for on in (True, False, True):
        vna.set_rf_output(on)
        assert vna.ask(case.rf_query) == str(int(on))
        assert vna.rf_output() is on


# -- error queue -------------------------------------------------------------------------
def test_write_checked_raises_on_an_error_in_the_queue(vna):
    error = assert_refusal_names_the_command(vna, "SENS1:BOGUS 1")
    assert '-100,"Command error"' in error.message
    vna.write_checked("SENS1:SWE:POIN 11")  # the queue is empty again
    assert vna.points() == 11


def test_unanswered_query_is_a_timeout(vna):
    assert_unanswered_query_times_out(vna, "SENS1:BOGUS?")
