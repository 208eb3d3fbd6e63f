"""Archive re-analysis: re-fitting every coherence_monitor run serially against Dask.

1. One real ``coherence_monitor`` run (the shipped recipe: 120 cycles of T1,
   Ramsey and echo) goes through the twin over the wire, in a temporary
   CRYOCHAR_HOME; it is the template of the archive (layout, parameters,
   provenance).
2. ``--runs`` more runs are derived from it without the wire (measuring them
   through the twin would take an hour): for each seed the twin's own qubit
   physics (:class:`cryochar.sim.physics.qubit.QubitPhysics`, with its fridge on
   a stepped testbed clock) draws the recipe's cycles with binomial shot noise
   and telegraph T1 defects, exactly as the qubit controller serves them. Each
   file is written by the RunWriter with the sequence's own layout, its
   per-cycle quick fits (batch fits, ``profile=False``) and its summary (the
   sequence's, as at the end of a real run), and catalogued. The files say so
   in their attributes (``derived_from``, ``synthetic_seed``).
3. Timed: re-analysing all runs serially (the task function in a loop, in this
   process) and with Dask (the archive driver's local process pool, one worker
   per core, pool start included); the results must be identical, and equal to
   the stored ones. Then ``cryochar.api.analyze`` end to end (select, re-fit,
   write back) on the whole archive.

Prints one JSON object. ``load`` records the load averages and the CPU time
other processes used during the timings (``other_cpu_fraction``, in CPUs, from
``/proc/stat``): on a shared machine compare runs only when it is near zero.

Usage: ``python benchmarks/analyze.py [--runs 1000] [--workers N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _load import LoadMeter


def template_run() -> tuple[dict[str, Any], Any]:
    """The real run through the twin: its root attributes and its parameters."""
    from cryochar import api
    from cryochar.sequences.coherence_monitor import Parameters
    from cryochar.storage import read_attrs

    run = api.run("coherence_monitor")
    attrs = read_attrs(run.path)
    return attrs, Parameters.model_validate(attrs["parameters"])


def simulate_cycles(params: Any, seed: int, start: float) -> dict[str, np.ndarray]:
    """The recipe's cycles on the twin's qubit physics with ``seed``: counts per
    experiment, cycle start times and MXC readings, as the sequence measures them."""
    from cryochar.sim import load_testbed
    from cryochar.sim.clock import SimClock
    from cryochar.sim.physics.fridge import Fridge
    from cryochar.sim.physics.qubit import QubitPhysics

    twin = load_testbed().model.twin  # the seed only enters the generators below
    clock = SimClock("stepped", start=start)
    fridge = Fridge(twin.fridge, clock, np.random.default_rng([seed, 0]))
    qubit = QubitPhysics(twin.qubit, twin.resonator, twin.attenuator_under_test, fridge,
                         clock, seed)
    p = params
    out: dict[str, list[Any]] = {k: [] for k in ("t1_counts", "ramsey_counts", "echo_counts",
                                                  "time", "mxc_temperature")}
    for index in range(p.repetitions):
        clock.advance(start + index * p.interval - clock.now())
        out["time"].append(clock.now())
        out["t1_counts"].append(qubit.run("t1", p.t1.grid(), p.shots).counts)
        out["ramsey_counts"].append(qubit.run("ramsey", p.ramsey.grid(), p.shots,
                                              p.ramsey_detuning).counts)
        out["echo_counts"].append(qubit.run("echo", p.echo.grid(), p.shots).counts)
        out["mxc_temperature"].append(fridge.read_thermometer("mxc"))
    return {k: np.asarray(v) for k, v in out.items()}


def quick_fits(params: Any, cycles: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-cycle quick-fit variables of the layout (one batch fit per experiment)."""
    from cryochar.analysis.coherence import fit_echo, fit_ramsey, fit_t1

    n = params.shots
    f1 = fit_t1(params.t1.grid(), cycles["t1_counts"] / n, shots=n, profile=False)
    f2 = fit_ramsey(params.ramsey.grid(), cycles["ramsey_counts"] / n, shots=n, profile=False)
    fe = fit_echo(params.echo.grid(), cycles["echo_counts"] / n, shots=n, profile=False)
    return {"t1": np.asarray(f1.T1), "t1_stderr": np.asarray(f1.T1_stderr),
            "t2_star": np.asarray(f2.T2_star), "t2_star_stderr": np.asarray(f2.T2_star_stderr),
            "t2_echo": np.asarray(fe.T2_echo), "t2_echo_stderr": np.asarray(fe.T2_echo_stderr),
            "fit_ok": np.asarray(f1.ok, int) | 2 * np.asarray(f2.ok, int)
            | 4 * np.asarray(fe.ok, int)}


def write_all_points(path: Path, points: dict[str, np.ndarray]) -> None:
    """Fill every point of a freshly created run file at once, then flag them complete.

    The same bytes as the RunWriter's point-by-point writes; its flush after every
    point protects a live run against a crash and only slows down building an archive
    (120 ms a run here).
    """
    import h5py

    from cryochar.storage import COMPLETED

    with h5py.File(path, "r+", locking=False) as handle:
        for name, values in points.items():
            handle[name][...] = values
        handle[COMPLETED][...] = 1


def derive_archive(count: int, attrs: dict[str, Any], params: Any) -> float:
    """Write and catalogue ``count`` derived runs; return the seconds it took."""
    from cryochar.core.clock import WallClock
    from cryochar.core.paths import catalog_path, runs_dir
    from cryochar.sequences.base import RunContext
    from cryochar.sequences.coherence_monitor import CoherenceMonitor, summarise_run
    from cryochar.storage import Catalog, RunWriter

    started = time.perf_counter()
    catalog = Catalog(catalog_path())
    sequence = CoherenceMonitor(params, {}, RunContext(clock=WallClock()))
    plan = CoherenceMonitor.plan(params)
    layout = sequence.layout(plan)
    duration = params.repetitions * params.interval
    for seed in range(1, count + 1):
        start = 1_767_225_600.0 + seed * (duration + 3600.0)  # one run after the other
        when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start))
        run_id = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime(start))}-{seed:04x}"
        cycles = simulate_cycles(params, seed, start)
        points = {**cycles, **quick_fits(params, cycles)}
        path = runs_dir() / f"{run_id}_coherence_monitor.h5"
        testbed = {**attrs["testbed"], "seed": seed}
        RunWriter.create(path, layout, {
            **attrs, "run_id": run_id, "started": when, "status": "running", "testbed": testbed,
            "derived_from": attrs["run_id"], "synthetic_seed": seed}).close()
        write_all_points(path, points)
        writer = RunWriter.reopen(path)
        results = summarise_run(params, writer)
        writer.set_attrs(status="completed", results=results, stopped=when,
                         points_completed=params.repetitions)
        writer.close()
        catalog.add(run_id=run_id, sequence="coherence_monitor", recipe=attrs["recipe_file"],
                    station=attrs["station_file"], dut=attrs["dut"], client=attrs["client"],
                    operator=attrs["operator"], started=when, stopped=when, file=str(path),
                    status="completed", points_planned=params.repetitions,
                    points_completed=params.repetitions, results=results)
    return time.perf_counter() - started


def jobs_of_archive() -> list[tuple[str, str, dict[str, Any]]]:
    """Every coherence_monitor run as the driver dispatches it (path, sequence, params)."""
    from cryochar.archive.query import parse_query, select
    from cryochar.core.paths import catalog_path
    from cryochar.storage import Catalog
    from cryochar.storage.runreader import RunReader

    jobs = []
    for row in select(Catalog(catalog_path()), parse_query("sequence=coherence_monitor")):
        with RunReader(row["file"]) as run:
            jobs.append((row["file"], row["sequence"], run.attr("parameters")))
    return jobs


def bench(runs: int, workers: int | None) -> dict[str, Any]:
    from cryochar import api
    from cryochar.archive.scheduling import resolve, run, start_method
    from cryochar.archive.task import attempt
    from cryochar.archive.writeback import results_text
    from cryochar.storage.runreader import RunReader

    attrs, params = template_run()
    generate_s = derive_archive(runs - 1, attrs, params)
    jobs = jobs_of_archive()
    stored = []
    for path, _sequence, _params in jobs:
        with RunReader(path) as stored_run:
            stored.append(stored_run.attr("results"))

    load = LoadMeter().start()
    start = time.perf_counter()
    serial = [attempt(*job) for job in jobs]  # the baseline: one process, one run at a time
    serial_s = time.perf_counter() - start
    chosen = resolve(None, workers, len(jobs))
    method = start_method()
    start = time.perf_counter()
    parallel = run(jobs, chosen)
    dask_s = time.perf_counter() - start
    load_report = load.report()

    start = time.perf_counter()
    reports = api.analyze("sequence=coherence_monitor", workers=workers)
    analyze_s = time.perf_counter() - start

    texts = [results_text(o.results) if o.results is not None else None for o in serial]
    identical = texts == [results_text(o.results) if o.results is not None else None
                          for o in parallel]
    return {
        "runs": len(jobs),
        "cycles_per_run": params.repetitions,
        "serial_s": round(serial_s, 3),
        "dask_s": round(dask_s, 3),
        "speedup": round(serial_s / dask_s, 2),
        "workers": chosen.workers or 1,
        "scheduler": chosen.name,
        "start_method": method,
        "per_run_ms": {"serial": round(1e3 * serial_s / len(jobs), 2),
                       "dask": round(1e3 * dask_s / len(jobs), 2)},
        "identical": identical,
        "failed": sum(o.results is None for o in serial),
        "matches_stored": [json.dumps(r) for r in stored] == texts,
        "analyze_end_to_end_s": round(analyze_s, 3),
        "analyze_reanalysed": sum(r["status"] == "reanalysed" for r in reports),
        "analyze_unchanged": sum(r["changed"] is False for r in reports),
        "archive_generation_s": round(generate_s, 1),
        "load": load_report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs in the archive (>= 2)")
    parser.add_argument("--workers", type=int, default=None,
                        help="Dask worker processes (default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cryochar-analyze-bench-") as home:
        os.environ["CRYOCHAR_HOME"] = home
        report = bench(max(args.runs, 2), args.workers)
    report["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
