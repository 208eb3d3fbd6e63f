"""Shared pieces of the run figures: blank figures, titles, provenance readers.

Figures are :class:`matplotlib.figure.Figure` objects with their own Agg
canvas: no pyplot, no global backend state, safe in threads and headless.
A run's Dataset is what :func:`cryochar.api.open_run_data` returns (completed
points only, provenance in ``ds.attrs``, dicts stored as JSON strings).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Width of every run figure, inches (one report column).
WIDTH = 7.0


def new_figure(rows: int = 1, cols: int = 1, *, height: float | None = None,
               sharex: bool = False, title: str | None = None) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure with a ``rows x cols`` grid; returns (fig, axes 2-D)."""
    fig = Figure(figsize=(WIDTH, height or 1.6 + 2.6 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, sharex=sharex, squeeze=False)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig, axes


def attr_json(ds: xr.Dataset, key: str) -> dict[str, Any]:
    """A root attribute stored as JSON (``results``, ``parameters``); {} when absent."""
    value = ds.attrs.get(key)
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def run_title(ds: xr.Dataset, what: str) -> str:
    """Two-line title: what is shown, then the DUT and the run id."""
    dut = ds.attrs.get("dut") or ds.attrs.get("sequence", "")
    run_id = ds.attrs.get("run_id", "?")
    return f"{what}\n{dut} | run {run_id}"


def as_float(values: Any) -> np.ndarray:
    """A JSON list (``None`` for missing values) as a float array with NaN."""
    if values is None:
        return np.array([], dtype=float)
    return np.array([np.nan if v is None else v for v in np.ravel(values)], dtype=float)


def seconds(ds: xr.Dataset, name: str = "time") -> np.ndarray:
    """A time variable as seconds (float), decoded datetimes or raw numbers alike."""
    values = ds[name].values
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[ns]").astype(np.int64) / 1e9
    return values.astype(float)


def elapsed_hours(ds: xr.Dataset, name: str = "time") -> np.ndarray:
    """Hours since the first completed point."""
    s = seconds(ds, name)
    return (s - s[0]) / 3600.0 if s.size else s


def note(ax: Axes, text: str) -> None:
    """A grey message in the middle of an axes (e.g. 'not enough data')."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            color="0.4", fontsize="small", wrap=True)


def legend(ax: Axes, **kwargs: Any) -> None:
    """A small legend, drawn only when something is labelled."""
    handles, _labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize="small", **kwargs)


__all__ = ["WIDTH", "as_float", "attr_json", "elapsed_hours", "legend", "new_figure", "note",
           "run_title", "seconds"]
