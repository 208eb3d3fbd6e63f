"""Running recipes: the one orchestration path used by the CLI and notebooks.

``prepare`` validates everything (recipe, parameters, station, drivers and their
options, roles, testbed and overrides) before any instrument is touched; a bad
input raises :class:`ConfigError` having sent zero commands and written no file.
``run`` then starts the simulated testbed when the station is simulated,
connects the instruments, creates the run file and catalog row, and executes.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr
from pydantic import BaseModel

from cryochar import sequences, session
from cryochar.core.config import (
    SIM_ADDRESS_PREFIX,
    Loaded,
    StationConfig,
    load_recipe,
    load_station,
)
from cryochar.core.errors import ConfigError
from cryochar.core.overrides import plain
from cryochar.core.paths import catalog_path, default_file
from cryochar.core.suggest import suggestion
from cryochar.core.yamlio import validate
from cryochar.drivers import check_roles, check_station
from cryochar.session import Prepared, summary_of
from cryochar.sim import INSTRUMENTS, TESTBED_KEYS, load_testbed
from cryochar.sim.config import TestbedConfig
from cryochar.storage import COMPLETED, Catalog, read_attrs

if TYPE_CHECKING:
    import qcodes

DEFAULT_STATION = "sim.yaml"


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
            overrides: dict[str, Any] | None = None, *,
            testbed: TestbedConfig | None = None) -> Prepared:
    """Validate a recipe against a station; touch no instrument.

    ``testbed`` replaces the station's testbed file (used when resuming a run).
    """
    overrides = plain(dict(overrides or {}))
    twin_overrides = {k: v for k, v in overrides.items() if k.split(".")[0] in TESTBED_KEYS}
    recipe_overrides = {k: v for k, v in overrides.items() if k not in twin_overrides}
    loaded_recipe = load_recipe(recipe, recipe_overrides)
    model = loaded_recipe.model
    cls = sequences.load(model.sequence, where=f"{loaded_recipe.path}: sequence")
    params = validate(cls.Parameters, model.parameters, source=str(loaded_recipe.path),
                      prefix="parameters",
                      overridden={k if k.startswith("parameters.") else f"parameters.{k}"
                                  for k in recipe_overrides})
    loaded_station, options, loaded_testbed = validate_station(station, twin_overrides,
                                                               testbed=testbed)
    roles = check_roles(loaded_station.model, cls.roles, model.instruments,
                        str(loaded_recipe.path))
    cls.check_limits(params, {role: loaded_station.model.instruments[name].limits
                              for role, name in roles.items()}, str(loaded_recipe.path))
    if loaded_testbed is not None:
        cls.check_testbed(params, loaded_testbed.model, str(loaded_recipe.path))
    return Prepared(loaded_recipe, cls, params, loaded_station, options, roles, loaded_testbed,
                    overrides)


StationCheck = tuple[Loaded[StationConfig], dict[str, BaseModel], Loaded[TestbedConfig] | None]


def validate_station(station: str | Path | None, twin_overrides: dict[str, Any] | None = None,
                     *, testbed: TestbedConfig | None = None) -> StationCheck:
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
                              fix=suggestion(instrument.address,
                                             [SIM_ADDRESS_PREFIX + n for n in INSTRUMENTS],
                                             listing="see 'cryochar sim serve --json'"))
    if testbed is not None:
        text = json.dumps(testbed.model_dump(mode="json"))
        return loaded, options, Loaded(testbed, Path("<run file>"), text, json.loads(text))
    loaded_testbed = load_testbed(loaded.model.testbed, twin_overrides,
                                  relative_to=loaded.path.parent)
    return loaded, options, loaded_testbed


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
    return Run(*session.new_run(prepared, out, progress=progress, log=log))


def resume(run: str, *, progress: Callable[[int, int, str], None] | None = None,
           log: Callable[[str], None] | None = None) -> Run:
    """Continue an interrupted, aborted or failed run in the same file.

    Everything comes from the run file's provenance (recipe after overrides,
    station, testbed): completed points are skipped, the rest measured once.
    """
    row = Catalog(catalog_path()).get(run)
    if row["status"] in ("completed", "running"):
        raise ConfigError(f"run {row['run_id']} is {row['status']}; nothing to resume",
                          where=run, fix="resume an interrupted, aborted or failed run")
    attrs = read_attrs(row["file"])
    with tempfile.TemporaryDirectory() as folder:
        recipe = Path(folder) / f"{attrs['sequence']}.yaml"
        recipe.write_text(attrs["recipe"], encoding="utf-8")
        station = Path(attrs["station_file"])
        if not station.is_file() or station.read_text(encoding="utf-8") != attrs["station"]:
            station = Path(folder) / "station.yaml"
            station.write_text(attrs["station"], encoding="utf-8")
        stored = attrs.get("testbed")
        testbed = TestbedConfig.model_validate(stored) if stored else None
        prepared = prepare(recipe, station, testbed=testbed)
    return Run(*session.resume_run(prepared, row, attrs, progress=progress, log=log))


def show(run: str = "latest") -> dict[str, Any]:
    """Summary of a catalogued run (id, id prefix, or ``latest``)."""
    return summary_of(Catalog(catalog_path()).get(run))


@contextlib.contextmanager
def open_station(station: str | Path | None = None, *, names: list[str] | None = None,
                 overrides: dict[str, Any] | None = None) -> Iterator[qcodes.Station]:
    """A station file's instruments, connected, as a :class:`qcodes.Station`.

    For interactive work and qcodes measurement loops on the same station files the
    sequences use: the file is validated offline first (one-line errors), every
    instrument is locked against concurrent runs, and for a simulated station
    (default ``instruments/sim.yaml``) the twin is started and served for the
    duration (``overrides``: testbed keys, e.g. ``{"twin.fridge.base_temperature":
    0.012}``). ``names`` limits which instruments are opened. Everything is closed and
    unlocked on exit::

        with cryochar.api.open_station() as station:
            station.vna.snapshot()
    """
    import qcodes

    from cryochar.drivers import connect
    from cryochar.sim import Twin

    loaded, options, testbed = validate_station(station, overrides or None)
    unknown = sorted(set(names or ()) - set(loaded.model.instruments))
    if unknown:
        raise ConfigError(f"no instrument {unknown[0]!r} in the station", where=str(loaded.path),
                          fix=suggestion(unknown[0], list(loaded.model.instruments),
                                         listing="the station's instruments"))
    with contextlib.ExitStack() as stack:
        twin = stack.enter_context(Twin(testbed.model)) if testbed is not None else None
        opened = stack.enter_context(connect(loaded.model, options,
                                             twin.addresses if twin else None, names=names))
        qc_station = qcodes.Station(*opened.values())
        try:
            yield qc_station
        finally:
            for name in list(qc_station.components):
                qc_station.remove_component(name)


def report(run: str | Path = "latest", out: str | Path | None = None, *,
           pdf: bool = False) -> list[Path]:
    """Write a run's self-contained HTML report (and PDF with ``pdf``); return the paths.

    ``run``: a run id, unique prefix, ``"latest"`` or a run file; ``out``: the
    folder (default ``<CRYOCHAR_HOME>/reports``).
    """
    from cryochar.reports.publish import report_run

    return report_run(run, out, pdf=pdf)


def report_index(out: str | Path | None = None, **filters: str) -> Path:
    """Write the archive page of all catalogued runs (``filters``: sequence, dut,
    client, status); return its path."""
    from cryochar.reports.publish import report_index as write

    return write(out, **filters)


def analyze(query: str, scheduler: str | None = None, workers: int | None = None, *,
            dry_run: bool = False) -> list[dict[str, Any]]:
    """Re-analyse the catalogued runs ``query`` selects, in parallel; one report per run.

    ``query``: ``key=value`` terms (sequence, dut, client, status, station, operator,
    run_id prefix, since/until ISO dates); ``scheduler``: None for local worker
    processes, ``"synchronous"``, or a Dask scheduler address (``tcp://host:port``);
    ``workers``: local processes. New results go to each run file's root attributes
    (with an ``analysis_history`` entry) and the catalog; raw data are not touched.
    ``dry_run``: only list the matching runs. See :mod:`cryochar.archive`.
    """
    from cryochar import archive

    if dry_run:
        return archive.matching_runs(query)
    return archive.analyze(query, scheduler, workers)


__all__ = ["Prepared", "Run", "analyze", "open_run_data", "prepare", "report", "report_index",
           "resume", "run", "show", "start",
           "summary_of", "validate_station"]
