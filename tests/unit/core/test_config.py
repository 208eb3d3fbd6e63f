"""Station, recipe and testbed files: loading, validation, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryochar.core.config import load_recipe, load_station
from cryochar.core.errors import ConfigError
from cryochar.core.paths import data_root, default_file, resolve_input
from cryochar.sim import load_testbed


def test_default_files_are_found_by_name_and_path():
    assert resolve_input("s21_sweep", "sequences", what="recipe") == \
        default_file("sequences", "s21_sweep.yaml").resolve()
    assert load_station("instruments/sim.yaml").model.simulated
    assert load_station("sim").model.name
    assert (data_root() / "sim" / "testbed.yaml").is_file()


def test_recipe_sequence_defaults_to_the_file_stem_and_units_are_parsed():
    recipe = load_recipe("sequences/s21_sweep.yaml")
    assert recipe.model.sequence == "s21_sweep"
    assert recipe.model.parameters["start_frequency"] == "4 GHz"  # parsed by the sequence


def test_recipe_overrides_go_to_parameters_or_top_level_keys():
    recipe = load_recipe("s21_sweep", {"points": 11, "dut": "cable"})
    assert recipe.model.parameters["points"] == 11
    assert recipe.model.dut == "cable"


def test_syntax_error_names_the_line(tmp_path: Path):
    bad = tmp_path / "r.yaml"
    bad.write_text("parameters:\n  points: [1, 2\n  x: 3\n")
    with pytest.raises(ConfigError) as info:
        load_recipe(bad)
    assert f"{bad}:" in info.value.one_line()
    assert "YAML syntax error" in info.value.message


def test_unknown_station_key_is_named(tmp_path: Path):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\ninstruments:\n  vna: {driver: keysight_pna, "
                   "address: 'TCPIP0::10.1.2.3::5025::SOCKET', tmeout: 3}\n")
    with pytest.raises(ConfigError) as info:
        load_station(bad)
    assert "instruments.vna.tmeout" in info.value.one_line()
    assert "unknown key 'tmeout'" in info.value.message


def test_limits_accept_units_and_reject_wrong_ones(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("name: x\ninstruments:\n  f:\n    driver: lakeshore372\n"
                    "    address: TCPIP0::10.1.2.3::7777::SOCKET\n"
                    "    limits: {max_mxc_temperature: 300 mK, max_heater_power: 1 mW}\n")
    limits = load_station(good).model.instruments["f"].limits
    assert limits.max_mxc_temperature == pytest.approx(0.3)
    assert limits.max_heater_power == pytest.approx(1e-3)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("300 mK", "300 MHz"))
    with pytest.raises(ConfigError, match="expected a temperature"):
        load_station(bad)


def test_testbed_overrides_are_validated():
    loaded = load_testbed(overrides={"twin.dut_attenuator.attenuation_db": 30, "seed": 7})
    assert loaded.model.twin.dut_attenuator.attenuation_db == 30
    assert loaded.model.seed == 7
    with pytest.raises(ConfigError) as info:
        load_testbed(overrides={"twin.fridge.base_temp": 0.01})
    assert info.value.where == "--set twin.fridge.base_temp"


@pytest.mark.parametrize(("address", "ok"), [
    ("TCPIP0::192.168.1.10::5025::SOCKET", True), ("TCPIP::pna.lab::hislip0::INSTR", True),
    ("TCPIP0::10.0.0.2::INSTR", True), ("GPIB0::16::INSTR", True),
    ("USB0::0x2A8D::0x5C18::MY123::INSTR", True), ("http://10.0.0.3:5001", True),
    ("ASRL/dev/ttyUSB0::INSTR", True), ("192.168.1.10", False), ("vna", False),
    ("TCPIP0::host::port::SOCKET", False), ("sim:", False), ("ftp://x", False),
])
def test_addresses_are_checked_offline(tmp_path: Path, address: str, ok: bool):
    station = tmp_path / "s.yaml"
    station.write_text(f"name: x\ninstruments:\n  vna: {{driver: keysight_pna, "
                       f"address: '{address}'}}\n")
    if ok:
        assert load_station(station).model.instruments["vna"].address == address
    else:
        with pytest.raises(ConfigError, match="not a VISA resource"):
            load_station(station)
