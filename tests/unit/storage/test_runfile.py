"""HDF5 run files: layout, point-by-point writing, xarray round trip, resume."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from cryochar.core.errors import StorageError
from cryochar.storage import Layout, RunWriter, Variable, read_attrs


def layout(n: int = 4, nf: int = 5) -> Layout:
    return Layout(
        points_planned=n,
        axes={"frequency": (np.linspace(4e9, 8e9, nf), "Hz"),
              "stage": (np.array(["mxc", "still"]), "")},
        plan={"power_dbm": (np.linspace(-40, -10, n), "dBm")},
        variables=(Variable("s21", ("frequency",), "complex128", "", "S21"),
                   Variable("temperature", ("stage",), "float64", "K"),
                   Variable("flag", (), "uint8")))


def test_points_written_open_in_xarray_with_coordinates(tmp_path: Path):
    path = tmp_path / "run.h5"
    writer = RunWriter.create(path, layout(), {"run_id": "r1", "station": {"vna": "x"}})
    trace = np.arange(5) * (1 + 1j)
    writer.write_point(0, {"s21": trace, "temperature": [0.01, 0.8], "flag": 1})
    writer.write_point(2, {"s21": -trace, "temperature": [0.02, 0.8], "flag": 0})
    np.testing.assert_array_equal(writer.completed_points(), [0, 2])
    np.testing.assert_allclose(writer.read("temperature")[:, 0], [0.01, 0.02])
    writer.set_attrs(status="completed", results={"a": [1, 2]})
    writer.close()
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert dict(ds.sizes) == {"point": 4, "frequency": 5, "stage": 2}
        assert ds.s21.dtype == np.complex128
        assert list(ds.stage.values) == ["mxc", "still"]
        assert ds.frequency.attrs["units"] == "Hz"
        np.testing.assert_array_equal(ds.completed.values, [1, 0, 1, 0])
        np.testing.assert_array_equal(ds.s21.isel(point=2).values, -trace)
        assert np.isnan(ds.s21.isel(point=1).values).all()  # never measured
        np.testing.assert_allclose(ds.power_dbm.values, [-40, -30, -20, -10])
    attrs = read_attrs(path)
    assert attrs["status"] == "completed"
    assert attrs["results"] == {"a": [1, 2]}
    assert attrs["station"] == {"vna": "x"}


def test_writing_a_point_changes_no_metadata(tmp_path: Path):
    """Contiguous, early-allocated datasets: a point write only touches raw data."""
    path = tmp_path / "run.h5"
    writer = RunWriter.create(path, layout(), {})
    # another process may open the file while it is written (no lock); in this
    # process HDF5 wants the same locking flag as the writer's
    with h5py.File(path, "r", locking=False) as live:
        offsets = {name: live[name].id.get_offset() for name in ("s21", "temperature",
                                                                 "completed")}
        assert all(offset is not None for offset in offsets.values())
        assert live["s21"].chunks is None
        size = path.stat().st_size
        writer.write_point(1, {"s21": np.ones(5), "temperature": [1, 2], "flag": 1})
        assert path.stat().st_size == size
        assert live["completed"][1] == 1  # the live reader sees the new point
        assert {n: live[n].id.get_offset() for n in offsets} == offsets
    writer.close()


def test_reopen_fills_the_remaining_points(tmp_path: Path):
    path = tmp_path / "run.h5"
    first = RunWriter.create(path, layout(), {})
    first.write_point(0, {"flag": 1})
    first.close()
    again = RunWriter.reopen(path)
    assert again.points_planned == 4
    np.testing.assert_array_equal(again.completed_points(), [0])
    again.write_point(3, {"flag": 1})
    np.testing.assert_array_equal(again.completed_points(), [0, 3])
    again.close()


def test_unknown_variable_and_unwritable_folder_are_storage_errors(tmp_path: Path):
    writer = RunWriter.create(tmp_path / "run.h5", layout(), {})
    with pytest.raises(StorageError, match="no variable"):
        writer.write_point(0, {"nope": 1})
    writer.close()
    with pytest.raises(StorageError, match="cannot create"):
        RunWriter.create(tmp_path / "missing" / "run.h5", layout(), {})


def test_one_writer_at_a_time_across_processes(tmp_path: Path):
    """A run file has one writer (run, resume or re-analysis); others are refused at once
    and may write again when it closes (or dies: the kernel drops the lock)."""
    import subprocess
    import sys

    from cryochar.archive.writeback import write_back

    path = tmp_path / "run.h5"
    RunWriter.create(path, layout(), {"run_id": "r1"}).close()
    writer = RunWriter.reopen(path)
    try:
        with pytest.raises(StorageError, match="being written by another process"):
            write_back(path, {"t1": 1.0}, {"scheduler": "test"})
        other = subprocess.run(
            [sys.executable, "-c", "import sys\nfrom cryochar.storage import RunWriter\n"
             "RunWriter.reopen(sys.argv[1])", str(path)],
            capture_output=True, text=True, timeout=60, check=False)
        assert other.returncode == 1 and "being written by another process" in other.stderr
        live = subprocess.run(  # a notebook watching the run: HDF5's own (shared) file lock
            [sys.executable, "-c", "import sys, h5py\nwith h5py.File(sys.argv[1], 'r') as h:\n"
             "    print(int(h['completed'][...].sum()))", str(path)],
            capture_output=True, text=True, timeout=60, check=False)
        assert live.returncode == 0 and live.stdout.strip() == "0", live.stderr
    finally:
        writer.close()
    write_back(path, {"t1": 1.0}, {"scheduler": "test"})
    assert read_attrs(path)["results"] == {"t1": 1.0}
