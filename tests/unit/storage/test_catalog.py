"""The SQLite run catalog: rows, lookups, interrupted runs, concurrent writers."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from cryochar.core.errors import RunNotFound
from cryochar.storage import Catalog, process_alive


def add(catalog: Catalog, run_id: str, started: str, **extra) -> None:
    catalog.add(run_id=run_id, sequence="s21_sweep", started=started, file=f"/x/{run_id}.h5",
                points_planned=3, points_completed=0, **extra)


def test_add_update_get_and_list(tmp_path: Path):
    catalog = Catalog(tmp_path / "c.sqlite")
    add(catalog, "20260101-000000-aaaa", "2026-01-01T00:00:00", dut="attenuator")
    add(catalog, "20260102-000000-bbbb", "2026-01-02T00:00:00")
    catalog.update("20260101-000000-aaaa", status="completed", results={"x": [1.5]})
    assert catalog.get("latest")["run_id"] == "20260102-000000-bbbb"
    row = catalog.get("20260101")
    assert row["results"] == {"x": [1.5]} and row["dut"] == "attenuator"
    assert [r["run_id"] for r in catalog.list(status="completed")] == ["20260101-000000-aaaa"]
    with pytest.raises(RunNotFound):
        catalog.get("2026")  # ambiguous prefix
    with pytest.raises(RunNotFound) as info:
        catalog.get("nope")
    assert info.value.exit_code == 2


def test_run_of_a_dead_process_is_interrupted(tmp_path: Path):
    catalog = Catalog(tmp_path / "c.sqlite")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    add(catalog, "r-dead", "2026-01-01T00:00:00", pid=child.pid)
    add(catalog, "r-alive", "2026-01-01T00:00:01")  # our own pid: still running
    assert catalog.get("r-dead")["status"] == "interrupted"
    assert catalog.get("r-alive")["status"] == "running"
    assert catalog.list(status="interrupted")[0]["run_id"] == "r-dead"  # written back
    assert not process_alive(child.pid)


def _writer(path: str, prefix: str, n: int) -> None:
    catalog = Catalog(path)
    for i in range(n):
        add(catalog, f"{prefix}-{i:03d}", f"2026-01-01T00:00:{i % 60:02d}")
        catalog.update(f"{prefix}-{i:03d}", points_completed=i)


def test_two_processes_writing_at_once(tmp_path: Path):
    path = str(tmp_path / "c.sqlite")
    Catalog(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, name, 60)) for name in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    rows = Catalog(path).list(limit=1000)
    assert len(rows) == 120
    assert {r["points_completed"] for r in rows} == set(range(60))
