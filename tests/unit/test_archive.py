"""cryochar analyze without the twin: query parsing and selection, schedulers, headlines,
the read-only run reader and the re-analysis hook's default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cryochar.archive.headline import describe_change
from cryochar.archive.query import parse_query, select
from cryochar.archive.scheduling import PROCESSES, SYNCHRONOUS, resolve
from cryochar.archive.task import attempt
from cryochar.archive.writeback import analysis_history, sha256, write_back
from cryochar.cli import main
from cryochar.core.errors import ConfigError, StorageError
from cryochar.reports.headline import headline_value
from cryochar.sequences import load
from cryochar.sequences.base import Sequence, supports_reanalysis
from cryochar.storage import Catalog, Layout, RunWriter, Variable
from cryochar.storage.runreader import RunReader


def test_terms_are_anded_and_values_may_hold_spaces():
    q = parse_query('sequence=coherence_monitor dut=transmon Q1 (twin) client="acme labs"')
    assert q.equal == {"sequence": "coherence_monitor", "dut": "transmon Q1 (twin)",
                       "client": "acme labs"}
    q = parse_query("run_id=2026 station=sim since=2026-01-02 until=2026-01-03")
    assert q.run_id == "2026" and q.station == "sim"
    assert q.since == datetime(2026, 1, 2, tzinfo=UTC)
    assert q.until == datetime(2026, 1, 4, tzinfo=UTC)  # a bare date includes its day
    assert parse_query("").equal == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("sequnce=coherence_monitor", "did you mean 'sequence'"),
    ("sequence=coherence_monitr", "did you mean 'coherence_monitor'"),
    ("status=complete", "did you mean 'completed'"),
    ("coherence_monitor", "not a key=value term"),
    ("dut=a dut=b", "given twice"),
    ("since=2026-02-30", "not an ISO date"),
    ("since=2026-03-01 until=2026-02-01", "not after"),
    ('dut="open', "close the quotes"),
    ("client=", "has no value"),
])
def test_bad_queries_are_one_config_error(text: str, expected: str):
    with pytest.raises(ConfigError) as info:
        parse_query(text)
    assert expected in info.value.one_line() and "\n" not in info.value.one_line()


def test_query_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", "sequence=coherence_monitor", "oprator=me"])
    _, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "did you mean 'operator'" in err


def make_catalog(path: Path) -> Catalog:
    catalog = Catalog(path)
    rows = [("20260101-090000-aaaa", "coherence_monitor", "Q1", "completed",
             "/lab/instruments/fridge_b.yaml", "2026-01-01T09:00:00+00:00"),
            ("20260102-090000-bbbb", "coherence_monitor", "Q2", "failed",
             "/lab/instruments/fridge_b.yaml", "2026-01-02T09:00:00+00:00"),
            ("20260103-090000-cccc", "coherence_monitor", "Q1", "completed",
             "/lab/instruments/sim.yaml", "2026-01-03T09:00:00+00:00"),
            ("20260103-100000-dddd", "s21_sweep", "Q1", "completed",
             "/lab/instruments/sim.yaml", "2026-01-03T10:00:00+00:00")]
    for run_id, sequence, dut, status, station, started in rows:
        catalog.add(run_id=run_id, sequence=sequence, dut=dut, status=status, station=station,
                    started=started, client="acme", operator="ada", file=f"/x/{run_id}.h5",
                    points_planned=3, points_completed=3)
    return catalog


@pytest.mark.parametrize(("text", "expected"), [
    ("sequence=coherence_monitor dut=Q1", ["cccc", "aaaa"]),
    ("station=fridge_b", ["bbbb", "aaaa"]),
    ("station=sim.yaml sequence=s21_sweep", ["dddd"]),
    ("status=failed", ["bbbb"]),
    ("run_id=20260103", ["dddd", "cccc"]),
    ("since=2026-01-02 until=2026-01-03T09:30", ["cccc", "bbbb"]),
    ("until=2026-01-01", ["aaaa"]),
    ("client=acme operator=ada dut=Q3", []),
])
def test_select_matches_the_catalog_rows(tmp_path: Path, text: str, expected: list[str]):
    rows = select(make_catalog(tmp_path / "c.sqlite"), parse_query(text))
    assert [r["run_id"][-4:] for r in rows] == expected


def test_scheduler_choice():
    assert resolve(None, None, tasks=1).name == SYNCHRONOUS  # one task: no pool
    assert resolve(None, 1, tasks=50).name == SYNCHRONOUS
    chosen = resolve(PROCESSES, 8, tasks=3)
    assert (chosen.name, chosen.workers) == (PROCESSES, 3)  # never more workers than tasks
    assert resolve("tcp://10.0.0.1:8786", None, tasks=3).remote
    for scheduler, workers, text in [("threads", None, "unknown scheduler"),
                                     ("tcp://10.0.0.1:8786", 2, "own workers"),
                                     (None, 0, "at least 1")]:
        with pytest.raises(ConfigError, match=text):
            resolve(scheduler, workers, tasks=3)


def test_headline_change_texts():
    before, after = {"t1_median": 50e-6}, {"t1_median": 55e-6}
    assert describe_change("coherence_monitor", before, after, True) == \
        "t1_median 50 -> 55 us (+10.00%)"
    assert describe_change("coherence_monitor", after, after, False) == \
        "unchanged (t1_median 55 us)"
    assert describe_change("coherence_monitor", None, after, True) == "t1_median none -> 55 us"
    assert headline_value("amplifier_noise", {"noise_temperature": [1.0, None, 3.0, 2.0]}) == 2.0
    assert describe_change("my_sequence", {}, {"x": 1}, True) == "results changed"


def small_run(path: Path) -> Path:
    layout = Layout(points_planned=3, axes={"stage": (np.array(["mxc", "still"]), "")},
                    plan={"power_dbm": (np.array([-30.0, -20.0, -10.0]), "dBm")},
                    variables=(Variable("temperature", ("stage",), "float64", "K"),))
    writer = RunWriter.create(path, layout, {"run_id": "r1", "parameters": {"a": 1}})
    writer.write_point(0, {"temperature": [0.01, 0.8]})
    writer.write_point(2, {"temperature": [0.02, 0.9]})
    writer.set_attrs(results={"x": 1.5})
    writer.close()
    return path


def test_reader_sees_what_the_writer_summarised(tmp_path: Path):
    path = small_run(tmp_path / "run.h5")
    with RunReader(path) as run:
        np.testing.assert_array_equal(run.completed_points(), [0, 2])
        np.testing.assert_array_equal(run.read("temperature"), [[0.01, 0.8], [0.02, 0.9]])
        np.testing.assert_array_equal(run.read("power_dbm"), [-30.0, -10.0])
        assert run.axis("stage").tolist() == ["mxc", "still"]
        assert run.attr("parameters") == {"a": 1} and run.attr("missing", 7) == 7
        assert run.attrs["run_id"] == "r1"
        with pytest.raises(StorageError, match="no variable"):
            run.read("s21")
    with pytest.raises(StorageError, match="cannot open"):
        RunReader(tmp_path / "absent.h5")


def test_write_back_replaces_results_and_appends_history(tmp_path: Path):
    path = small_run(tmp_path / "run.h5")
    assert write_back(path, {"x": 2.5}, {"scheduler": "synchronous"}) == '{"x": 1.5}'
    write_back(path, {"x": 2.5}, {"scheduler": "synchronous"})
    first, second = analysis_history(path)
    assert first["previous_results_sha256"] == sha256('{"x": 1.5}')
    assert second["previous_results_sha256"] == first["results_sha256"] == sha256('{"x": 2.5}')
    with RunReader(path) as run:
        assert run.attr("results") == {"x": 2.5}


def test_sequences_without_reanalysis_say_so(tmp_path: Path):
    class Minimal(Sequence):
        name = "minimal"

    assert not supports_reanalysis(Minimal)
    with pytest.raises(ConfigError, match="re-analysis not available for minimal"):
        Minimal.reanalyse(None, None)  # type: ignore[arg-type]
    for name in ("coherence_monitor", "attenuator_thermalisation", "s21_sweep",
                 "amplifier_noise", "two_port_calibration"):
        assert supports_reanalysis(load(name))
    outcome = attempt(str(small_run(tmp_path / "run.h5")), "coherence_monitor", {"shots": 1})
    assert outcome.results is None and "parameters.shots" in outcome.error


class RecordedRun:
    """A StoredRun stand-in holding only root attributes."""

    def __init__(self, **attrs):
        self.attrs = attrs

    def attr(self, name, default=None):
        return self.attrs.get(name, default)


def test_a_diode_is_rebuilt_from_the_snapshot_of_the_role_it_played():
    from cryochar.sequences.amplifier_noise import recorded_diode

    snapshot = {"noise_diode": {"metadata": {"enr_db": {"1000000000.0": 15.0,
                                                        "8000000000.0": 14.0},
                                             "ambient_temperature": 296.0}}}
    run = RecordedRun(recipe="instruments: {source: noise_diode}\n",
                      station_snapshot=snapshot)
    diode = recorded_diode(run)
    assert diode.cold_temperature() == 296.0
    np.testing.assert_allclose(diode.hot_temperature(np.array([1e9])),
                               290.0 * 10 ** 1.5 + 290.0)
    with pytest.raises(ConfigError, match="does not record its ENR table"):
        recorded_diode(RecordedRun(recipe="instruments: {source: other}\n",
                                   station_snapshot=snapshot))
