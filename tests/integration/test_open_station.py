"""``cryochar.api.open_station``: a station file as a connected qcodes Station (the twin
served for a simulated one), validated first, locked, closed and unlocked on exit."""

from __future__ import annotations

import subprocess
import sys

import pytest
import qcodes

from cryochar import api
from cryochar.core.errors import ConfigError
from cryochar.drivers import VNA, TemperatureController

pytestmark = pytest.mark.integration


def test_simulated_station_is_a_qcodes_station():
    with api.open_station(names=["vna", "fridge"],
                          overrides={"twin.fridge.base_temperature": 0.012}) as station:
        assert isinstance(station, qcodes.Station)
        assert set(station.components) == {"vna", "fridge"}
        assert isinstance(station.components["vna"], VNA)
        fridge = station.components["fridge"]
        assert isinstance(fridge, TemperatureController)
        assert fridge.mxc_temperature() == pytest.approx(0.012, rel=0.2)  # the override
        snapshot = station.snapshot()
        assert "IDN" in snapshot["instruments"]["vna"]["parameters"]
    assert qcodes.Instrument.exist("vna") is False  # closed on exit


OPEN_VNA = ("import sys\nfrom cryochar import api\n"
            "with api.open_station(sys.argv[1], names=['vna']) as station:\n"
            "    print(station.components['vna'].IDN()['model'])")


def test_an_instrument_is_locked_while_the_station_is_open(cryochar_station):
    def other_process() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", OPEN_VNA, str(cryochar_station)],
                              capture_output=True, text=True, timeout=60, check=False)

    with api.open_station(cryochar_station, names=["vna"]):
        refused = other_process()
    assert refused.returncode == 1 and "instrument in use by process" in refused.stderr
    opened = other_process()  # unlocked on exit
    assert opened.returncode == 0 and opened.stdout.strip(), opened.stderr


def test_bad_names_are_one_clear_error():
    with pytest.raises(ConfigError, match=r"no instrument 'vnaa'"), \
            api.open_station(names=["vnaa"]):
        pass
