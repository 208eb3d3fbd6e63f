"""Lakeshore372 against its pyvisa-sim file: thermometry and the MXC heater.

Each test gets a fresh simulated bridge (its own copy of
``sim/pyvisa/lakeshore372.yaml``: pyvisa-sim shares device state between
sessions of one file). ``sent`` records every line the driver writes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, InstrumentError, InterlockError
from cryochar.drivers.fridge.lakeshore372 import Lakeshore372, Lakeshore372Options
from tests.unit.drivers.simulated import connect

ADDRESS = "TCPIP0::localhost::7777::SOCKET"
SIM_FILE = "lakeshore372.yaml"  # served by the visalib fixture (conftest)
# The readings the simulated bridge serves on channels 1, 2, 5, 6, 8, K.
READINGS = {"pt1": 45.0, "pt2": 3.5, "still": 0.8, "mxc": 0.0101, "cold_plate": 0.08}
SIM_LIMITS = SafetyLimits(max_mxc_temperature=0.5, max_heater_power=0.005)


def open_bridge(visalib: str, **kwargs) -> Lakeshore372:
    """Connect to the simulated bridge; ``bridge.sent`` records every line written."""
    bridge = connect(Lakeshore372, "ls372_sim", ADDRESS, visalib, **kwargs)
    # qcodes waits 0.5 s after SETP for real hardware; the simulation needs no wait.
    bridge.sample_heater.setpoint.post_delay = 0
    return bridge


@pytest.fixture
def bridge(visalib: str) -> Iterator[Lakeshore372]:
    instrument = open_bridge(visalib, limits=SIM_LIMITS)
    yield instrument
    instrument.close()


# -- identity and connection ----------------------------------------------------------
def test_idn_is_parsed_into_vendor_model_serial_firmware(bridge: Lakeshore372):
    idn = {"vendor": "LSCI", "model": "372", "serial": "LSA1234", "firmware": "1.8"}
    assert bridge.IDN() == idn
    assert bridge.snapshot(update=False)["parameters"]["IDN"]["value"] == idn
    assert bridge.sent == ["*IDN?"]


def test_snapshot_right_after_connect_carries_the_idn(bridge: Lakeshore372):
    assert bridge.snapshot(update=False)["parameters"]["IDN"]["value"]["model"] == "372"


def test_terminator_is_crlf(bridge: Lakeshore372):
    assert bridge.visa_handle.write_termination == "\r\n"
    assert bridge.visa_handle.read_termination == "\r\n"


# -- thermometry ---------------------------------------------------------------------------
def test_stage_temperatures_maps_stage_names_to_kelvin_readings(bridge: Lakeshore372):
    temperatures = bridge.stage_temperatures()
    assert temperatures == READINGS
    assert list(temperatures) == ["pt1", "pt2", "still", "mxc", "cold_plate"]
    assert all(type(value) is float for value in temperatures.values())
    assert bridge.sent == ["KRDG? 1", "KRDG? 2", "KRDG? 5", "KRDG? 6", "KRDG? 8"]


def test_mxc_temperature_reads_the_mxc_channel(bridge: Lakeshore372):
    assert bridge.mxc_temperature() == pytest.approx(0.0101)
    assert bridge.sent == ["KRDG? 6"]
    assert bridge.ch06.temperature() == pytest.approx(0.0101)  # qcodes' channel view
    assert bridge.ch06.temperature.unit == "K"


def test_channel_map_comes_from_the_options(visalib: str):
    options = Lakeshore372Options(channels={"mxc": 8, "still": 1})
    bridge = open_bridge(visalib, options=options)
    try:
        assert bridge.stage_temperatures() == {"mxc": 0.08, "still": 45.0}
        assert bridge.mxc_temperature() == pytest.approx(0.08)
    finally:
        bridge.close()


# -- mixing-chamber control --------------------------------------------------------------
def test_set_mxc_temperature_sends_closed_loop_setpoint_range_and_verifies(
        bridge: Lakeshore372):
    bridge.set_mxc_temperature(0.05)
    settings = [line for line in bridge.sent if "?" not in line]
    assert settings == [
        "OUTMODE 0, 5, 6, 0, 0, 1, 0",  # closed loop
        "OUTMODE 0, 5, 6, 0, 0, 1, 0",  # controlled by the MXC channel (qcodes resends the group)
        "SETP 0, 0.05",
        "RANGE 0, 5",
    ]
    assert bridge.sent[0] == "OUTMODE? 0"  # qcodes reads the OUTMODE group before changing it
    for setting, read_back in (("SETP 0, 0.05", "SETP? 0"), ("RANGE 0, 5", "RANGE? 0")):
        assert read_back in bridge.sent[bridge.sent.index(setting):]  # verified after setting
    assert bridge.ask("OUTMODE? 0") == "5,6,0,0,1,0"
    assert bridge.ask("SETP? 0") == "+5.0000E-02"
    assert bridge.ask("RANGE? 0") == "5"
    heater = bridge.sample_heater
    assert heater.mode() == "closed_loop"
    assert heater.input_channel() == 6
    assert heater.setpoint() == pytest.approx(0.05)
    assert heater.output_range() == "3.16mA"


def test_heater_range_and_control_channel_come_from_the_options(visalib: str):
    options = Lakeshore372Options(channels={"mxc": 2}, heater_range=3)
    bridge = open_bridge(visalib, options=options)
    try:
        bridge.set_mxc_temperature(0.1)
        assert "OUTMODE 0, 5, 2, 0, 0, 1, 0" in bridge.sent
        assert "RANGE 0, 3" in bridge.sent
        assert bridge.sample_heater.output_range() == "316μA"
    finally:
        bridge.close()


def test_heater_off_sets_range_zero_and_verifies(bridge: Lakeshore372):
    bridge.set_mxc_temperature(0.05)
    bridge.sent.clear()
    bridge.heater_off()
    assert bridge.sent == ["RANGE 0, 0", "RANGE? 0"]
    assert bridge.ask("RANGE? 0") == "0"
    assert bridge.sample_heater.output_range() == "off"


@pytest.fixture
def unlimited(visalib: str) -> Iterator[Lakeshore372]:
    instrument = open_bridge(visalib, limits=SafetyLimits())
    yield instrument
    instrument.close()


def test_setpoint_the_bridge_does_not_apply_fails_the_read_back(
        unlimited: Lakeshore372, monkeypatch: pytest.MonkeyPatch):
    """The 372 silently ignores what it cannot apply; only the read-back catches it."""
    monkeypatch.setattr(unlimited.sample_heater.setpoint, "get", lambda: 0.07)
    with pytest.raises(InstrumentError) as info:
        unlimited.set_mxc_temperature(0.05)
    assert "setpoint reads back 0.07, expected 0.05" in info.value.message


def test_non_positive_setpoint_is_refused_before_sending(bridge: Lakeshore372):
    bridge.sent.clear()
    with pytest.raises(InterlockError, match="not a temperature above 0 K"):
        bridge.set_mxc_temperature(-1.0)
    assert bridge.sent == []


def test_setpoint_within_the_reply_resolution_is_accepted(bridge: Lakeshore372):
    bridge.set_mxc_temperature(0.123456789)


def test_failed_setpoint_leaves_the_heater_off(unlimited: Lakeshore372,
                                               monkeypatch: pytest.MonkeyPatch):
    unlimited.set_mxc_temperature(0.05)
    assert unlimited.ask("RANGE? 0") != "0"
    monkeypatch.setattr(unlimited.sample_heater.setpoint, "get", lambda: 0.07)
    with pytest.raises(InstrumentError):
        unlimited.set_mxc_temperature(0.06)
    assert unlimited.ask("RANGE? 0") == "0"


# -- safety limits -------------------------------------------------------------------------
def test_setpoint_above_the_station_limit_is_an_interlock_not_sent(bridge: Lakeshore372):
    with pytest.raises(InterlockError) as info:
        bridge.set_mxc_temperature(0.6)
    assert "exceeds the station limit 0.5 K" in info.value.message
    assert bridge.sent == []
    assert bridge.ask("SETP? 0") == "+0.0000E+00"
    assert bridge.ask("RANGE? 0") == "0"


def test_setpoint_at_the_station_limit_is_allowed(bridge: Lakeshore372):
    bridge.set_mxc_temperature(0.5)
    assert bridge.sample_heater.setpoint() == pytest.approx(0.5)


def test_heater_range_above_the_power_limit_is_a_config_error(visalib: str):
    # range 5 is 3.16 mA: (3.16 mA)^2 * 120 ohm = 1.2 mW > 1 mW
    with pytest.raises(ConfigError) as info:
        Lakeshore372("ls372_sim", ADDRESS, visalib=visalib, timeout=1,
                     limits=SafetyLimits(max_heater_power=1e-3),
                     options=Lakeshore372Options(heater_range=5))
    assert info.value.where == "ls372_sim: options.heater_range"
    assert "allows 0.0012 W" in info.value.message
    assert info.value.exit_code == 2


def test_heater_range_above_the_power_limit_fails_before_connecting():
    """A bad configuration touches nothing: nobody listens, yet the error is the config."""
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConfigError):
        Lakeshore372("ls372_sim", f"TCPIP0::127.0.0.1::{port}::SOCKET", visalib="@py",
                     timeout=1, limits=SafetyLimits(max_heater_power=1e-3),
                     options=Lakeshore372Options(heater_range=5))


def test_heater_power_limit_uses_the_configured_resistance(visalib: str):
    # range 6 is 10 mA: 10 mA^2 * 40 ohm = 4 mW <= 5 mW
    options = Lakeshore372Options(heater_range=6, heater_resistance=40.0)
    bridge = open_bridge(visalib, limits=SIM_LIMITS, options=options)
    try:
        bridge.set_mxc_temperature(0.2)
        assert bridge.sample_heater.output_range() == "10mA"
    finally:
        bridge.close()
