"""The 346-series diode: ENR table files, its options, and the virtual instrument that
switches it through a spectrum analyser's +28 V drive (a test double and the N9030
pyvisa-sim file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryochar.core.config import load_station
from cryochar.core.errors import ConfigError, InstrumentError
from cryochar.core.paths import default_file
from cryochar.drivers import DRIVERS, check_station
from cryochar.drivers.noise.diode_346 import Diode346, Diode346Options
from cryochar.drivers.noise.enr import T0, parse_enr_text, read_enr_file
from cryochar.drivers.protocols import DiodeNoiseSource, NoiseSource
from cryochar.drivers.spectrum.keysight_n9030 import KeysightN9030
from tests.unit.drivers.simulated import private_copy

CSV = """Frequency (GHz),ENR (dB)
1.0,15.0
5.0,14.0
"""


class FakeAnalyser:
    """Records the noise-source drive it is asked for."""

    def __init__(self) -> None:
        self.drive: list[bool] = []

    def set_noise_source_drive(self, on: bool) -> None:
        self.drive.append(on)


# -- ENR tables -------------------------------------------------------------------------
def test_csv_with_a_unit_header():
    table = parse_enr_text(CSV)
    np.testing.assert_array_equal(table.frequency, [1e9, 5e9])
    assert table.enr(3e9) == pytest.approx(14.5)  # linear in dB
    assert table.hot_temperature(1e9) == pytest.approx(T0 * 10**1.5 + T0)
    assert table.uncertainty_db is None and table.serial is None


def test_keysight_enr_file_with_metadata_and_uncertainties():
    table = read_enr_file(default_file("instruments", "346C_MY45001234.enr"))
    assert (table.serial, table.model) == ("MY45001234", "346C")
    assert table.frequency[0] == 10e6 and table.frequency[-1] == 26.5e9
    assert table.uncertainty_db is not None and table.uncertainty_db[2] == 0.14
    assert table.enr(4e9) == 15.05


@pytest.mark.parametrize("text", [
    "Serial: MY1\nModel: 346B\n! frequency in Hz\n1e9\t15.1\n2e9\t15.0\n",
    "# comment\nserial number, MY1\n1E9; 15.1\n2E9; 15.0\n",
])
def test_other_layouts(text: str):
    table = parse_enr_text(text)
    assert table.serial == "MY1" and table.enr(1.5e9) == pytest.approx(15.05)


@pytest.mark.parametrize(("text", "says"), [
    ("", "no data rows"),
    ("1000 MHz 15.1\n", "no data rows"),  # a unit on a data line makes it text
    ("1e9,15\n1e9,14\n", "strictly increasing"),
    ("2e9,15\n1e9,14\n", "strictly increasing"),
    ("1e9,55\n", "0..40 dB"),
    ("1e9,15,0.1,7\n", ":1: expected frequency"),
    ("1e9,15\nend of table\n", ":2: text after the data"),
])
def test_bad_tables_name_the_problem(text: str, says: str):
    with pytest.raises(ValueError, match=says):
        parse_enr_text(text)


def test_no_value_outside_the_calibrated_range():
    with pytest.raises(ValueError, match="outside the ENR table"):
        parse_enr_text(CSV).hot_temperature(np.array([0.5e9, 2e9]))


# -- options ------------------------------------------------------------------------------
def test_options_take_exactly_one_calibration(tmp_path: Path):
    inline = Diode346Options(enr_table={"1 GHz": 15.0, "5 GHz": "14 dB"})
    assert inline.table.enr(3e9) == pytest.approx(14.5)
    path = tmp_path / "cal.csv"
    path.write_text(CSV)
    assert Diode346Options(enr_file=str(path)).table.frequency.size == 2
    with pytest.raises(ValueError, match="exactly one"):
        Diode346Options()
    with pytest.raises(ValueError, match="exactly one"):
        Diode346Options(enr_file=str(path), enr_table={1e9: 15})
    with pytest.raises(ValueError, match="not found"):
        Diode346Options(enr_file=str(tmp_path / "missing.enr"))


def test_a_bad_enr_file_fails_the_station_check_offline(tmp_path: Path):
    bad = tmp_path / "bad.enr"
    bad.write_text("1e9,15\n1e9,14\n")
    station = tmp_path / "station.yaml"
    station.write_text(
        "name: t\ninstruments:\n  diode:\n    driver: diode_346\n"
        '    address: "TCPIP0::192.0.2.1::5025::SOCKET"\n'
        f"    options: {{enr_file: {bad}}}\n")
    model = load_station(station).model
    with pytest.raises(ConfigError) as info:
        check_station(model, str(station))
    assert info.value.where == f"{station}: instruments.diode.options"
    assert "strictly increasing" in info.value.message


# -- the virtual instrument -----------------------------------------------------------------
def test_diode_switches_through_the_analyser_it_is_given():
    analyser = FakeAnalyser()
    diode = Diode346("diode_fake", options=Diode346Options(enr_table={1e9: 15, 5e9: 14}),
                     analyser=analyser)
    try:
        assert isinstance(diode, NoiseSource) and isinstance(diode, DiodeNoiseSource)
        assert diode.kind == "diode"
        diode.set_on(True)
        diode.off()
        assert analyser.drive == [True, False]
        assert diode.drive() is False
        assert diode.cold_temperature() == 296.0
        assert diode.hot_temperature(np.array([3e9]))[0] == pytest.approx(T0 * 10**1.45 + T0)
        assert diode.IDN() == {"vendor": "Keysight", "model": "346C", "serial": "",
                               "firmware": None}
        assert diode.snapshot()["metadata"]["enr_db"] == {1e9: 15.0, 5e9: 14.0}
    finally:
        diode.close()


def test_diode_finds_its_analyser_by_station_name(tmp_path: Path):
    analyser = KeysightN9030("bench_sa", "TCPIP0::localhost::5025::SOCKET",
                             visalib=private_copy(tmp_path, "keysight_n9030.yaml"), timeout=1)
    info = DRIVERS["diode_346"]
    options = info.options_model()(analyser="bench_sa", enr_file=str(
        default_file("instruments", "346C_MY45001234.enr")))
    diode = info.load()("diode_sim", "TCPIP0::localhost::5025::SOCKET", options=options,
                        limits=None, timeout=2, visalib="@py")  # as the registry builds it
    try:
        assert diode.IDN()["serial"] == "MY45001234"  # from the ENR file
        diode.set_on(True)
        assert analyser.noise_source_drive() is True
        diode.set_on(False)
        assert analyser.ask(":SOUR:NOIS:STAT?") == "OFF"
    finally:
        diode.close()
        analyser.close()


def test_an_analyser_that_is_not_open_is_a_clear_error():
    diode = Diode346("diode_alone", options=Diode346Options(analyser="nowhere",
                                                            enr_table={1e9: 15}))
    try:
        with pytest.raises(InstrumentError, match="'nowhere' that drives the diode is not"):
            diode.set_on(True)
    finally:
        diode.close()
