"""Triton driver against its pyvisa-sim file: thermometry, the MC loop, limits.

Each test gets a fresh simulated Triton (its own copy of
``sim/pyvisa/triton.yaml``: pyvisa-sim shares device state between sessions of
one file). ``sent`` records every line the driver writes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    InstrumentError,
    InterlockError,
)
from cryochar.drivers import DRIVERS, TemperatureController
from cryochar.drivers.fridge.triton import Triton, TritonOptions, parse_stat
from tests.unit.drivers.simulated import connect

ADDRESS = "TCPIP0::localhost::33576::SOCKET"
SIM_FILE = "triton.yaml"  # served by the visalib fixture (conftest)
READINGS = {"pt1": 45.0, "pt2": 3.5, "still": 0.8, "cold_plate": 0.08, "mxc": 0.0123}
LIMITS = SafetyLimits(max_mxc_temperature=0.5, max_heater_power=0.005)
LOOP = "DEV:T8:TEMP:LOOP"


def open_triton(visalib: str, **kwargs) -> Triton:
    """Connect to the simulated Triton; ``triton.sent`` records every line written."""
    return connect(Triton, "triton_sim", ADDRESS, visalib, **kwargs)


@pytest.fixture
def triton(visalib: str) -> Iterator[Triton]:
    instrument = open_triton(visalib, limits=LIMITS)
    yield instrument
    instrument.close()


# -- identity, registry, parsing --------------------------------------------------------------
def test_idn_is_parsed_from_the_colon_separated_reply(triton: Triton):
    idn = {"vendor": "OXFORD INSTRUMENTS", "model": "TRITON", "serial": "TRITON-SIM-01",
           "firmware": "2.4.10"}
    assert triton.IDN() == idn
    assert triton.snapshot(update=False)["parameters"]["IDN"]["value"] == idn
    assert triton.sent == ["*IDN?"]


def test_terminator_is_lf_and_the_driver_is_a_temperature_controller(triton: Triton):
    assert triton.visa_handle.write_termination == "\n"
    assert triton.visa_handle.read_termination == "\n"
    assert isinstance(triton, TemperatureController)
    assert DRIVERS["triton"].load() is Triton
    assert DRIVERS["triton"].options_model() is TritonOptions
    assert DRIVERS["triton"].protocol is TemperatureController


def test_parse_stat_checks_the_reply_answers_the_command():
    assert parse_stat("STAT:DEV:T8:TEMP:SIG:TEMP:0.0123K", "DEV:T8:TEMP:SIG:TEMP") == "0.0123K"
    with pytest.raises(ValueError, match="does not answer"):
        parse_stat("STAT:DEV:T5:TEMP:SIG:TEMP:0.8K", "DEV:T8:TEMP:SIG:TEMP")
    with pytest.raises(LookupError):
        parse_stat("STAT:DEV:T9:TEMP:SIG:TEMP:NOT_FOUND", "DEV:T9:TEMP:SIG:TEMP")


# -- thermometry -------------------------------------------------------------------------------
def test_stage_temperatures_read_each_thermometer_in_kelvin(triton: Triton):
    temperatures = triton.stage_temperatures()
    assert temperatures == READINGS
    assert all(type(value) is float for value in temperatures.values())
    assert triton.sent == [f"READ:DEV:{t}:TEMP:SIG:TEMP" for t in ("T1", "T2", "T5", "T6", "T8")]


def test_mxc_temperature_and_parameters_with_units(triton: Triton):
    assert triton.mxc_temperature() == pytest.approx(0.0123)
    assert triton.sent == ["READ:DEV:T8:TEMP:SIG:TEMP"]
    assert triton.temperature_still() == pytest.approx(0.8)
    assert triton.temperature_mxc.unit == "K"
    assert triton.heater_power.unit == "W"
    assert triton.heater_range.unit == "A"
    assert triton.heater_range() == pytest.approx(1e-3)  # 1.000mA


def test_missing_thermometer_is_an_instrument_error(visalib: str):
    triton = open_triton(visalib, options=TritonOptions(channels={"mxc": "T9"}))
    try:
        with pytest.raises(InstrumentError) as info:
            triton.mxc_temperature()
        assert "answered NOT_FOUND" in info.value.message
        assert info.value.where == "triton_sim: 'READ:DEV:T9:TEMP:SIG:TEMP'"
    finally:
        triton.close()


def test_unknown_command_reply_is_a_communication_error(triton: Triton):
    with pytest.raises(CommunicationError, match="unexpected reply 'INVALID'"):
        triton.read("DEV:T3:TEMP:SIG:TEMP", "K")


# -- the MC loop -------------------------------------------------------------------------------
def test_set_mxc_temperature_sends_heater_setpoint_range_then_loop_on(triton: Triton):
    triton.set_mxc_temperature(0.05)
    assert triton.sent == [
        f"SET:{LOOP}:HTR:H1",
        f"SET:{LOOP}:TSET:0.05", f"READ:{LOOP}:TSET",
        f"SET:{LOOP}:RANGE:3.16", f"READ:{LOOP}:RANGE",
        f"SET:{LOOP}:MODE:ON", f"READ:{LOOP}:MODE",  # power flows only after the checks
    ]
    assert triton.mxc_setpoint() == pytest.approx(0.05)
    assert triton.heater_range() == pytest.approx(3.16e-3)
    assert triton.loop_mode() == "ON"


def test_heater_range_and_channel_come_from_the_options(visalib: str):
    options = TritonOptions(channels={"mxc": "T8", "still": "T5"}, heater_range="316 uA")
    triton = open_triton(visalib, options=options)
    try:
        assert triton.stage_temperatures() == {"mxc": 0.0123, "still": 0.8}
        triton.set_mxc_temperature(0.02)
        assert f"SET:{LOOP}:RANGE:0.316" in triton.sent
        assert triton.heater_range() == pytest.approx(316e-6)
    finally:
        triton.close()


def test_heater_off_switches_the_loop_off_and_zeroes_open_loop_power(triton: Triton):
    triton.set_mxc_temperature(0.05)
    triton.heater_power(20e-6)
    assert triton.sent[-1] == "SET:DEV:H1:HTR:SIG:POWR:20"  # microwatts
    assert triton.heater_power() == pytest.approx(20e-6)
    triton.sent.clear()
    triton.heater_off()
    assert triton.sent == [f"SET:{LOOP}:MODE:OFF", "SET:DEV:H1:HTR:SIG:POWR:0",
                           f"READ:{LOOP}:MODE"]
    assert triton.loop_mode() == "OFF"
    assert triton.heater_power() == 0.0


def test_invalid_reply_is_an_instrument_error_and_leaves_the_heater_off(visalib: str):
    triton = open_triton(visalib)
    try:
        with pytest.raises(InstrumentError) as info:
            triton.set_mxc_temperature(45.0)  # above the Triton's TSET range: INVALID
        assert "refused it (INVALID)" in info.value.message
        assert info.value.where == f"triton_sim: 'SET:{LOOP}:TSET:45'"
        assert triton.sent[-3:] == [f"SET:{LOOP}:MODE:OFF", "SET:DEV:H1:HTR:SIG:POWR:0",
                                    f"READ:{LOOP}:MODE"]
        assert triton.loop_mode() == "OFF"
    finally:
        triton.close()


def test_setpoint_the_triton_does_not_apply_fails_the_read_back(
        triton: Triton, monkeypatch: pytest.MonkeyPatch):
    real_read = triton.read
    with monkeypatch.context() as patch:  # undone before the fixture closes the driver
        patch.setattr(triton, "read", lambda path, unit=None: 0.07 if path.endswith("TSET")
                      else real_read(path, unit))
        with pytest.raises(InstrumentError, match=r"TSET reads back 0\.07, expected 0\.05"):
            triton.set_mxc_temperature(0.05)
    assert real_read(f"{LOOP}:MODE") == "OFF"
    assert f"SET:{LOOP}:MODE:ON" not in triton.sent


def test_setpoint_within_the_reply_resolution_is_accepted(triton: Triton):
    triton.set_mxc_temperature(0.123456789)
    assert f"SET:{LOOP}:TSET:0.123457" in triton.sent


# -- safety limits -----------------------------------------------------------------------------
@pytest.mark.parametrize(("setpoint", "says"), [
    (0.6, "exceeds the station limit 0.5 K"), (0.0, "not a temperature above 0 K"),
    (-1.0, "not a temperature above 0 K")])
def test_setpoints_outside_the_limits_are_interlocks_not_sent(triton: Triton, setpoint: float,
                                                               says: str):
    triton.sent.clear()
    with pytest.raises(InterlockError, match=says):
        triton.set_mxc_temperature(setpoint)
    assert triton.sent == []
    with pytest.raises(InterlockError):
        triton.mxc_setpoint(0.6)
    assert triton.sent == []
    assert triton.loop_mode() == "OFF"


def test_setpoint_at_the_limit_is_allowed(triton: Triton):
    triton.mxc_setpoint(0.5)  # the parameter goes through set_mxc_temperature
    assert triton.mxc_setpoint() == pytest.approx(0.5)


def test_heater_power_above_the_limit_is_an_interlock_not_sent(triton: Triton):
    triton.sent.clear()
    with pytest.raises(InterlockError, match=r"exceeds the station limit 0\.005 W"):
        triton.heater_power(0.01)
    assert triton.sent == []


def test_heater_range_above_the_power_limit_fails_before_connecting():
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # 10 mA into 100 ohm: 10 mW > 5 mW
    with pytest.raises(ConfigError) as info:
        Triton("triton_sim", f"TCPIP0::127.0.0.1::{port}::SOCKET", visalib="@py", timeout=1,
               limits=LIMITS, options=TritonOptions(heater_range=10e-3))
    assert info.value.where == "triton_sim: options.heater_range"
    assert "allows 0.01 W" in info.value.message


@pytest.mark.parametrize(("options", "says"), [
    ({"channels": {"still": "T5"}}, "must include 'mxc'"),
    ({"channels": {"mxc": "T17"}}, "named T1..T16"),
    ({"channels": {"mxc": "8"}}, "named T1..T16"),
    ({"heater_range": "2 mA"}, "heater_range must be one of"),
    ({"heater_range": "2 K"}, "expected a current"),
    ({"heater": "X1"}, "should match pattern"),
])
def test_bad_options_are_refused(options: dict, says: str):
    with pytest.raises(ValidationError, match=says):
        TritonOptions(**options)
