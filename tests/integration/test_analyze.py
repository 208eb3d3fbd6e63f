"""cryochar analyze end to end: small real runs on the twin, re-analysed in parallel.

The runs are made once per module in a template CRYOCHAR_HOME; every test that
writes works on its own copy (run files and catalog).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import h5py
import pytest

from cryochar import api, sequences
from cryochar.archive.task import normalised, reanalyse_file
from cryochar.archive.writeback import analysis_history, sha256
from cryochar.core.paths import catalog_path
from cryochar.storage import Catalog
from cryochar.storage.runreader import RunReader
from tests.conftest import cli_in_process, run_cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# small recipes of every sequence analyze supports (two coherence runs: "every
# coherence run of one qubit"); a few seconds in all on the twin
RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "coherence_a": ("coherence_monitor", {"repetitions": 12, "interval": 60.0}),
    "coherence_b": ("coherence_monitor", {"repetitions": 10, "interval": 90.0, "seed": 7}),
    "attenuator": ("attenuator_thermalisation", {
        "repeats": 1, "shots": 500, "mxc_temperatures": [0.02, 0.06, 0.1],
        "powers_dbm": [-30, -20]}),
    "s21": ("s21_sweep", {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None}),
    "two_port": ("two_port_calibration", {"points": 21, "repeats": 2, "budget": {"draws": 50}}),
    "noise_vt_load": ("amplifier_noise", {
        "frequencies": [5e9, 6e9], "averages": 100,
        "source": {"kind": "vt_load", "temperatures": [0.05, 1.0, 3.0]}}),
    "noise_diode": ("sequences/amplifier_noise_diode.yaml", {
        "frequencies": [5e9, 6e9], "source.diode_cycles": 1, "averages": 100,
        "twin.noise_source.kind": "diode"}),
}
QUERY_ALL = "client=internal"  # every recipe above is the lab's own ("internal")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A home with one completed run per entry of RUNS: {"home", "runs": name -> row}."""
    home = tmp_path_factory.mktemp("analyze") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRYOCHAR_HOME", str(home))
        ids = {name: api.run(recipe, overrides=overrides).summary["run_id"]
               for name, (recipe, overrides) in RUNS.items()}
        catalog = Catalog(catalog_path())
        rows = {name: catalog.get(run_id) for name, run_id in ids.items()}
    assert all(row["status"] == "completed" for row in rows.values())
    return {"home": home, "runs": rows}


def clone(template: dict[str, Any], dest: Path, monkeypatch: pytest.MonkeyPatch,
          ) -> dict[str, dict[str, Any]]:
    """Copy the template home to ``dest``, point the catalog at the copies, use it."""
    shutil.copytree(template["home"], dest)
    monkeypatch.setenv("CRYOCHAR_HOME", str(dest))
    catalog = Catalog(catalog_path())
    rows = {}
    for name, row in template["runs"].items():
        copy = str(dest / Path(row["file"]).relative_to(template["home"]))
        catalog.update(row["run_id"], file=copy)
        rows[name] = catalog.get(row["run_id"])
    return rows


def stored_results_text(path: str) -> str:
    with h5py.File(path, "r") as handle:
        return handle.attrs["results"]


def raw_data_digest(path: str) -> dict[str, str]:
    """SHA-256 of every dataset: its bytes on disk (offset, size) and its values."""
    digests: dict[str, str] = {}
    with h5py.File(path, "r") as handle, open(path, "rb") as raw:
        def visit(name: str, obj: Any) -> None:
            if not isinstance(obj, h5py.Dataset):
                return
            offset, size = obj.id.get_offset(), obj.id.get_storage_size()
            raw.seek(offset)
            values = obj.asstr()[...] if h5py.check_string_dtype(obj.dtype) else obj[...]
            digests[name] = hashlib.sha256(
                f"{offset}:{size}:".encode() + raw.read(size)
                + json.dumps(values.tolist(), default=str).encode()).hexdigest()
        handle.visititems(visit)
    return digests


@pytest.mark.parametrize("name", list(RUNS))
def test_untouched_run_reanalyses_to_exactly_its_stored_results(template, name):
    row = template["runs"][name]
    cls = sequences.load(row["sequence"])
    with RunReader(row["file"]) as run:
        params = cls.Parameters.model_validate(run.attr("parameters"))
        results = cls.reanalyse(params, run)
    stored = stored_results_text(row["file"])
    assert json.dumps(normalised(results)) == stored
    assert json.dumps(row["results"]) == stored  # the catalog holds the same results
    assert json.dumps(reanalyse_file(row["file"], row["sequence"], params.model_dump(
        mode="json"))) == stored


def test_live_run_refused_missing_file_reported_and_dry_run(template, tmp_path, monkeypatch,
                                                            capsys):
    rows = clone(template, tmp_path / "home", monkeypatch)
    live, lost = rows["coherence_a"], rows["s21"]
    Catalog(catalog_path()).update(live["run_id"], status="running", pid=os.getpid(),
                                   host=socket.gethostname())
    Path(lost["file"]).unlink()

    main_code, out, _ = cli_in_process(capsys, "analyze", "sequence=coherence_monitor",
                                       "--dry-run", "--json")
    assert main_code == 0
    assert {r["run_id"] for r in json.loads(out)} == {live["run_id"],
                                                     rows["coherence_b"]["run_id"]}
    assert all(not analysis_history(r["file"]) for r in rows.values() if r is not lost)

    code, out, _ = cli_in_process(capsys, "analyze", QUERY_ALL, "--json")
    reports = {r["run_id"]: r for r in json.loads(out)}
    assert code == 1  # a run failed (its file is gone); the others went through
    assert reports[live["run_id"]]["status"] == "skipped"
    assert "running" in reports[live["run_id"]]["reason"]
    assert not analysis_history(live["file"])  # the live run's file was not opened to write
    assert stored_results_text(live["file"]) == stored_results_text(
        template["runs"]["coherence_a"]["file"])
    assert reports[lost["run_id"]]["status"] == "failed"
    assert "missing" in reports[lost["run_id"]]["reason"]
    done = [r for r in reports.values() if r["status"] == "reanalysed"]
    assert len(done) == len(RUNS) - 2 and not any(r["changed"] for r in done)


def test_query_errors_are_one_line_with_exit_code_2(tmp_path):
    result = run_cli("analyze", "sequnce=coherence_monitor", home=tmp_path / "home")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "did you mean 'sequence'" in result.stderr


def test_local_and_distributed_schedulers_agree_and_raw_data_stay_untouched(
        template, tmp_path, monkeypatch):
    from distributed import LocalCluster

    a = clone(template, tmp_path / "a", monkeypatch)
    stale = json.loads(stored_results_text(a["coherence_a"]["file"]))
    stale["t1_median"] *= 0.9  # results of an older analysis
    stale_text = json.dumps(stale)
    with h5py.File(a["coherence_a"]["file"], "r+", locking=False) as handle:
        handle.attrs["results"] = stale_text
    before = {name: raw_data_digest(row["file"]) for name, row in a.items()}

    local = {r["run_id"]: r for r in api.analyze(QUERY_ALL, workers=2)}  # a pool, even on 1 CPU

    assert {name: raw_data_digest(row["file"]) for name, row in a.items()} == before
    catalog = Catalog(catalog_path())
    for name, row in a.items():
        report = local[row["run_id"]]
        assert report["status"] == "reanalysed", report
        assert report["changed"] == (name == "coherence_a")
        text = stored_results_text(row["file"])
        assert text == stored_results_text(template["runs"][name]["file"])
        assert json.dumps(catalog.get(row["run_id"])["results"]) == text
        [entry] = analysis_history(row["file"])
        assert entry["scheduler"] == "processes" and entry["workers"] == 2
        assert entry["results_sha256"] == sha256(text)
        assert entry["cryochar_version"] and entry["time"]
    assert analysis_history(a["coherence_a"]["file"])[0]["previous_results_sha256"] == \
        sha256(stale_text)
    assert "t1_median" in local[a["coherence_a"]["run_id"]]["change"]

    again = api.analyze("sequence=coherence_monitor", scheduler="synchronous")
    assert [r["status"] for r in again] == ["reanalysed"] * 2
    assert len(analysis_history(a["coherence_a"]["file"])) == 2  # the history grows

    b = clone(template, tmp_path / "b", monkeypatch)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        remote = {r["run_id"]: r for r in api.analyze(QUERY_ALL, scheduler=address)}
    for row in b.values():
        report = remote[row["run_id"]]
        assert report["status"] == "reanalysed"
        assert json.dumps(report["results"]) == json.dumps(local[row["run_id"]]["results"])
        assert analysis_history(row["file"])[-1]["scheduler"] == address


def test_report_option_rewrites_the_outdated_reports(template, tmp_path, monkeypatch, capsys):
    rows = clone(template, tmp_path / "r", monkeypatch)
    stale = json.loads(stored_results_text(rows["coherence_a"]["file"]))
    stale["t1_median"] *= 0.9
    with h5py.File(rows["coherence_a"]["file"], "r+", locking=False) as handle:
        handle.attrs["results"] = json.dumps(stale)
    code, _, _ = cli_in_process(capsys, "analyze", "sequence=coherence_monitor", "--workers", "1",
                   "--report")
    reports = tmp_path / "r" / "reports"
    assert code == 0
    assert sorted(p.name for p in reports.iterdir()) == [
        f"{rows['coherence_a']['run_id']}.html", "index.html"]  # only the changed run
    page = (reports / f"{rows['coherence_a']['run_id']}.html").read_text(encoding="utf-8")
    median = json.loads(stored_results_text(rows["coherence_a"]["file"]))["t1_median"]
    assert median != stale["t1_median"]
    assert f"<td class=\"num\">{median * 1e6:.4g}</td>" in page  # the new results
    assert "Re-analyses of this run" in page
