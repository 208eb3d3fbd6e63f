"""KeysightN9030 against its pyvisa-sim file: the driver's command surface.

Each test gets a private copy of ``sim/pyvisa/keysight_n9030.yaml`` (pyvisa-sim
shares device state between sessions of one file); ``sent`` records every line
the driver writes. Spectra and channel power are tested against the twin.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.core.errors import InstrumentError
from cryochar.drivers.protocols import SpectrumAnalyser
from cryochar.drivers.spectrum.keysight_n9030 import KeysightN9030, N9030Options
from tests.unit.drivers.simulated import (
    assert_checked_setting,
    assert_refusal_names_the_command,
    assert_rejected_before_sending,
    connect,
)

ADDRESS = "TCPIP0::localhost::5025::SOCKET"
SIM_FILE = "keysight_n9030.yaml"  # served by the visalib fixture (conftest)


@pytest.fixture
def sa(visalib: str) -> Iterator[KeysightN9030]:
    instrument = connect(KeysightN9030, "n9030_sim", ADDRESS, visalib)
    yield instrument
    instrument.close()


def test_identity_and_connect_settings(visalib: str):
    sa = KeysightN9030("n9030_sim", ADDRESS, visalib=visalib, timeout=1)
    try:
        assert sa.IDN() == {"vendor": "Keysight Technologies", "model": "N9030B",
                            "serial": "MY55520123", "firmware": "A.33.03"}
        assert sa.ask("SYST:ERR?") == '+0,"No error"'  # FORM, BORD, INIT:CONT accepted
        assert isinstance(sa, SpectrumAnalyser)
    finally:
        sa.close()


@pytest.mark.parametrize(("name", "value", "command", "unit"), [
    ("center_frequency", 6e9, ":SENS:FREQ:CENT 6000000000.0", "Hz"),
    ("span", 10e6, ":SENS:FREQ:SPAN 10000000.0", "Hz"),
    ("rbw", 1e5, ":SENS:BAND:RES 100000.0", "Hz"),
    ("vbw", 1e3, ":SENS:BAND:VID 1000.0", "Hz"),
    ("points", 401, ":SENS:SWE:POIN 401", ""),
    ("sweep_time", 0.5, ":SENS:SWE:TIME 0.5", "s"),
    ("averages", 16, ":SENS:AVER:COUN 16", ""),
    ("averaging", True, ":SENS:AVER ON", ""),
    ("average_type", "RMS", ":SENS:AVER:TYPE RMS", ""),
    ("detector", "AVER", ":SENS:DET:TRAC AVER", ""),
    ("channel_span", 12e6, ":SENS:CHP:FREQ:SPAN 12000000.0", "Hz"),
    ("channel_bandwidth", 10e6, ":SENS:CHP:BAND:INT 10000000.0", "Hz"),
    ("channel_rbw", 3e5, ":SENS:CHP:BAND:RES 300000.0", "Hz"),
    ("channel_averages", 100, ":SENS:CHP:AVER:COUN 100", ""),
    ("channel_averaging", True, ":SENS:CHP:AVER ON", ""),
    ("noise_source_drive", True, ":SOUR:NOIS:STAT ON", ""),
])
def test_setting_sends_one_command_checks_errors_and_reads_back(
        sa: KeysightN9030, name: str, value, command: str, unit: str):
    assert_checked_setting(sa, name, value, command, unit)


@pytest.mark.parametrize(("name", "value"), [
    ("center_frequency", 1.0), ("center_frequency", 30e9), ("span", 5.0), ("rbw", 10e6),
    ("points", 0), ("averages", 10001), ("detector", "PEAK"), ("average_type", "VOLT"),
    ("channel_averaging", "yes"),
])
def test_out_of_range_values_raise_before_sending(sa: KeysightN9030, name: str, value):
    assert_rejected_before_sending(sa, name, value, (ValueError, TypeError))


def test_frequency_option_narrows_the_range(visalib: str):
    sa = KeysightN9030("n9030_503", ADDRESS, visalib=visalib, timeout=1,
                       options=N9030Options(max_frequency=3.6e9))
    try:
        with pytest.raises(ValueError):
            sa.center_frequency(6e9)
    finally:
        sa.close()


def test_frequency_beyond_the_instrument_is_an_instrument_error(visalib: str):
    sa = KeysightN9030("n9030_544", ADDRESS, visalib=visalib, timeout=1,
                       options=N9030Options(max_frequency=44e9))
    try:
        with pytest.raises(InstrumentError, match="-100"):  # the simulated one is a 526
            sa.center_frequency(40e9)
    finally:
        sa.close()


def test_configure_selects_the_swept_measurement_and_a_noise_detector(sa: KeysightN9030):
    sa.sent.clear()
    sa.configure(6e9, 20e6, 100e3, points=201, averages=10)
    assert [line for line in sa.sent if line != "SYST:ERR?"] == [
        ":CONF:SAN",
        ":SENS:FREQ:CENT 6000000000.0",
        ":SENS:FREQ:SPAN 20000000.0",
        ":SENS:BAND:RES 100000.0",
        ":SENS:SWE:POIN 201",
        ":SENS:DET:TRAC AVER",
        ":SENS:AVER:TYPE RMS",
        ":SENS:AVER:COUN 10",
        ":SENS:AVER ON",
    ]
    assert sa.sent.count("SYST:ERR?") == 9  # every setting is checked
    assert (sa.detector(), sa.average_type(), sa.averaging()) == ("AVER", "RMS", True)
    sa.configure(6e9, 20e6, 100e3)
    assert sa.sent[-2] == ":SENS:AVER OFF"


def test_noise_source_drive(sa: KeysightN9030):
    assert sa.noise_source_drive() is False  # off at power-up
    sa.set_noise_source_drive(True)
    assert sa.ask(":SOUR:NOIS:STAT?") == "ON"
    sa.set_noise_source_drive(False)
    assert sa.noise_source_drive() is False


def test_a_refused_setting_is_reported_with_the_command(sa: KeysightN9030):
    assert_refusal_names_the_command(sa, ":SENS:FREQ:CENT 0.5")
