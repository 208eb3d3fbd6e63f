"""The cryochar.testing pytest plugin, used as a lab would in its own test suite."""

from __future__ import annotations

import pytest

LAB_TESTS = '''
import pytest
from cryochar.drivers import check_station, connect
from cryochar.core.config import load_station

def test_recipe_runs(cryochar_run):
    run = cryochar_run("s21_sweep", points=21, powers_dbm=[-30], mxc_temperatures=None)
    assert run.summary["status"] == "completed"

@pytest.mark.cryochar_twin(overrides={"twin.vna.serial": "LAB-42"})
def test_served_station(cryochar_twin, cryochar_station):
    station = load_station(cryochar_station)
    assert not station.model.simulated
    options = check_station(station.model, str(cryochar_station))
    with connect(station.model, options, names=["vna"]) as opened:
        assert opened["vna"].IDN()["serial"] == "LAB-42"
'''


def test_plugin_fixtures_in_a_lab_test_suite(pytester: pytest.Pytester):
    pytester.makepyfile(test_lab=LAB_TESTS)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
