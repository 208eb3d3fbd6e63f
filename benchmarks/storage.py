"""Storage benchmark: cryochar's run writer against the qcodes dataset.

Writes N VNA traces of 20001 complex points (plus a power setpoint per trace)
through cryochar's RunWriter (HDF5, flushed after every point) and through the
qcodes dataset (Measurement with array parameters, SQLite), same data, same
process; then reads one trace back from each. Prints one JSON object.

    python benchmarks/storage.py [--traces 50] [--points 20001]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def data(traces: int, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    frequency = np.linspace(4e9, 8e9, points)
    powers = np.linspace(-60, -10, traces)
    s21 = rng.normal(size=(traces, points)) + 1j * rng.normal(size=(traces, points))
    return frequency, powers, s21


def cryochar_write(folder: Path, frequency, powers, s21) -> tuple[float, Path]:
    from cryochar.storage import Layout, RunWriter, Variable

    path = folder / "run.h5"
    start = time.perf_counter()
    writer = RunWriter.create(path, Layout(
        points_planned=len(powers), axes={"frequency": (frequency, "Hz")},
        plan={"power_dbm": (powers, "dBm")},
        variables=(Variable("s21", ("frequency",), "complex128"),)), {"run_id": "bench"})
    for index, trace in enumerate(s21):
        writer.write_point(index, {"s21": trace})
    writer.close()
    return time.perf_counter() - start, path


def cryochar_read(path: Path, index: int) -> tuple[float, float, np.ndarray]:
    """Warm read of one trace: through xarray (the documented way) and h5py."""
    import h5py
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:  # warm-up: imports, backends
        _ = ds["s21"].isel(point=0).values
    start = time.perf_counter()
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        trace = ds["s21"].isel(point=index).values
    through_xarray = time.perf_counter() - start
    start = time.perf_counter()
    with h5py.File(path, "r") as handle:
        direct = handle["s21"][index]
    through_h5py = time.perf_counter() - start
    assert np.array_equal(trace, direct)
    return through_xarray, through_h5py, trace


def qcodes_write(folder: Path, frequency, powers, s21, write_period: float) -> tuple[float, int]:
    from qcodes.dataset import (
        Measurement,
        initialise_or_create_database_at,
        load_or_create_experiment,
    )

    initialise_or_create_database_at(folder / f"qcodes_{write_period}.db")
    experiment = load_or_create_experiment("bench", sample_name="twin")
    measurement = Measurement(exp=experiment)
    measurement.write_period = write_period
    measurement.register_custom_parameter("power", unit="dBm")
    measurement.register_custom_parameter("frequency", unit="Hz", paramtype="array")
    measurement.register_custom_parameter("s21", paramtype="array",
                                          setpoints=("power", "frequency"))
    start = time.perf_counter()
    with measurement.run() as saver:
        for power, trace in zip(powers, s21, strict=True):
            saver.add_result(("power", power), ("frequency", frequency), ("s21", trace))
        run_id = saver.run_id
    return time.perf_counter() - start, run_id


def qcodes_read(run_id: int, index: int) -> tuple[float, np.ndarray]:
    from qcodes.dataset import load_by_id

    load_by_id(run_id).get_parameter_data("s21", start=1, end=1)  # warm-up
    start = time.perf_counter()
    dataset = load_by_id(run_id)
    trace = dataset.get_parameter_data("s21", start=index + 1, end=index + 1)["s21"]["s21"]
    return time.perf_counter() - start, np.asarray(trace).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=50)
    parser.add_argument("--points", type=int, default=20001)
    args = parser.parse_args()
    frequency, powers, s21 = data(args.traces, args.points)
    index = args.traces // 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, path = cryochar_write(folder, frequency, powers, s21)
        ours_read, ours_read_h5py, ours_trace = cryochar_read(path, index)
        theirs, run_id = qcodes_write(folder, frequency, powers, s21, write_period=5.0)
        theirs_read, theirs_trace = qcodes_read(run_id, index)
        theirs_flush, _ = qcodes_write(folder, frequency, powers, s21, write_period=0.001)
    assert np.array_equal(ours_trace, s21[index]) and np.allclose(theirs_trace, s21[index])
    print(json.dumps({
        "benchmark": "storage", "traces": args.traces, "points_per_trace": args.points,
        "cryochar_write_s": round(ours, 4),
        "qcodes_write_s": round(theirs, 4),
        "qcodes_write_flush_every_point_s": round(theirs_flush, 4),
        "write_speedup_vs_qcodes": round(theirs / ours, 2),
        "write_speedup_vs_qcodes_flushing": round(theirs_flush / ours, 2),
        "cryochar_read_one_trace_xarray_s": round(ours_read, 4),
        "cryochar_read_one_trace_h5py_s": round(ours_read_h5py, 4),
        "qcodes_read_one_trace_s": round(theirs_read, 4),
        "read_speedup_vs_qcodes_xarray": round(theirs_read / ours_read, 2),
        "read_speedup_vs_qcodes_h5py": round(theirs_read / ours_read_h5py, 2),
        "note": ("cryochar flushes after every point; qcodes default write_period is 5 s; "
                 "reads are warm (second open in the process)"),
    }))


if __name__ == "__main__":
    main()
