"""A run session: twin, connections, signals, run file and catalog around a sequence.

``new_run`` creates the run file and catalog row; ``resume_run`` reopens both
and measures only the points not yet completed. Both start the simulated
testbed when the station is simulated, connect exactly the instruments the
sequence's roles need, stop safely on Ctrl-C/SIGTERM, and record the outcome in
the run file and the catalog whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel

from cryochar.core import provenance
from cryochar.core.clock import WallClock
from cryochar.core.config import Loaded, RecipeConfig, StationConfig
from cryochar.core.errors import ReadingDropout
from cryochar.core.paths import catalog_path, runs_dir
from cryochar.drivers import TemperatureController, connect
from cryochar.sequences.base import RunContext, Sequence
from cryochar.sequences.runner import Outcome, execute
from cryochar.sim import Twin
from cryochar.sim.config import TestbedConfig
from cryochar.storage import Catalog, RunWriter

Progress = Callable[[int, int, str], None]
Log = Callable[[str], None]


@dataclass
class Prepared:
    """A validated run, not started yet."""

    recipe: Loaded[RecipeConfig]
    sequence: type[Sequence]
    params: BaseModel
    station: Loaded[StationConfig]
    options: dict[str, BaseModel]
    roles: dict[str, str]
    testbed: Loaded[TestbedConfig] | None
    overrides: dict[str, Any]


def summary_of(row: dict[str, Any]) -> dict[str, Any]:
    """The run summary (``run --json``, ``show --json``) from a catalog row."""
    summary = {key: row[key] for key in ("run_id", "sequence", "status", "file",
                                         "points_planned", "points_completed")}
    summary["results"] = row.get("results") or {}
    summary["faults_survived"] = row.get("faults") or {}
    if row.get("message"):
        summary["message"] = row["message"]
    return summary


def new_run(prepared: Prepared, out: str | Path | None, *, progress: Progress | None,
            log: Log | None) -> tuple[dict[str, Any], Path]:
    """Run a prepared recipe into a new run file; return (summary, path)."""
    catalog = Catalog(catalog_path())
    with _session(prepared, progress, log) as (sequence, opened, twin):
        plan = prepared.sequence.plan(prepared.params)
        run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        path = runs_dir(out) / f"{run_id}_{prepared.sequence.name}.h5"
        attrs = _provenance(prepared, run_id, opened, twin)
        writer = RunWriter.create(path, sequence.layout(plan), attrs)
        model = prepared.recipe.model
        catalog.add(run_id=run_id, sequence=prepared.sequence.name,
                    recipe=str(prepared.recipe.path), station=str(prepared.station.path),
                    dut=model.dut, client=model.client, operator=attrs["operator"],
                    started=attrs["started"], file=str(path),
                    points_planned=writer.points_planned, points_completed=0)
        outcome = _execute(sequence, writer, plan, catalog, run_id)
    return _after(outcome, catalog, run_id), path


def resume_run(prepared: Prepared, row: dict[str, Any], attrs: dict[str, Any], *,
               progress: Progress | None, log: Log | None) -> tuple[dict[str, Any], Path]:
    """Continue the run of catalog ``row`` in its file; return (summary, path)."""
    catalog = Catalog(catalog_path())
    path = Path(row["file"])
    writer = RunWriter.reopen(path)
    try:
        times = writer.read("time") if writer.has_variable("time") else np.array([])
        start_time = float(np.nanmax(times)) + 60.0 if times.size else None
        with _session(prepared, progress, log, start_time=start_time) as (sequence, _o, _t):
            plan = writer.plan()
            writer.check_layout(sequence.layout(plan))
            resumed = [*attrs.get("resumed", []), provenance.utc_now()]
            writer.set_attrs(status="running", resumed=resumed)
            catalog.update(row["run_id"], status="running", pid=os.getpid(),
                           host=socket.gethostname(), message="")
            outcome = _execute(sequence, writer, plan, catalog, row["run_id"])
    finally:
        writer.close()
    return _after(outcome, catalog, row["run_id"]), path


@contextlib.contextmanager
def _session(prepared: Prepared, progress: Progress | None, log: Log | None,
             start_time: float | None = None) -> Iterator[tuple[Sequence, dict, Twin | None]]:
    stop_event = threading.Event()
    with _simulated(prepared, start_time) as (twin, clock), \
            connect(prepared.station.model, prepared.options,
                    twin.addresses if twin else None,
                    names=list(prepared.roles.values())) as opened, \
            _stop_on_signals(stop_event, log):
        tripped, cleared = _interlock(prepared, opened)
        ctx = RunContext(clock=clock, progress=progress or (lambda *a: None),
                         log=log or (lambda text: None), stop_event=stop_event,
                         interlock=tripped, interlock_clear=cleared)
        instruments = {role: opened[name] for role, name in prepared.roles.items()}
        sequence = prepared.sequence(prepared.params, instruments, ctx)
        sequence.setup()
        yield sequence, opened, twin


def _interlock(prepared: Prepared, opened: dict[str, Any]
               ) -> tuple[Callable[[], str | None], Callable[[], bool]]:
    """The MXC temperature interlock of the station's temperature controllers in use."""
    watched = [(name, opened[name], limit) for name in opened
               if (limit := prepared.station.model.instruments[name].limits
                   .mxc_interlock_temperature) is not None
               and isinstance(opened[name], TemperatureController)]

    def reading(fridge: Any) -> float:
        try:
            return fridge.mxc_temperature()
        except ReadingDropout:
            return float("nan")  # unknown this time: neither trips nor clears

    def tripped() -> str | None:
        for name, fridge, limit in watched:
            value = reading(fridge)
            if value > limit:
                return f"{name} reads the MXC at {value * 1e3:.1f} mK, above {limit * 1e3:.0f} mK"
        return None

    def cleared() -> bool:
        return all(reading(fridge) < 0.95 * limit for _n, fridge, limit in watched)

    return tripped, cleared


def _execute(sequence: Sequence, writer: RunWriter, plan: dict, catalog: Catalog,
             run_id: str) -> Outcome:
    outcome = Outcome("failed", 0, message="the run ended unexpectedly")
    try:
        outcome = execute(sequence, writer, plan,
                          on_point=lambda n: catalog.update(run_id, points_completed=n))
    finally:
        _finish(catalog, writer, run_id, outcome)
    return outcome


def _after(outcome: Outcome, catalog: Catalog, run_id: str) -> dict[str, Any]:
    if outcome.status == "aborted" and isinstance(outcome.error, KeyboardInterrupt):
        raise outcome.error
    return summary_of(catalog.get(run_id))


@contextlib.contextmanager
def _simulated(prepared: Prepared, start_time: float | None) -> Iterator[tuple[Twin | None,
                                                                                 Any]]:
    if prepared.testbed is None:
        yield None, WallClock()
        return
    with Twin(prepared.testbed.model, start_time=start_time) as twin:
        yield twin, twin.clock


@contextlib.contextmanager
def _stop_on_signals(stop_event: threading.Event, log: Log | None) -> Iterator[None]:
    """First Ctrl-C/SIGTERM: stop after the current point. Second Ctrl-C: stop now."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if stop_event.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop_event.set()
        if log:
            log("stopping after the current point (Ctrl-C again to stop now)")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _provenance(prepared: Prepared, run_id: str, opened: dict[str, Any],
                twin: Twin | None) -> dict[str, Any]:
    recipe = prepared.recipe
    versions = provenance.versions()
    attrs: dict[str, Any] = {
        "run_id": run_id, "sequence": prepared.sequence.name, "status": "running",
        "started": provenance.utc_now(),
        "operator": recipe.model.operator or provenance.operator(),
        "host": provenance.host(), "dut": recipe.model.dut, "client": recipe.model.client,
        "cryochar_version": versions["cryochar"], "git_commit": provenance.git_commit(),
        "versions": versions, "recipe_file": str(recipe.path),
        "recipe": yaml.safe_dump(recipe.raw, sort_keys=False, allow_unicode=True),
        "recipe_text": recipe.text, "roles": dict(prepared.roles),
        "parameters": prepared.params.model_dump(mode="json"),
        "overrides": prepared.overrides, "station_file": str(prepared.station.path),
        "station": prepared.station.text,
        "station_snapshot": {name: inst.snapshot(update=False) for name, inst in opened.items()},
        "idn": {name: inst.IDN.get_latest() for name, inst in opened.items()},
        "simulated": twin is not None,
    }
    if twin is not None and prepared.testbed is not None:
        attrs["testbed"] = prepared.testbed.model.model_dump(mode="json")
        attrs["clock"] = "testbed"
    return attrs


def _finish(catalog: Catalog, writer: RunWriter, run_id: str, outcome: Outcome) -> None:
    stopped = provenance.utc_now()
    try:
        writer.set_attrs(status=outcome.status, stopped=stopped, results=outcome.results,
                         points_completed=outcome.points_completed, message=outcome.message,
                         faults_survived=outcome.faults)
    finally:
        writer.close()
        catalog.update(run_id, status=outcome.status, stopped=stopped,
                       points_completed=outcome.points_completed, results=outcome.results,
                       message=outcome.message, faults=outcome.faults)


__all__ = ["Prepared", "new_run", "resume_run", "summary_of"]
