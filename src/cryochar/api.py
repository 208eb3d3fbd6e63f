"""Running recipes: the one orchestration path used by the CLI and notebooks.

``prepare`` validates everything (recipe, parameters, station, drivers and their
options, roles, testbed and overrides) before any instrument is touched; a bad
input raises :class:`ConfigError` having sent zero commands and written no file.
``run`` then starts the simulated testbed when the station is simulated,
connects the instruments, creates the run file and catalog row, and executes.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xarray as xr
import yaml
from pydantic import BaseModel

from cryochar import sequences
from cryochar.core import provenance
from cryochar.core.clock import WallClock
from cryochar.core.config import (
    SIM_ADDRESS_PREFIX,
    Loaded,
    RecipeConfig,
    StationConfig,
    load_recipe,
    load_station,
)
from cryochar.core.errors import ConfigError
from cryochar.core.paths import catalog_path, default_file, runs_dir
from cryochar.core.yamlio import validate
from cryochar.drivers import check_roles, check_station, connect
from cryochar.sequences.base import RunContext, Sequence
from cryochar.sequences.runner import Outcome, execute
from cryochar.sim import INSTRUMENTS, TESTBED_KEYS, Twin, load_testbed
from cryochar.sim.config import TestbedConfig
from cryochar.storage import COMPLETED, Catalog, RunWriter

DEFAULT_STATION = "sim.yaml"


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


@dataclass
class Run:
    """A finished (or stopped) run: its summary, results and data."""

    summary: dict[str, Any]
    path: Path

    @property
    def results(self) -> dict[str, Any]:
        """Summary results of the sequence."""
        return self.summary["results"]

    @property
    def data(self) -> xr.Dataset:
        """The completed points as an xarray Dataset (loaded into memory)."""
        return open_run_data(self.path)


def open_run_data(path: str | Path) -> xr.Dataset:
    """Open a run file with xarray, keeping only completed points."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.isel(point=ds[COMPLETED].values.astype(bool)).load()


def prepare(recipe: str | Path, station: str | Path | None = None,
            overrides: dict[str, Any] | None = None) -> Prepared:
    """Validate a recipe against a station; touch no instrument."""
    overrides = dict(overrides or {})
    twin_overrides = {k: v for k, v in overrides.items() if k.split(".")[0] in TESTBED_KEYS}
    recipe_overrides = {k: v for k, v in overrides.items() if k not in twin_overrides}
    loaded_recipe = load_recipe(recipe, recipe_overrides)
    model = loaded_recipe.model
    cls = sequences.load(model.sequence, where=f"{loaded_recipe.path}: sequence")
    params = validate(cls.Parameters, model.parameters, source=str(loaded_recipe.path),
                      prefix="parameters",
                      overridden={k if k.startswith("parameters.") else f"parameters.{k}"
                                  for k in recipe_overrides})
    loaded_station, options, testbed = validate_station(station, twin_overrides)
    roles = check_roles(loaded_station.model, cls.roles, model.instruments,
                        str(loaded_recipe.path))
    cls.check_limits(params, {role: loaded_station.model.instruments[name].limits
                              for role, name in roles.items()}, str(loaded_recipe.path))
    return Prepared(loaded_recipe, cls, params, loaded_station, options, roles, testbed,
                    overrides)


def validate_station(station: str | Path | None, twin_overrides: dict[str, Any] | None = None,
                     ) -> tuple[Loaded[StationConfig], dict[str, BaseModel],
                                Loaded[TestbedConfig] | None]:
    """Validate a station offline: keys, units, drivers, options vs limits, and for a
    simulated station its testbed file and ``sim:<name>`` addresses."""
    loaded = load_station(station or default_file("instruments", DEFAULT_STATION))
    source = str(loaded.path)
    options = check_station(loaded.model, source)
    if not loaded.model.simulated:
        if twin_overrides:
            raise ConfigError("this override is for the simulated testbed, but the station is "
                              "real", where=f"--set {next(iter(twin_overrides))}",
                              fix="drop it, or run on instruments/sim.yaml")
        return loaded, options, None
    for name, instrument in loaded.model.instruments.items():
        served = instrument.address.removeprefix(SIM_ADDRESS_PREFIX)
        if instrument.simulated and served not in INSTRUMENTS:
            raise ConfigError(f"the simulated testbed has no instrument {served!r}",
                              where=f"{source}: instruments.{name}.address",
                              fix=f"use one of: {', '.join('sim:' + n for n in INSTRUMENTS)}")
    testbed = load_testbed(loaded.model.testbed, twin_overrides,
                           relative_to=loaded.path.parent)
    return loaded, options, testbed


def run(recipe: str | Path, station: str | Path | None = None,
        overrides: dict[str, Any] | None = None, out: str | Path | None = None, *,
        progress: Callable[[int, int, str], None] | None = None,
        log: Callable[[str], None] | None = None) -> Run:
    """Validate, then run a recipe; return the :class:`Run` (summary, results, data)."""
    prepared = prepare(recipe, station, overrides)
    return start(prepared, out, progress=progress, log=log)


def start(prepared: Prepared, out: str | Path | None = None, *,
          progress: Callable[[int, int, str], None] | None = None,
          log: Callable[[str], None] | None = None) -> Run:
    """Run a prepared recipe to its end (or a stop)."""
    catalog = Catalog(catalog_path())
    stop_event = threading.Event()
    with _simulated(prepared) as (twin, clock), \
            connect(prepared.station.model, prepared.options,
                    twin.addresses if twin else None,
                    names=list(prepared.roles.values())) as opened, \
            _stop_on_signals(stop_event, log):
        ctx = RunContext(clock=clock, progress=progress or (lambda *a: None),
                         log=log or (lambda text: None), stop_event=stop_event)
        instruments = {role: opened[name] for role, name in prepared.roles.items()}
        sequence = prepared.sequence(prepared.params, instruments, ctx)
        sequence.setup()
        plan = prepared.sequence.plan(prepared.params)
        run_id = _new_run_id()
        path = runs_dir(out) / f"{run_id}_{prepared.sequence.name}.h5"
        attrs = _provenance(prepared, run_id, opened, twin)
        writer = RunWriter.create(path, sequence.layout(plan), attrs)
        _register(catalog, prepared, run_id, path, writer.points_planned, attrs["started"])
        try:
            outcome = execute(sequence, writer, plan, on_point=lambda n: catalog.update(
                run_id, points_completed=n))
        finally:
            outcome = locals().get("outcome") or Outcome("failed", 0, message="interrupted")
            _finish(catalog, writer, run_id, outcome)
    if outcome.status == "aborted" and isinstance(outcome.error, KeyboardInterrupt):
        raise outcome.error
    return Run(summary_of(catalog.get(run_id)), path)


@contextlib.contextmanager
def _simulated(prepared: Prepared) -> Iterator[tuple[Twin | None, Any]]:
    if prepared.testbed is None:
        yield None, WallClock()
        return
    with Twin(prepared.testbed.model) as twin:
        yield twin, twin.clock


@contextlib.contextmanager
def _stop_on_signals(stop_event: threading.Event,
                     log: Callable[[str], None] | None) -> Iterator[None]:
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


def _new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _provenance(prepared: Prepared, run_id: str, opened: dict[str, Any],
                twin: Twin | None) -> dict[str, Any]:
    recipe = prepared.recipe
    snapshot = {name: inst.snapshot(update=False) for name, inst in opened.items()}
    attrs: dict[str, Any] = {
        "run_id": run_id, "sequence": prepared.sequence.name, "status": "running",
        "started": provenance.utc_now(), "operator": recipe.model.operator or provenance.operator(),
        "host": provenance.host(), "dut": recipe.model.dut, "client": recipe.model.client,
        "cryochar_version": provenance.versions()["cryochar"],
        "git_commit": provenance.git_commit(), "versions": provenance.versions(),
        "recipe_file": str(recipe.path),
        "recipe": yaml.safe_dump(recipe.raw, sort_keys=False), "recipe_text": recipe.text,
        "parameters": prepared.params.model_dump(mode="json"),
        "overrides": prepared.overrides, "station_file": str(prepared.station.path),
        "station": prepared.station.text, "station_snapshot": snapshot,
        "idn": {name: inst.IDN.get_latest() for name, inst in opened.items()},
        "simulated": twin is not None,
    }
    if twin is not None and prepared.testbed is not None:
        attrs["testbed"] = prepared.testbed.model.model_dump(mode="json")
        attrs["clock"] = "testbed"
    return attrs


def _register(catalog: Catalog, prepared: Prepared, run_id: str, path: Path, planned: int,
              started: str) -> None:
    model = prepared.recipe.model
    catalog.add(run_id=run_id, sequence=prepared.sequence.name,
                recipe=str(prepared.recipe.path), station=str(prepared.station.path),
                dut=model.dut, client=model.client,
                operator=model.operator or provenance.operator(), started=started,
                file=str(path), points_planned=planned, points_completed=0)


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


def summary_of(row: dict[str, Any]) -> dict[str, Any]:
    """The run summary (``run --json``, ``show --json``) from a catalog row."""
    summary = {key: row[key] for key in ("run_id", "sequence", "status", "file",
                                         "points_planned", "points_completed")}
    summary["results"] = row.get("results") or {}
    summary["faults_survived"] = row.get("faults") or {}
    if row.get("message"):
        summary["message"] = row["message"]
    return summary


def show(run: str = "latest") -> dict[str, Any]:
    """Summary of a catalogued run (id, id prefix, or ``latest``)."""
    return summary_of(Catalog(catalog_path()).get(run))


__all__ = ["Prepared", "Run", "open_run_data", "prepare", "run", "show", "start", "summary_of",
           "validate_station"]
