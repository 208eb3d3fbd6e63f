"""Each sequence refuses a planned power or MXC setpoint above the station's limits
(the one shared check, sequences.base.check_setpoint_limits), naming the parameter."""

from __future__ import annotations

import pytest

from cryochar import api
from cryochar.core.errors import ConfigError

CASES = [
    ("s21_sweep", {"powers_dbm": [-30, 5]}, "source power 5 dBm", "parameters.powers_dbm"),
    ("s21_sweep", {"mxc_temperatures": [0.02, 2.0]}, "MXC setpoint 2 K",
     "parameters.mxc_temperatures"),
    ("two_port_calibration", {"power_dbm": 5}, "source power 5 dBm", "parameters.power_dbm"),
    ("two_port_calibration", {"mxc_temperature": 2.0}, "MXC setpoint 2 K",
     "parameters.mxc_temperature"),
    ("attenuator_thermalisation", {"mxc_temperatures": [0.02, 0.05, 2.0]},
     "MXC setpoint 2 K", "parameters.mxc_temperatures"),
]


@pytest.mark.parametrize(("recipe", "overrides", "what", "where"), CASES)
def test_setpoints_above_the_station_limits_are_refused(recipe, overrides, what, where):
    with pytest.raises(ConfigError) as info:
        api.prepare(recipe, overrides=overrides)
    line = info.value.one_line()
    assert what in line and "exceeds the station limit" in line and where in line


@pytest.mark.parametrize("recipe", ["s21_sweep", "two_port_calibration",
                                    "attenuator_thermalisation"])
def test_shipped_recipes_are_within_the_limits(recipe):
    api.prepare(recipe)
