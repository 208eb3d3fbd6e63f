"""The Bluefors and Triton drivers against the running twin, over HTTP and TCP.

Readings must match the twin's fridge within thermometer noise (1e-3 relative,
1 sigma), setpoints must move the mixing chamber on the testbed clock, limits
must stop a command before it reaches the wire, a second Triton client must be
refused, and injected wire faults must be survived by one reconnect.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import qcodes
from qcodes.instrument import Instrument

from cryochar import api
from cryochar.core.config import InstrumentConfig, SafetyLimits, StationConfig
from cryochar.core.errors import CommunicationError, InstrumentError, InterlockError
from cryochar.drivers import TemperatureController, check_station, connect
from cryochar.drivers.fridge.bluefors import BlueforsTC
from cryochar.drivers.fridge.triton import Triton
from cryochar.sim import Twin, load_testbed
from tests.conftest import REPO

LIMITS = SafetyLimits(max_mxc_temperature=0.5, max_heater_power=0.005)
NOISE = 5e-3  # 5 sigma of the thermometer noise
EXAMPLES = ("example_bluefors_pna.yaml", "example_triton.yaml")


def station(timeout: float = 2.0) -> StationConfig:
    """A simulated station with both fridge controllers of the twin."""
    return StationConfig(name="fridges", testbed="testbed.yaml", instruments={
        "bluefors": InstrumentConfig(driver="bluefors", address="sim:bluefors",
                                     timeout=timeout, limits=LIMITS),
        "triton": InstrumentConfig(driver="triton", address="sim:triton", timeout=timeout,
                                   limits=LIMITS, options={"heater_range": "3.16 mA"})})


@pytest.fixture
def fridges(twin: Twin) -> Iterator[dict[str, Instrument]]:
    model = station()
    with connect(model, check_station(model, "mem"), twin.addresses) as opened:
        yield opened


@pytest.mark.parametrize("name", ["bluefors", "triton"])
def test_readings_match_the_fridge_within_thermometer_noise(twin: Twin, fridges, name: str):
    driver = fridges[name]
    assert isinstance(driver, TemperatureController)
    twin.clock.advance(30)
    readings = driver.stage_temperatures()
    truth = twin.stage_temperatures()
    assert set(readings) == set(truth) == {"pt1", "pt2", "still", "cold_plate", "mxc"}
    for stage, value in readings.items():
        assert value == pytest.approx(truth[stage], rel=NOISE, abs=2e-6), stage
    assert driver.mxc_temperature() == pytest.approx(truth["mxc"], rel=NOISE)


@pytest.mark.parametrize("name", ["bluefors", "triton"])
def test_setpoint_moves_the_mxc_on_the_testbed_clock(twin: Twin, fridges, name: str):
    driver = fridges[name]
    driver.set_mxc_temperature(0.05)
    assert twin.mxc_heater_power() == pytest.approx(twin.fridge.power_for(0.05), rel=1e-3)
    twin.clock.advance(120)  # one time constant: on the way
    halfway = twin.stage_temperatures()["mxc"]
    assert 0.02 < halfway < 0.045
    twin.clock.advance(1800)
    assert twin.stage_temperatures()["mxc"] == pytest.approx(0.05, rel=1e-3)
    assert driver.mxc_temperature() == pytest.approx(0.05, rel=NOISE)
    assert driver.mxc_setpoint() == pytest.approx(0.05)
    driver.heater_off()
    assert twin.mxc_heater_power() == 0.0
    twin.clock.advance(1800)
    assert driver.mxc_temperature() == pytest.approx(0.010, rel=0.01)


@pytest.mark.parametrize("name", ["bluefors", "triton"])
def test_limits_raise_before_anything_reaches_the_twin(twin: Twin, fridges, name: str):
    driver = fridges[name]
    for action in (lambda: driver.set_mxc_temperature(0.6),
                   lambda: driver.set_mxc_temperature(-0.01),
                   lambda: driver.mxc_setpoint(1.0),
                   lambda: driver.heater_power(0.01)):
        with pytest.raises(InterlockError):
            action()
    assert twin.mxc_heater_power() == 0.0
    assert twin.devices["bluefors"].heaters[4]["active"] is False
    assert twin.devices["triton"].loop["MODE"] == "OFF"
    assert twin.devices["triton"].loop["TSET"] == 0.0


def test_a_second_triton_client_is_refused(twin: Twin, fridges):
    first = fridges["triton"]
    with pytest.raises(CommunicationError) as info:
        Triton("triton_2", twin.addresses["triton"], timeout=0.3, visalib="@py")
    assert "one client at a time" in info.value.message
    assert info.value.where.startswith("triton_2")
    assert not Instrument.exist("triton_2")
    assert first.mxc_temperature() > 0  # the first client is served on
    first.close()
    again = Triton("triton_2", twin.addresses["triton"], timeout=1, visalib="@py")
    try:
        assert again.IDN()["model"] == "TRITON"
    finally:
        again.close()


def test_wire_faults_are_survived_by_one_reconnect():
    config = load_testbed(overrides={"twin.faults.garble_probability": 0.1,
                                     "twin.faults.disconnect_probability": 0.05,
                                     "twin.faults.timeout_probability": 0.02}).model
    model = station(timeout=0.3)
    with Twin(config) as twin, connect(model, check_station(model, "mem"),
                                       twin.addresses) as opened:
        for name, driver in opened.items():
            good = 0
            for _ in range(20):
                twin.clock.advance(5)
                try:
                    good += driver.mxc_temperature() == pytest.approx(0.01, rel=NOISE)
                except InstrumentError as exc:  # two faults in a row: a clean, named error
                    assert exc.where.startswith(name)
            assert good >= 16, name
            assert sum(driver.faults.values()) > 0, name
            assert set(driver.faults) <= {"garbled", "connection", "timeout"}
        assert sum(twin.faults.injected.values()) > 0


def test_driver_classes_are_ordinary_qcodes_instruments(twin: Twin):
    bluefors = BlueforsTC("bf_station", twin.addresses["bluefors"], timeout=2)
    triton = Triton("tr_station", twin.addresses["triton"], timeout=2, visalib="@py")
    try:
        qc_station = qcodes.Station(bluefors, triton)
        snapshot = qc_station.snapshot()["instruments"]
        assert snapshot["bf_station"]["parameters"]["IDN"]["value"]["serial"] == \
            "BFTC-TWIN-0001"
        assert snapshot["tr_station"]["parameters"]["IDN"]["value"]["vendor"] == \
            "OXFORD INSTRUMENTS"
        assert qc_station.components["tr_station"].temperature_mxc() == pytest.approx(
            0.01, rel=NOISE)
    finally:
        bluefors.close()
        triton.close()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_stations_pass_the_offline_check_and_load_in_qcodes(name: str):
    path = REPO / "instruments" / name
    loaded, options, testbed = api.validate_station(path)
    assert testbed is None and not loaded.model.simulated
    assert type(options["fridge"]).__name__ in ("BlueforsOptions", "TritonOptions")
    qc_station = qcodes.Station()
    with warnings.catch_warnings():  # qcodes' schema knows no cryochar keys: a warning only
        warnings.simplefilter("ignore")
        qc_station.load_config(Path(path).read_text(encoding="utf-8"))
    assert set(qc_station.config["instruments"]) == set(loaded.model.instruments)
    assert all(hasattr(qc_station, f"load_{n}") for n in loaded.model.instruments)
    assert qc_station.components == {}  # nothing was connected


def test_s21_sweep_runs_with_the_bluefors_controller_as_the_fridge(tmp_path: Path):
    path = tmp_path / "bluefors_station.yaml"
    path.write_text(
        "name: bluefors twin\ntestbed: testbed.yaml\ninstruments:\n"
        "  vna: {driver: keysight_pna, address: 'sim:vna', timeout: 2,"
        " limits: {max_source_power_dbm: 0}}\n"
        "  fridge: {driver: bluefors, address: 'sim:bluefors', timeout: 2,"
        " limits: {max_mxc_temperature: 0.5, max_heater_power: 0.005}}\n")
    run = api.run("s21_sweep", station=path, overrides={
        "points": 51, "powers_dbm": [-20], "mxc_temperatures": [0.03, 0.06]})
    assert run.summary["status"] == "completed"
    mxc = run.data.stage_temperature.sel(stage="mxc").values
    assert mxc == pytest.approx([0.03, 0.06], rel=0.03)
    assert (run.data.mxc_stable.values == 1).all()
