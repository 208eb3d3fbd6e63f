"""VtLoad336 (a variable-temperature load on a Lakeshore 336) against
``sim/pyvisa/vt_load.yaml``: heater set-up, closed loop, interlocks, safe state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import ConfigError, InterlockError
from cryochar.drivers.noise.vt_load import VtLoad336, VtLoadOptions
from cryochar.drivers.protocols import NoiseSource, ThermalNoiseSource
from tests.unit.drivers.simulated import connect

ADDRESS = "TCPIP0::localhost::7777::SOCKET"
SIM_FILE = "vt_load.yaml"  # served by the visalib fixture (conftest)


def open_load(visalib: str, **kwargs) -> VtLoad336:
    load = connect(VtLoad336, "vt_sim", ADDRESS, visalib, **kwargs)
    load.heater.setpoint.post_delay = 0  # qcodes waits 0.5 s for hardware; not here
    return load


@pytest.fixture
def load(visalib: str) -> Iterator[VtLoad336]:
    instrument = open_load(visalib, limits=SafetyLimits(max_heater_power=0.005))
    yield instrument
    instrument.close()


def test_identity_reading_and_capability(load: VtLoad336):
    assert load.IDN()["model"] == "336"
    assert isinstance(load, NoiseSource) and isinstance(load, ThermalNoiseSource)
    assert load.kind == "vt_load"
    load.sent.clear()
    assert load.temperature() == 0.050012
    assert load.sent == ["KRDG? A"]


def test_set_temperature_sets_up_the_heater_then_the_loop(load: VtLoad336):
    load.set_temperature(0.05)
    writes = [line for line in load.sent if "?" not in line]
    assert writes == ["HTRSET 1,2,0,0.010,2", "OUTMODE 1, 1, 1, 0", "OUTMODE 1, 1, 1, 0",
                      "SETP 1, 0.05", "RANGE 1, 3"]
    assert "HTRSET? 1" in load.sent and "SETP? 1" in load.sent and "RANGE? 1" in load.sent
    assert (load.heater.mode(), load.heater.input_channel(), load.heater.setpoint(),
            load.heater.output_range()) == ("closed_loop", "A", 0.05, "high")
    load.sent.clear()
    load.set_temperature(0.1)  # the heater set-up is sent once per connection
    assert not any(line.startswith("HTRSET") for line in load.sent)


def test_setpoint_above_the_limit_is_an_interlock_not_sent(load: VtLoad336):
    for value in (5.5, 0.0, -1.0):
        with pytest.raises(InterlockError):
            load.set_temperature(value)
    assert load.sent == []


def test_off_is_range_zero_verified(load: VtLoad336):
    load.set_temperature(0.05)
    load.sent.clear()
    load.off()
    assert load.sent == ["RANGE 1, 0", "RANGE? 1"]
    assert load.heater.output_range() == "off"
    assert load.heater_off == load.off


def test_max_current_is_rounded_down_to_the_controllers_resolution():
    options = VtLoadOptions(max_current=0.0109, heater_resistance=100, heater_range="medium")
    assert options.user_current == 0.010
    assert options.max_power() == pytest.approx(0.010**2 * 100 * 0.1)


def test_heater_range_above_the_station_power_limit_is_refused_before_connecting():
    options = VtLoadOptions(max_current=0.02)  # 20 mA into 50 ohm: 20 mW on range high
    with pytest.raises(ValueError, match=r"allows 0\.02 W"):
        options.check_limits(SafetyLimits(max_heater_power=0.005))
    with pytest.raises(ConfigError):  # nothing is opened: the address is never reached
        VtLoad336("vt_bad", "TCPIP0::192.0.2.1::7777::SOCKET", options=options,
                  limits=SafetyLimits(max_heater_power=0.005))
