"""The amplifier-noise drivers in the registry and the station files that use them."""

from __future__ import annotations

import pytest

from cryochar.core.config import load_station
from cryochar.drivers import (
    DRIVERS,
    SMU,
    NoiseSource,
    SpectrumAnalyser,
    check_roles,
    check_station,
    describe_drivers,
)
from cryochar.drivers.noise import Diode346Options, SntjOptions, VtLoadOptions
from cryochar.drivers.smu import Keithley2400Options
from cryochar.drivers.spectrum import KeysightN9030, N9030Options

NEW = {"keysight_n9030": ("spectrum", "SpectrumAnalyser"), "keithley2400": ("smu", "SMU"),
       "diode_346": ("noise", "NoiseSource"), "vt_load": ("noise", "NoiseSource"),
       "sntj": ("noise", "NoiseSource")}


def test_drivers_are_listed_with_kind_and_protocol():
    rows = {row["name"]: row for row in describe_drivers()}
    for name, (kind, protocol) in NEW.items():
        assert (rows[name]["kind"], rows[name]["protocol"]) == (kind, protocol)
        assert DRIVERS[name].load().__name__  # importable
        assert DRIVERS[name].options_model()
    assert "N9030B" in rows["keysight_n9030"]["models"]
    assert "2450" in rows["keithley2400"]["models"]
    assert DRIVERS["keysight_n9030"].load() is KeysightN9030


def test_simulated_station_has_the_noise_bench():
    station = load_station("instruments/sim.yaml").model
    options = check_station(station, "instruments/sim.yaml")
    assert isinstance(options["spectrum_analyser"], N9030Options)
    assert isinstance(options["smu"], Keithley2400Options)
    assert isinstance(options["vt_load"], VtLoadOptions)
    assert isinstance(options["sntj"], SntjOptions)
    diode = options["noise_diode"]
    assert isinstance(diode, Diode346Options) and diode.analyser == "spectrum_analyser"
    assert diode.table.enr(4e9) == 15.05  # the twin's default table
    assert station.instruments["vna"].driver == "keysight_pna"  # untouched roles
    assert station.instruments["fridge"].driver == "lakeshore372"
    roles = {"spectrum_analyser": SpectrumAnalyser, "noise_source": NoiseSource, "bias": SMU}
    for source in ("vt_load", "sntj", "noise_diode"):
        assert check_roles(station, roles, {"noise_source": source, "bias": "smu"}, "r.yaml") \
            == {"spectrum_analyser": "spectrum_analyser", "noise_source": source, "bias": "smu"}


def test_example_noise_bench_passes_the_offline_check():
    loaded = load_station("instruments/example_noise_bench.yaml")
    assert not loaded.model.simulated
    options = check_station(loaded.model, str(loaded.path))
    assert set(options) == {"spectrum_analyser", "noise_diode", "sntj", "vt_load"}
    assert options["noise_diode"].table.serial == "MY45001234"
    assert options["vt_load"].max_power() == pytest.approx(0.005**2 * 100 * 0.1)
