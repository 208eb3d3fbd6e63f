"""Run conditions: the fridge's stage temperatures over a run, as a figure and a table.

Whatever temperatures the run file holds are used: a ``stage_temperature``
variable over a ``stage`` axis (s21_sweep, two_port_calibration,
amplifier_noise) and per-point ``<stage>_temperature`` readings such as
``mxc_temperature`` (attenuator_thermalisation, coherence_monitor), where
``<stage>`` is a fridge stage (:data:`FRIDGE_STAGES` or a name on the run's
``stage`` axis). A stage on both is taken from ``stage_temperature``. Other
temperatures (a noise source's load, setpoints) are not run conditions and
are left out. Temperatures in K; time as elapsed since the first completed
point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from cryochar.reports.figures import legend, new_figure, run_title, seconds

#: Stage names of the supported fridges' thermometer maps (Bluefors, Lakeshore 372, Triton).
FRIDGE_STAGES = ("pt1", "pt2", "still", "cold_plate", "mxc")
#: Elapsed-time units: (shown when the run spans at least this many seconds, unit, seconds).
TIME_UNITS = ((7200.0, "h", 3600.0), (120.0, "min", 60.0), (0.0, "s", 1.0))


def stage_readings(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per stage, its readings (K) at the run's points, NaN where not read; hottest
    stage first (by median), stages without a single reading left out."""
    readings: dict[str, np.ndarray] = {}
    if "stage_temperature" in ds and "stage" in ds["stage_temperature"].dims:
        table = ds["stage_temperature"].transpose("point", "stage")
        for j, stage in enumerate(table["stage"].values):
            readings[str(stage)] = table.values[:, j].astype(float)
    stages = set(FRIDGE_STAGES) | ({str(s) for s in ds["stage"].values} if "stage" in ds.coords
                                   else set())
    for name, var in ds.data_vars.items():
        stage = str(name).removesuffix("_temperature")
        if (str(name).endswith("_temperature") and stage in stages and stage not in readings
                and var.dims == ("point",) and var.attrs.get("units", "K") == "K"):
            readings[stage] = var.values.astype(float)
    read = {stage: v for stage, v in readings.items() if np.isfinite(v).any()}
    return dict(sorted(read.items(), key=lambda item: -float(np.nanmedian(item[1]))))


def elapsed(ds: xr.Dataset) -> tuple[np.ndarray, str]:
    """The x axis of the conditions: elapsed time since the first point in s, min or h
    (by the run's span) when the file has a per-point ``time``, else the point index."""
    t = seconds(ds, "time") if "time" in ds and ds["time"].dims == ("point",) else None
    if t is not None and np.isfinite(t).any():
        t = t - np.nanmin(t)
        span = float(np.nanmax(t))
        _, unit, scale = next(u for u in TIME_UNITS if span >= u[0])
        return t / scale, f"time since the first point ({unit})"
    return ds["point"].values.astype(float), "point (index in the run)"


def conditions_figure(ds: xr.Dataset) -> Figure | None:
    """Stage temperatures (K, log scale) over the run, one labelled line per stage;
    None when the run holds no temperatures."""
    readings = stage_readings(ds)
    if not readings:
        return None
    x, x_label = elapsed(ds)
    fig, axes = new_figure(1, 1, height=4.2, title=run_title(ds, "Stage temperatures during "
                                                              "the run"))
    ax = axes[0, 0]
    marker = "o" if x.size <= 60 else None
    for stage, values in readings.items():
        shown = np.isfinite(values) & (values > 0)
        ax.plot(x[shown], values[shown], marker=marker, markersize=3, linewidth=1.0,
                label=stage)
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    if high < 10 * low:  # within a decade the log axis labels minor ticks as a x 10^b
        plain = FuncFormatter(lambda value, _pos: f"{value:.4g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel(x_label)
    ax.set_ylabel("temperature (K)")
    ax.grid(alpha=0.3, which="both")
    legend(ax, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def conditions_table(ds: xr.Dataset) -> list[dict[str, Any]]:
    """Per stage (hottest first): ``name``, ``min``, ``mean``, ``max`` (K, over its
    readings) and ``readings`` (the number of finite readings); [] without temperatures."""
    rows = []
    for stage, values in stage_readings(ds).items():
        finite = values[np.isfinite(values)]
        rows.append({"name": stage, "min": float(finite.min()), "mean": float(finite.mean()),
                     "max": float(finite.max()), "readings": int(finite.size)})
    return rows


__all__ = ["FRIDGE_STAGES", "TIME_UNITS", "conditions_figure", "conditions_table", "elapsed",
           "stage_readings"]
