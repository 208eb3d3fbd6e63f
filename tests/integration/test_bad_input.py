"""Bad input is refused before any instrument is touched.

ARCHITECTURE.md: "station and recipe YAML are validated completely (pydantic)
before any instrument is touched. A bad file sends zero commands."

Every file in ``tests/data/bad/`` is listed in :data:`CASES` with what the one
error line must say. Each is run through the command line and must give exit
code 2, ONE short line ``error: <where>: <what> (fix: <how>)`` without a
traceback, no run file, no catalog row, zero connections to the station's
addresses (a listening socket counts them) and no simulated testbed started.

Real (non-simulated) bad stations hold ``{port}``, replaced at test time by the
port of that listening socket. Testbed files are reached through a simulated
station written at test time.

Rows with ``bug`` describe what the code does not meet yet; they are strict
xfails, so fixing the code makes them fail until the mark is removed.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cryochar import cli
from cryochar.core.paths import catalog_path
from cryochar.sim.testbed import Twin
from cryochar.storage import Catalog
from tests.conftest import BAD, REPO, run_cli

pytestmark = pytest.mark.integration

PORT = "{port}"
MAX_LINE = 300

# -- known gaps in the code (strict xfails; see the report of the bad-input issue) -------
DUPLICATE_KEYS = "yaml.safe_load keeps the last of two equal keys silently"


@dataclass(frozen=True)
class Case:
    """One bad file and what its error line must contain."""

    file: str
    kind: str  # recipe | station | testbed | mismatch (a valid station s21_sweep cannot use)
    what: str  # substring of the message
    where: str = ""  # substring naming the file or key; default: the file name
    bug: str = ""  # set when the code does not meet the contract yet

    @property
    def names(self) -> str:
        return self.where or self.file


CASES: tuple[Case, ...] = (
    # recipes: YAML syntax and file shape
    Case("recipe_yaml_syntax.yaml", "recipe", "YAML syntax error", "recipe_yaml_syntax.yaml:6"),
    Case("recipe_yaml_tab_indent.yaml", "recipe", "YAML syntax error",
         "recipe_yaml_tab_indent.yaml:4"),
    Case("recipe_yaml_bad_indent.yaml", "recipe", "YAML syntax error",
         "recipe_yaml_bad_indent.yaml:5"),
    Case("recipe_duplicate_key.yaml", "recipe", "duplicate key 'points'"),
    Case("recipe_not_utf8.yaml", "recipe", "recipe file is not UTF-8 text"),
    Case("recipe_not_a_mapping.yaml", "recipe", "must hold a mapping of keys, not list"),
    Case("recipe_scalar.yaml", "recipe", "must hold a mapping of keys, not str"),
    Case("recipe_empty.yaml", "recipe", "unknown sequence 'recipe_empty'"),
    # recipes: keys, sequence names and types
    Case("recipe_unknown_key.yaml", "recipe", "unknown key 'paramters'"),
    Case("recipe_unknown_parameter.yaml", "recipe", "unknown key 'npoints'", "parameters.npoints"),
    Case("recipe_unknown_sequence.yaml", "recipe", "unknown sequence 's21_sweeep'", ": sequence"),
    Case("recipe_sequence_not_a_sequence.yaml", "recipe", "unknown sequence 'runner'"),
    Case("recipe_wrong_type_points.yaml", "recipe", "valid integer", "parameters.points"),
    Case("recipe_fractional_points.yaml", "recipe", "fractional part", "parameters.points"),
    Case("recipe_wrong_type_dut.yaml", "recipe", "valid string", ": dut"),
    Case("recipe_parameters_not_a_mapping.yaml", "recipe", "valid dictionary", ": parameters"),
    Case("recipe_powers_not_a_list.yaml", "recipe", "valid list", "parameters.powers_dbm"),
    Case("recipe_stability_unknown_key.yaml", "recipe", "unknown key 'tolerence'",
         "parameters.stability.tolerence"),
    # recipes: units and ranges
    Case("recipe_negative_points.yaml", "recipe", "greater than or equal to 2",
         "parameters.points"),
    Case("recipe_too_many_points.yaml", "recipe", "less than or equal to 100003",
         "parameters.points"),
    Case("recipe_frequency_wrong_unit.yaml", "recipe",
         "expected a frequency in Hz, got a temperature '12 mK'", "parameters.start_frequency"),
    Case("recipe_frequency_unknown_unit.yaml", "recipe", "unknown unit 'Ghz'",
         "parameters.start_frequency"),
    Case("recipe_frequency_nan.yaml", "recipe", "expected a finite frequency",
         "parameters.stop_frequency"),
    Case("recipe_frequency_zero.yaml", "recipe", "greater than 0", "parameters.start_frequency"),
    Case("recipe_stop_below_start.yaml", "recipe",
         "stop_frequency must be above start_frequency"),
    Case("recipe_if_bandwidth_too_wide.yaml", "recipe", "less than or equal to 15000000",
         "parameters.if_bandwidth"),
    Case("recipe_power_wrong_unit.yaml", "recipe", "expected a power level in dBm, got a power",
         "parameters.powers_dbm.0"),
    Case("recipe_empty_powers.yaml", "recipe", "at least 1 item", "parameters.powers_dbm"),
    Case("recipe_negative_temperature.yaml", "recipe", "mxc_temperatures must be positive"),
    Case("recipe_temperature_wrong_unit.yaml", "recipe",
         "expected a temperature in K, got a time", "parameters.mxc_temperatures.0"),
    Case("recipe_settle_time_too_long.yaml", "recipe", "less than or equal to 3600",
         "parameters.settle_time"),
    # recipes: roles that do not fit the station
    Case("recipe_role_missing_instrument.yaml", "recipe", "no instrument 'nonexistent'",
         "recipe_role_missing_instrument.yaml: instruments.vna"),
    Case("recipe_role_wrong_capability.yaml", "recipe", "instrument 'fridge' (lakeshore372) "
         "is not a VNA", "recipe_role_wrong_capability.yaml: instruments.vna"),
    Case("recipe_unknown_role.yaml", "recipe", "the sequence has no role 'analyser'",
         "recipe_unknown_role.yaml: instruments.analyser"),
    # stations: YAML and file shape
    Case("station_yaml_syntax.yaml", "station", "YAML syntax error"),
    Case("station_not_a_mapping.yaml", "station", "must hold a mapping of keys, not list"),
    Case("station_unknown_key.yaml", "station", "unknown key 'locaton'"),
    Case("station_missing_name.yaml", "station", "required key 'name' is missing"),
    # stations: instruments, drivers and addresses
    Case("station_no_instruments.yaml", "station", "at least 1 item", ": instruments"),
    Case("station_instruments_not_a_mapping.yaml", "station", "valid dictionary",
         ": instruments"),
    Case("station_instrument_name_not_identifier.yaml", "station",
         "instrument name 'my-vna' must be a Python identifier"),
    Case("station_unknown_driver.yaml", "station", "unknown driver 'keysight_pnax'",
         "instruments.vna.driver"),
    Case("station_missing_driver.yaml", "station", "required key 'driver' is missing",
         "instruments.vna.driver"),
    Case("station_missing_address.yaml", "station", "required key 'address' is missing",
         "instruments.vna.address"),
    Case("station_empty_address.yaml", "station", "at least 1 character",
         "instruments.vna.address"),
    Case("station_address_not_visa.yaml", "station", "not a VISA resource",
         "instruments.vna.address"),
    Case("station_sim_address_without_testbed.yaml", "station", "has no 'testbed' key",
         "instruments.vna.address"),
    Case("station_sim_unknown_instrument.yaml", "station",
         "the simulated testbed has no instrument 'pna'",
         "station_sim_unknown_instrument.yaml: instruments.vna.address"),
    # stations: units, ranges, limits and driver options
    Case("station_bad_timeout.yaml", "station", "greater than 0", "instruments.vna.timeout"),
    Case("station_timeout_wrong_unit.yaml", "station", "expected a time in s, got a frequency",
         "instruments.vna.timeout"),
    Case("station_bad_limit_unit.yaml", "station", "expected a temperature in K, got a power",
         "instruments.fridge.limits.max_mxc_temperature"),
    Case("station_limit_out_of_range.yaml", "station", "less than or equal to 30",
         "instruments.vna.limits.max_source_power_dbm"),
    Case("station_unknown_limit.yaml", "station", "unknown key 'max_power_dbm'",
         "instruments.vna.limits.max_power_dbm"),
    Case("station_bad_driver_option.yaml", "station", "greater than or equal to 1",
         "instruments.vna.options.channel"),
    Case("station_unknown_driver_option.yaml", "station", "unknown key 'port'",
         "instruments.vna.options.port"),
    Case("station_channels_without_mxc.yaml", "station", "channels must include 'mxc'",
         "instruments.fridge.options"),
    Case("station_heater_range_above_limit.yaml", "station", "above the station limit "
         "max_heater_power", "instruments.fridge.options"),
    # stations: the testbed file they name
    Case("station_missing_testbed_file.yaml", "station", "testbed file not found",
         "no_such_testbed.yaml"),
    Case("station_bad_testbed_content.yaml", "station", "unknown key 'base_temprature'",
         "testbed_unknown_key.yaml: twin.fridge.base_temprature"),
    # valid stations that s21_sweep cannot run on (recipe/station mismatch)
    Case("station_without_fridge.yaml", "mismatch",
         "needs a TemperatureController as 'fridge', but the station has no instrument 'fridge'",
         "instruments.fridge"),
    Case("station_roles_swapped.yaml", "mismatch", "instrument 'vna' (lakeshore372) is not a VNA",
         "instruments.vna"),
    # testbed files, through a simulated station that names them
    Case("testbed_unknown_key.yaml", "testbed", "unknown key 'base_temprature'"),
    Case("testbed_yaml_syntax.yaml", "testbed", "YAML syntax error", "testbed_yaml_syntax.yaml:6"),
    Case("testbed_not_a_mapping.yaml", "testbed", "must hold a mapping of keys, not list"),
    Case("testbed_base_temperature_out_of_range.yaml", "testbed", "less than or equal to 1",
         "twin.fridge.base_temperature"),
    Case("testbed_wrong_unit.yaml", "testbed", "expected a ratio in dB, got a power level",
         "twin.vna.port1.loss_db"),
    Case("testbed_bad_clock_mode.yaml", "testbed", "'stepped' or 'scaled'", "clock.mode"),
    Case("testbed_negative_seed.yaml", "testbed", "greater than or equal to 0", ": seed"),
)

SMALL_RECIPE = """\
sequence: s21_sweep
parameters:
  points: 11
  powers_dbm: [-30]
"""

REAL_STATION = """\
name: real station (a counting socket)
instruments:
  vna:
    driver: keysight_pna
    address: TCPIP0::127.0.0.1::{port}::SOCKET
    timeout: 1
    limits: {max_source_power_dbm: 0}
  fridge:
    driver: lakeshore372
    address: TCPIP0::127.0.0.1::{port}::SOCKET
    timeout: 1
"""


def params(*kinds: str) -> list:
    """The cases of ``kinds`` as pytest params, with strict xfails for known gaps."""
    out = []
    for case in CASES:
        if case.kind not in kinds:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        out.append(pytest.param(case, id=Path(case.file).stem, marks=marks))
    return out


# -- fixtures -------------------------------------------------------------------------
class Listener:
    """A TCP socket on 127.0.0.1 that accepts and counts every connection.

    Connections are held open and never answered (a client that got through
    would time out: the stations use 1 s), or with ``drop=True`` closed at once.
    """

    def __init__(self, *, drop: bool = False) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self._drop = drop
        self._held: list[socket.socket] = []
        self._dropped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.02)
            if ready:
                conn = self.sock.accept()[0]
                if self._drop:
                    conn.close()
                    self._dropped += 1
                else:
                    self._held.append(conn)

    def connections(self) -> int:
        """Connections so far, including any still waiting in the accept queue."""
        self._stop.set()
        self._thread.join()
        self.sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                self._held.append(self.sock.accept()[0])
        return len(self._held) + self._dropped

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """The address every real bad station points at; must see zero connections."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def twin_starts(monkeypatch: pytest.MonkeyPatch) -> list[Twin]:
    """Every simulated testbed started during the test (must stay empty)."""
    started: list[Twin] = []
    original = Twin.start

    def spy(self: Twin) -> dict[str, str]:
        started.append(self)
        return original(self)

    monkeypatch.setattr(Twin, "start", spy)
    return started


@pytest.fixture
def small_recipe(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_RECIPE, encoding="utf-8")
    return path


@pytest.fixture
def real_station(tmp_path: Path, listener: Listener) -> Path:
    path = tmp_path / "real_station.yaml"
    path.write_text(REAL_STATION.replace(PORT, str(listener.port)), encoding="utf-8")
    return path


# -- helpers --------------------------------------------------------------------------
def materialise(case: Case, tmp_path: Path, port: int) -> Path:
    """The path to give the CLI: the bad file itself, or a copy with the port filled in."""
    source = BAD / case.file
    if case.kind == "testbed":
        station = tmp_path / f"station_for_{case.file}"
        station.write_text(
            "name: simulated station with a bad testbed\n"
            f"testbed: {source}\n"
            "instruments:\n"
            "  vna: {driver: keysight_pna, address: 'sim:vna'}\n"
            "  fridge: {driver: lakeshore372, address: 'sim:lakeshore372'}\n", encoding="utf-8")
        return station
    if case.kind == "recipe":
        return source
    text = source.read_text(encoding="utf-8")
    if PORT not in text:
        return source
    copy = tmp_path / case.file
    copy.write_text(text.replace(PORT, str(port)), encoding="utf-8")
    return copy


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``cryochar ARGS`` in process: (exit code, stdout, stderr)."""
    try:
        cli.main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code: int, out: str, err: str, *, what: str, where: str,
                          exit_code: int = 2) -> str:
    """Exit code, and ONE short line on stderr naming what and where, with a fix."""
    assert "Traceback" not in out + err
    assert code == exit_code, f"exit {code}, expected {exit_code}:\n{out}\n{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert len(line) < MAX_LINE, f"{len(line)} characters: {line}"
    assert "(fix: " in line, line
    assert what in line, f"{what!r} not in: {line}"
    assert where in line, f"{where!r} not in: {line}"
    assert out == "", f"unexpected stdout: {out}"
    return line


def assert_nothing_recorded() -> None:
    """No run file and no catalog row in the (isolated) CRYOCHAR_HOME."""
    catalog = catalog_path()
    runs = catalog.parent / "runs"
    assert not runs.exists() or not any(runs.iterdir()), list(runs.iterdir())
    if catalog.exists():
        assert Catalog(catalog).list() == []


def assert_untouched(listener: Listener, twin_starts: list[Twin]) -> None:
    """Zero connections to the station's addresses, and no simulated testbed started."""
    assert listener.connections() == 0, "a connection was made to the station's address"
    assert twin_starts == [], "the simulated testbed was started"


# -- bad files through `cryochar run` (in process) ------------------------------------
@pytest.mark.parametrize("station", ["sim", "real"])
@pytest.mark.parametrize("case", params("recipe"))
def test_bad_recipe_is_refused(case: Case, station: str, real_station: Path,
                               listener: Listener, twin_starts: list[Twin],
                               capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", BAD / case.file]
    if station == "real":
        args += ["--station", real_station]
    code, out, err = invoke(capsys, *args)
    assert_one_error_line(code, out, err, what=case.what, where=case.names)
    assert_nothing_recorded()
    assert_untouched(listener, twin_starts)


@pytest.mark.parametrize("case", params("station", "testbed", "mismatch"))
def test_bad_station_is_refused(case: Case, small_recipe: Path, tmp_path: Path,
                                listener: Listener, twin_starts: list[Twin],
                                capsys: pytest.CaptureFixture[str]) -> None:
    station = materialise(case, tmp_path, listener.port)
    code, out, err = invoke(capsys, "run", small_recipe, "--station", station)
    assert_one_error_line(code, out, err, what=case.what, where=case.names)
    assert_nothing_recorded()
    assert_untouched(listener, twin_starts)


# -- `cryochar station check` (offline) -----------------------------------------------
@pytest.mark.parametrize("case", params("station", "testbed"))
def test_station_check_refuses_bad_station(case: Case, tmp_path: Path, listener: Listener,
                                           twin_starts: list[Twin],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    station = materialise(case, tmp_path, listener.port)
    code, out, err = invoke(capsys, "station", "check", station)
    assert_one_error_line(code, out, err, what=case.what, where=case.names)
    assert_untouched(listener, twin_starts)


@pytest.mark.parametrize("case", params("mismatch"))
def test_station_check_accepts_valid_station_of_a_mismatch(
        case: Case, tmp_path: Path, listener: Listener, twin_starts: list[Twin],
        capsys: pytest.CaptureFixture[str]) -> None:
    """These stations are valid on their own; only the recipe cannot use them."""
    code, out, err = invoke(capsys, "station", "check", materialise(case, tmp_path, listener.port))
    assert (code, err) == (0, ""), err
    assert out.startswith("ok: ")
    assert_untouched(listener, twin_starts)


def test_station_check_accepts_default_station(twin_starts: list[Twin],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "station", "check", REPO / "instruments" / "sim.yaml")
    assert (code, err) == (0, ""), err
    assert out.startswith("ok: ") and "simulated station" in out
    assert twin_starts == []


# -- bad command lines ----------------------------------------------------------------
SIM_ONLY = "sim"
REAL_ONLY = "real"
SET_PARAMETERS_PREFIX = ("load_recipe routes --set parameters.X to parameters.parameters.X, "
                         "and the error then blames the recipe file, not --set")


def command_line(name: str, station: str, extra: list[str], what: str, where: str,
                 bug: str = "") -> object:
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(station, extra, what, where, id=name, marks=marks)


COMMAND_LINES = [
    command_line("missing_recipe_file", SIM_ONLY, ["run", "no_such_recipe.yaml"],
                 "recipe file not found", "no_such_recipe.yaml"),
    command_line("missing_station_file", SIM_ONLY, ["--station", "no_such_station.yaml"],
                 "station file not found", "no_such_station.yaml"),
    command_line("set_without_value", SIM_ONLY, ["--set", "novalue"],
                 "malformed override 'novalue'", "--set"),
    command_line("set_without_key", SIM_ONLY, ["--set", "=3"], "malformed override '=3'",
                 "--set"),
    command_line("set_empty_key_part", SIM_ONLY, ["--set", "twin..seed=3"],
                 "malformed override", "--set"),
    command_line("set_unclosed_list", SIM_ONLY, ["--set", "powers_dbm=[1,"],
                 "cannot parse the value", "--set powers_dbm"),
    command_line("set_unknown_parameter", SIM_ONLY, ["--set", "npoints=11"],
                 "unknown key 'npoints'", "--set npoints"),
    command_line("set_parameters_prefix", SIM_ONLY, ["--set", "parameters.npoints=11"],
                 "unknown key 'npoints'", "--set"),
    command_line("set_out_of_range", SIM_ONLY, ["--set", "points=1"],
                 "greater than or equal to 2", "--set points"),
    command_line("set_wrong_unit", SIM_ONLY, ["--set", "start_frequency=12 mK"],
                 "expected a frequency in Hz, got a temperature", "--set start_frequency"),
    command_line("set_below_a_number", SIM_ONLY, ["--set", "points.x=1"],
                 "'points' is not a mapping", "points.x"),
    command_line("set_unknown_testbed_key", SIM_ONLY,
                 ["--set", "twin.fridge.base_temprature=0.012"],
                 "unknown key 'base_temprature'", "--set twin.fridge.base_temprature"),
    command_line("set_testbed_out_of_range", SIM_ONLY, ["--set", "twin.fridge.base_temperature=5"],
                 "less than or equal to 1", "--set twin.fridge.base_temperature"),
    command_line("set_testbed_key_on_real_station", REAL_ONLY, ["--set", "twin.x=1"],
                 "station is real", "--set twin.x"),
    command_line("set_seed_on_real_station", REAL_ONLY, ["--set", "seed=3"], "station is real",
                 "--set seed"),
]


@pytest.mark.parametrize(("station", "extra", "what", "where"), COMMAND_LINES)
def test_bad_command_line_is_refused(station: str, extra: list[str], what: str, where: str,
                                     small_recipe: Path, real_station: Path,
                                     listener: Listener, twin_starts: list[Twin],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = extra if extra[0] == "run" else ["run", small_recipe, *extra]
    if station == REAL_ONLY:
        args += ["--station", real_station]
    code, out, err = invoke(capsys, *args)
    assert_one_error_line(code, out, err, what=what, where=where)
    assert_nothing_recorded()
    assert_untouched(listener, twin_starts)


@pytest.mark.parametrize("run_id", ["no-such-run", "latest"])
def test_show_unknown_run(run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "show", run_id)
    assert_one_error_line(code, out, err, what="no such run in the catalog", where=run_id)


# -- the installed entry point behaves the same (subprocess) --------------------------
SUBPROCESS_CASES = {
    "recipe_yaml_syntax.yaml": "real",
    "station_unknown_driver.yaml": None,
    "station_bad_testbed_content.yaml": None,
}
BY_FILE = {case.file: case for case in CASES}


@pytest.mark.parametrize("file", list(SUBPROCESS_CASES))
def test_entry_point_refuses_bad_file(file: str, small_recipe: Path, real_station: Path,
                                      tmp_path: Path, listener: Listener,
                                      cryochar_home: Path) -> None:
    case = BY_FILE[file]
    if case.kind == "recipe":
        station = ["--station", str(real_station)] if SUBPROCESS_CASES[file] == "real" else []
        result = run_cli("run", str(BAD / file), *station, home=cryochar_home)
    else:
        station = materialise(case, tmp_path, listener.port)
        result = run_cli("run", str(small_recipe), "--station", str(station), home=cryochar_home)
    assert_one_error_line(result.returncode, result.stdout, result.stderr, what=case.what,
                          where=case.names)
    assert_nothing_recorded()
    assert listener.connections() == 0


@pytest.mark.parametrize(("args", "what", "where"), [
    pytest.param(["run", "no_such_recipe.yaml"], "recipe file not found", "no_such_recipe.yaml",
                 id="missing_recipe_file"),
    pytest.param(["run", "s21_sweep", "--set", "powers_dbm=[1,"], "cannot parse the value",
                 "--set powers_dbm", id="set_unclosed_list"),
])
def test_entry_point_refuses_bad_command_line(args: list[str], what: str, where: str,
                                              cryochar_home: Path) -> None:
    result = run_cli(*args, home=cryochar_home)
    assert_one_error_line(result.returncode, result.stdout, result.stderr, what=what,
                          where=where)
    if args[0] == "run":
        assert_nothing_recorded()


# -- beyond the station's limits: refused offline (exit 2, zero commands) ----------------
@pytest.fixture
def loud_recipe(tmp_path: Path) -> Path:
    """5 dBm: above the default station's max_source_power_dbm of 0 dBm."""
    path = tmp_path / "too_loud.yaml"
    path.write_text(SMALL_RECIPE.replace("[-30]", "[5]"), encoding="utf-8")
    return path


def test_power_above_limit_is_refused_before_any_instrument(
        loud_recipe: Path, twin_starts: list[Twin], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(capsys, "run", loud_recipe)
    assert_one_error_line(code, out, err, what="source power 5 dBm exceeds the station limit "
                          "0 dBm", where="parameters.powers_dbm")
    assert_nothing_recorded()
    assert twin_starts == []


# -- not bad input: failures at run time (exit 1) -------------------------------------
def test_failed_run_exits_1_with_one_error_line(
        small_recipe: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fatal instrument error mid-run: exit 1, one error line, the run kept as failed."""
    from cryochar.core.errors import InstrumentError
    from cryochar.sequences.s21_sweep import S21Sweep

    def broken(self, index, point):
        raise InstrumentError("instrument reported -200,\"Execution error\"", where="vna",
                              fix="check the instrument")

    monkeypatch.setattr(S21Sweep, "measure", broken)
    code, _out, err = invoke(capsys, "run", small_recipe)
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "failed" in lines[0] and "Execution error" in lines[0] and "(fix: " in lines[0]
    row = Catalog(catalog_path()).list()[0]
    assert (row["status"], row["points_completed"]) == ("failed", 0)
    assert Path(row["file"]).is_file()


def test_unreachable_address_fails_before_any_run_file(
        tmp_path: Path, twin_starts: list[Twin], capsys: pytest.CaptureFixture[str],
        small_recipe: Path) -> None:
    """Nothing listens at the address: exit 1, one error line, no run file, no catalog row."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once closed: connections are refused
    station = tmp_path / "unreachable.yaml"
    station.write_text(REAL_STATION.replace(PORT, str(port)), encoding="utf-8")
    started = time.monotonic()
    code, out, err = invoke(capsys, "run", small_recipe, "--station", station)
    assert time.monotonic() - started < 10
    assert code == 1 and out == "" and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert f"vna at TCPIP0::127.0.0.1::{port}::SOCKET: cannot connect" in errors[0]
    assert "(fix: " in errors[0] and len(errors[0]) < MAX_LINE
    assert_nothing_recorded()
    assert twin_starts == []


@pytest.mark.timeout(5, method="signal")
def test_peer_that_drops_the_connection_does_not_hang(
        tmp_path: Path, small_recipe: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An instrument that accepts and closes at once (e.g. it allows one client only)."""
    dropping = Listener(drop=True)
    try:
        station = tmp_path / "dropping.yaml"
        station.write_text(REAL_STATION.replace(PORT, str(dropping.port)), encoding="utf-8")
        code, out, err = invoke(capsys, "run", small_recipe, "--station", station)
    finally:
        dropping.close()
    assert code == 1 and out == "" and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "vna" in errors[0] and "(fix: " in errors[0], err
    assert_nothing_recorded()
