"""Every figure of a run, by sequence: the registry behind ``cryochar plot RUN``.

``PLOTTERS`` maps a sequence name to a function ``(dataset, results) ->
{figure name: Figure}``; :func:`run_figures` picks it from the run's
``sequence`` attribute, adds the run-conditions figure (stage temperatures
over the run, :mod:`cryochar.reports.conditions_plots`) when the run holds
temperatures, and :func:`save_run_plots` writes one file per figure
(``<out_dir>/<figure name>.<fmt>``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr
from matplotlib.figure import Figure

from cryochar.core.errors import ConfigError, StorageError
from cryochar.reports.calibration_plots import calibration_figures
from cryochar.reports.coherence_plots import coherence_figures
from cryochar.reports.conditions_plots import conditions_figure
from cryochar.reports.figures import attr_json
from cryochar.reports.noise_plots import noise_figures
from cryochar.reports.s21_plots import s21_figures
from cryochar.reports.thermal_plots import thermal_figures
from cryochar.storage import COMPLETED

Plotter = Callable[[xr.Dataset, dict[str, Any] | None], dict[str, Figure]]

#: Sequence name -> the function drawing its figures.
PLOTTERS: dict[str, Plotter] = {
    "s21_sweep": s21_figures,
    "coherence_monitor": coherence_figures,
    "attenuator_thermalisation": thermal_figures,
    "amplifier_noise": noise_figures,
    "two_port_calibration": calibration_figures,
}
#: Name of the run-conditions figure :func:`run_figures` adds after a sequence's own.
CONDITIONS = "run_conditions"
FORMATS = ("png", "svg")
DPI = 120


def open_run(path: str | Path) -> xr.Dataset:
    """A run file's completed points as a loaded Dataset (provenance in ``attrs``)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("run file not found", where=str(path),
                          fix="give a run id from 'cryochar runs' or an existing .h5 file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.isel(point=ds[COMPLETED].values.astype(bool)).load()
    except (OSError, ValueError, KeyError) as exc:
        raise StorageError(f"cannot read the run file: {exc}", where=str(path),
                           fix="check that it is a cryochar run file") from exc


def run_figures(ds: xr.Dataset, results: dict[str, Any] | None = None, *,
                conditions: bool = True) -> dict[str, Figure]:
    """Every figure of a run, by name; ConfigError for a sequence without figures.

    The sequence's figures, then (``conditions`` True and the run holds
    temperatures) :data:`CONDITIONS`, the stage temperatures over the run.
    """
    sequence = ds.attrs.get("sequence", "")
    plotter = PLOTTERS.get(sequence)
    if plotter is None:
        raise ConfigError(f"no plots for sequence {sequence!r}",
                          where=str(ds.attrs.get("run_id", "run")),
                          fix=f"plots exist for: {', '.join(sorted(PLOTTERS))}")
    if ds.sizes.get("point", 0) == 0:
        raise ConfigError("the run has no completed points to plot",
                          where=str(ds.attrs.get("run_id", "run")),
                          fix="resume it ('cryochar resume RUN') or plot another run")
    figures = plotter(ds, attr_json(ds, "results") if results is None else results)
    fig = conditions_figure(ds) if conditions else None
    return figures if fig is None else {**figures, CONDITIONS: fig}


def save_run_plots(run: str | Path | xr.Dataset, out_dir: str | Path, fmt: str = "png",
                   *, dpi: int = DPI) -> list[Path]:
    """Write every figure of ``run`` (a run file or its Dataset) to ``out_dir``.

    Files are named ``<figure name>.<fmt>`` (``fmt`` ``"png"`` or ``"svg"``);
    the folder is created. Returns the written paths in drawing order.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ConfigError(f"cannot write plots as {fmt!r}", where="format",
                          fix=f"use one of: {', '.join(FORMATS)}")
    ds = run if isinstance(run, xr.Dataset) else open_run(run)
    figures = run_figures(ds)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, fig in figures.items():
            path = out / f"{name}.{fmt}"
            fig.savefig(path, dpi=dpi, format=fmt,  # reproducible SVG: no date stamp
                        metadata={"Date": None} if fmt == "svg" else None)
            paths.append(path)
    except OSError as exc:
        raise ConfigError(f"cannot write plots: {exc.strerror or exc}", where=str(out),
                          fix="choose a writable folder with --out") from exc
    return paths


__all__ = ["CONDITIONS", "DPI", "FORMATS", "PLOTTERS", "Plotter", "open_run", "run_figures",
           "save_run_plots"]
