"""The driver registry: offline station checks, role mapping, connect and close."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from qcodes.instrument import Instrument

from cryochar.core.config import InstrumentConfig, StationConfig, load_station
from cryochar.core.errors import CommunicationError, ConfigError
from cryochar.drivers import (
    DRIVERS,
    VNA,
    TemperatureController,
    check_roles,
    check_station,
    connect,
    describe_drivers,
)
from cryochar.drivers.fridge.lakeshore372 import Lakeshore372, Lakeshore372Options
from cryochar.drivers.vna.keysight_pna import KeysightPNA, PnaOptions
from cryochar.sim import Twin

NOWHERE = "TCPIP0::192.0.2.1::5025::SOCKET"  # valid syntax; never connected to here


def station(tmp_path: Path, instruments: str) -> tuple[StationConfig, str]:
    """A station file with the given ``instruments:`` block; returns model and path."""
    path = tmp_path / "station.yaml"
    path.write_text(f"name: test\ninstruments:\n{instruments}")
    return load_station(path).model, str(path)


def dead_address() -> str:
    """A VISA address on 127.0.0.1 where nothing listens (a port bound, then freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"TCPIP0::127.0.0.1::{port}::SOCKET"


@pytest.fixture
def sim_station() -> StationConfig:
    return load_station("instruments/sim.yaml").model


# -- describe_drivers ----------------------------------------------------------------------
def test_describe_drivers_has_one_row_per_registered_driver():
    rows = {row["name"]: row for row in describe_drivers()}
    assert set(rows) == set(DRIVERS)
    assert {"keysight_pna", "lakeshore372", "qubit_twin"} <= set(rows)
    assert rows["keysight_pna"]["kind"] == "vna"
    assert rows["keysight_pna"]["protocol"] == "VNA"
    assert "N5222B" in rows["keysight_pna"]["models"]
    assert rows["lakeshore372"] == {"name": "lakeshore372", "kind": "fridge",
                                    "models": ["Model 372"],
                                    "protocol": "TemperatureController"}
    for row in rows.values():
        assert isinstance(row["models"], list)  # JSON-ready


def test_registry_entries_load_their_driver_and_options_classes():
    assert DRIVERS["keysight_pna"].load() is KeysightPNA
    assert DRIVERS["keysight_pna"].options_model() is PnaOptions
    assert DRIVERS["lakeshore372"].load() is Lakeshore372
    assert DRIVERS["lakeshore372"].options_model() is Lakeshore372Options


# -- check_station ---------------------------------------------------------------------------
def test_check_station_returns_validated_options_per_instrument(sim_station: StationConfig):
    options = check_station(sim_station, "instruments/sim.yaml")
    assert {"vna", "fridge", "qubit_controller"} <= set(options)
    assert set(options) == set(load_station("instruments/sim.yaml").model.instruments)
    assert options["vna"] == PnaOptions(channel=1)
    fridge = options["fridge"]
    assert isinstance(fridge, Lakeshore372Options)
    assert fridge.channels == {"pt1": 1, "pt2": 2, "still": 5, "mxc": 6, "cold_plate": 8}
    assert fridge.heater_range == 5
    assert fridge.heater_resistance == 120.0  # the default


def test_unknown_driver_is_a_config_error_naming_the_key(tmp_path: Path):
    model, path = station(tmp_path, f'  vna: {{driver: keysight_pnx, address: "{NOWHERE}"}}\n')
    with pytest.raises(ConfigError) as info:
        check_station(model, path)
    error = info.value
    assert error.exit_code == 2
    assert error.where == f"{path}: instruments.vna.driver"
    assert "'keysight_pnx'" in error.message
    assert "did you mean 'keysight_pna'" in error.fix and "cryochar drivers" in error.fix


@pytest.mark.parametrize(("driver", "options", "key", "says"), [
    ("keysight_pna", "{chanel: 2}", "options.chanel", "unknown key 'chanel'"),
    ("keysight_pna", "{channel: 0}", "options.channel", "greater than or equal to 1"),
    ("lakeshore372", "{heater_range: 9}", "options.heater_range", "less than or equal to 8"),
    ("lakeshore372", "{channels: {pt1: 1}}", "options", "channels must include 'mxc'"),
    ("lakeshore372", "{channels: {mxc: 17}}", "options", "channels are numbered 1..16"),
])
def test_bad_driver_options_are_a_config_error(tmp_path: Path, driver: str, options: str,
                                               key: str, says: str):
    model, path = station(
        tmp_path, f'  x: {{driver: {driver}, address: "{NOWHERE}", options: {options}}}\n')
    with pytest.raises(ConfigError) as info:
        check_station(model, path)
    assert info.value.where == f"{path}: instruments.x.{key}"
    assert says in info.value.message
    assert info.value.exit_code == 2


def test_heater_range_above_the_power_limit_is_refused_offline(tmp_path: Path):
    # range 6 is 10 mA: (10 mA)^2 * 120 ohm = 12 mW > 5 mW
    model, path = station(tmp_path, (
        f'  fridge:\n    driver: lakeshore372\n    address: "{NOWHERE}"\n'
        "    options: {heater_range: 6}\n    limits: {max_heater_power: 5 mW}\n"))
    with pytest.raises(ConfigError) as info:
        check_station(model, path)
    assert info.value.where == f"{path}: instruments.fridge.options"
    assert "heater range 6 allows 0.012 W" in info.value.message
    assert info.value.exit_code == 2


# -- check_roles -----------------------------------------------------------------------------
def test_roles_map_by_name_or_through_the_recipe(sim_station: StationConfig):
    roles = {"vna": VNA, "thermometry": TemperatureController}
    assert check_roles(sim_station, roles, {"thermometry": "fridge"}, "r.yaml") == {
        "vna": "vna", "thermometry": "fridge"}


def test_missing_role_is_a_config_error(sim_station: StationConfig):
    with pytest.raises(ConfigError) as info:
        check_roles(sim_station, {"analyser": VNA}, {}, "r.yaml")
    assert info.value.where == "r.yaml: instruments.analyser"
    assert "needs a VNA as 'analyser'" in info.value.message
    assert "vna, fridge" in info.value.fix


def test_role_mapped_to_a_missing_instrument_names_it(sim_station: StationConfig):
    with pytest.raises(ConfigError, match="no instrument 'pna'"):
        check_roles(sim_station, {"vna": VNA}, {"vna": "pna"}, "r.yaml")


def test_mapping_a_role_the_sequence_does_not_have_is_a_config_error(
        sim_station: StationConfig):
    with pytest.raises(ConfigError) as info:
        check_roles(sim_station, {"vna": VNA}, {"analyzer": "vna"}, "r.yaml")
    assert info.value.where == "r.yaml: instruments.analyzer"
    assert "no role 'analyzer'" in info.value.message


def test_role_mapped_to_the_wrong_capability_is_a_config_error(sim_station: StationConfig):
    with pytest.raises(ConfigError) as info:
        check_roles(sim_station, {"thermometry": TemperatureController},
                    {"thermometry": "vna"}, "r.yaml")
    assert "instrument 'vna' (keysight_pna) is not a TemperatureController" in \
        info.value.message
    assert info.value.exit_code == 2


# -- connect -------------------------------------------------------------------------------
def test_connect_where_nothing_listens_is_a_quick_communication_error():
    address = dead_address()
    model = StationConfig(name="x", instruments={
        "vna_dead": InstrumentConfig(driver="keysight_pna", address=address, timeout=1)})
    options = check_station(model, "mem")
    start = time.monotonic()
    with pytest.raises(CommunicationError) as info, connect(model, options):
        pass
    assert time.monotonic() - start < 5
    assert info.value.where == f"vna_dead at {address}"
    assert not Instrument.exist("vna_dead")


def test_unknown_simulated_instrument_is_a_config_error():
    model = StationConfig(name="x", testbed="testbed.yaml", instruments={
        "vna": InstrumentConfig(driver="keysight_pna", address="sim:pna")})
    with pytest.raises(ConfigError) as info, connect(model, check_station(model, "mem"),
                                                     {"vna": "TCPIP0::127.0.0.1::1::SOCKET"}):
        pass
    assert info.value.where == "instruments.vna.address"
    assert "sim:vna" in info.value.fix


def test_connect_opens_only_the_named_instruments_and_closes_them(
        sim_station: StationConfig, twin: Twin):
    options = check_station(sim_station, "instruments/sim.yaml")
    with connect(sim_station, options, twin.addresses, names=["fridge"]) as opened:
        assert list(opened) == ["fridge"]
        assert isinstance(opened["fridge"], Lakeshore372)
        assert Instrument.exist("fridge")
    assert not Instrument.exist("fridge")


def test_failed_connect_closes_the_instruments_already_open(twin: Twin):
    model = StationConfig(name="x", testbed="testbed.yaml", instruments={
        "fridge": InstrumentConfig(driver="lakeshore372", address="sim:lakeshore372"),
        "vna": InstrumentConfig(driver="keysight_pna", address=dead_address(), timeout=1)})
    options = check_station(model, "mem")
    with pytest.raises(CommunicationError), connect(model, options, twin.addresses):
        pass
    assert not Instrument.exist("fridge")
    assert not Instrument.exist("vna")


def test_connect_replaces_an_instrument_left_open_by_a_previous_run(
        sim_station: StationConfig, twin: Twin):
    options = check_station(sim_station, "instruments/sim.yaml")
    leftover = Lakeshore372("fridge", twin.addresses["lakeshore372"], visalib="@py", timeout=2)
    try:
        with connect(sim_station, options, twin.addresses, names=["fridge"]) as opened:
            assert opened["fridge"] is not leftover
            assert opened["fridge"].IDN()["model"] == "372"
    finally:
        leftover.close()
    assert not Instrument.exist("fridge")
