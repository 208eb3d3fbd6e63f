"""pytest plugin: test your own recipes, stations and sequences against the twin.

Installed with cryochar (entry point ``pytest11``), so a lab's test suite can
use these fixtures without imports::

    def test_my_recipe(cryochar_run):
        run = cryochar_run("recipes/my_sweep.yaml", points=51)
        assert run.summary["status"] == "completed"

    @pytest.mark.cryochar_twin(overrides={"twin.dut_attenuator.attenuation_db": 30})
    def test_against_a_running_twin(cryochar_twin, cryochar_station):
        ...  # cryochar_station: a station file with the twin's real addresses

Fixtures:

* ``cryochar_home``: an isolated data directory (catalog and runs) for the test;
* ``cryochar_twin``: the simulated testbed serving on free 127.0.0.1 ports
  (testbed overrides from the ``cryochar_twin`` marker);
* ``cryochar_station``: path of a station file whose instruments point at the
  running twin's TCP/HTTP addresses, exactly as a real station would;
* ``cryochar_run``: ``run(recipe, station=None, **overrides)`` -> the finished
  :class:`cryochar.api.Run`, in the isolated home (default station: the
  in-process simulated testbed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cryochar.core.config import SIM_ADDRESS_PREFIX, load_station
from cryochar.core.paths import default_file
from cryochar.sim import Twin, load_testbed

MARKER = "cryochar_twin"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line("markers", f"{MARKER}(overrides=None): testbed overrides "
                            "(dotted keys) for the cryochar_twin fixture")


@pytest.fixture
def cryochar_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated CRYOCHAR_HOME for the test."""
    home = tmp_path / "cryochar-home"
    monkeypatch.setenv("CRYOCHAR_HOME", str(home))
    return home


@pytest.fixture
def cryochar_twin(request: pytest.FixtureRequest) -> Iterator[Twin]:
    """The simulated testbed, serving until the test ends."""
    marker = request.node.get_closest_marker(MARKER)
    overrides = dict(marker.kwargs.get("overrides") or {}) if marker else {}
    with Twin(load_testbed(overrides=overrides).model) as twin:
        yield twin


@pytest.fixture
def cryochar_station(cryochar_twin: Twin, tmp_path: Path) -> Path:
    """A station file (the default simulated one) rewritten with the running twin's
    addresses: drivers connect to it as to real instruments."""
    raw = yaml.safe_load(load_station(default_file("instruments", "sim.yaml")).text)
    raw.pop("testbed", None)
    raw["name"] = "twin (served)"
    for config in raw["instruments"].values():
        address = config["address"]
        if address.startswith(SIM_ADDRESS_PREFIX):
            config["address"] = cryochar_twin.addresses[address[len(SIM_ADDRESS_PREFIX):]]
    path = tmp_path / "twin_station.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def cryochar_run(cryochar_home: Path) -> Callable[..., Any]:
    """Run a recipe in the isolated home: ``run(recipe, station=None, **overrides)``."""
    from cryochar import api

    def run(recipe: str | Path, station: str | Path | None = None, **overrides: Any) -> Any:
        return api.run(recipe, station=station, overrides=overrides)

    return run


__all__ = ["cryochar_home", "cryochar_run", "cryochar_station", "cryochar_twin"]
