"""A run killed with SIGKILL leaves a readable file with every completed point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

from cryochar.storage import Catalog
from tests.conftest import REPO, run_cli


def kill_after_points(home: Path, args: list[str], points: int = 5) -> None:
    """Start ``cryochar run ARGS``, SIGKILL it once ``points`` points are in the catalog."""
    env = {**os.environ, "CRYOCHAR_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-m", "cryochar", "run", *args], cwd=REPO,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    catalog_file = home / "catalog.sqlite"
    deadline = time.monotonic() + 60
    completed = 0
    while time.monotonic() < deadline and completed < points:
        time.sleep(0.05)
        if catalog_file.exists():
            rows = Catalog(catalog_file).list()
            completed = rows[0]["points_completed"] if rows else 0
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert completed >= points, "the run did not get going"


def test_sigkill_mid_sweep_keeps_completed_points(cryochar_home: Path):
    powers = "[" + ",".join(str(p) for p in np.linspace(-60, -10, 120)) + "]"
    kill_after_points(cryochar_home, ["sequences/s21_sweep.yaml", "--set", f"powers_dbm={powers}",
                                      "--set", "mxc_temperatures=null", "--set", "points=1001"])

    shown = json.loads(run_cli("show", "latest", "--json", home=cryochar_home,
                               check=True).stdout)
    assert shown["status"] == "interrupted"
    assert 5 <= shown["points_completed"] < shown["points_planned"] == 120
    with xr.open_dataset(shown["file"], engine="h5netcdf") as ds:
        flagged = ds.completed.values.astype(bool)
        assert flagged.sum() >= shown["points_completed"]
        done = ds.s21.values[flagged]
        assert np.isfinite(done).all()  # every flagged point holds a whole trace
        assert ds.attrs["status"] == "running"  # the process never got to finish it
        powers_done = ds.power_dbm.values[flagged]
        np.testing.assert_allclose(powers_done, np.linspace(-60, -10, 120)[flagged])
        before = ds.s21.values[flagged].copy()

    resumed = run_cli("resume", "latest", "--json", home=cryochar_home, check=True)
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    assert summary["points_completed"] == summary["points_planned"] == 120
    assert summary["run_id"] == shown["run_id"] and summary["file"] == shown["file"]
    with xr.open_dataset(shown["file"], engine="h5netcdf") as ds:
        assert ds.completed.values.all()  # every planned point, exactly once (one slot each)
        assert np.isfinite(ds.s21.values).all()
        np.testing.assert_array_equal(ds.s21.values[flagged], before)  # kept as measured
        assert ds.attrs["status"] == "completed"
        assert json.loads(ds.attrs["resumed"])
    again = run_cli("resume", shown["run_id"], home=cryochar_home)
    assert again.returncode == 2 and "nothing to resume" in again.stderr


def test_sigkill_during_coherence_monitor_then_resume(cryochar_home: Path):
    kill_after_points(cryochar_home, ["sequences/coherence_monitor.yaml", "--set",
                                      "repetitions=300"])
    shown = json.loads(run_cli("show", "latest", "--json", home=cryochar_home,
                               check=True).stdout)
    assert shown["status"] == "interrupted"
    assert 5 <= shown["points_completed"] < shown["points_planned"] == 300
    resumed = run_cli("resume", "latest", "--json", home=cryochar_home, check=True)
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed"
    assert summary["points_completed"] == summary["points_planned"] == 300
    with xr.open_dataset(summary["file"], engine="h5netcdf") as ds:
        assert ds.completed.values.all() and (ds.t1_counts.values >= 0).all()
        assert np.isfinite(ds.time.values.astype(float)).all()
    assert summary["results"]["cycles"] == 300
