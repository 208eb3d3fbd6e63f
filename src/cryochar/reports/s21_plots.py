"""Figures of an ``s21_sweep`` run: traces, mean transmission, stage temperatures.

Each function takes the run's Dataset (:func:`cryochar.api.open_run_data`)
and returns a :class:`~matplotlib.figure.Figure`. Frequencies are shown in
GHz, |S21| in dB (20 log10 |S21|), powers in dBm at the VNA port, MXC
setpoints in mK ("base" when the run did not regulate the MXC).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from cryochar.reports.figures import legend, new_figure, note, run_title

#: At most this many MXC setpoints get their own trace panel (evenly picked).
MAX_PANELS = 6
#: Up to this many powers are named in a legend; more get a colour bar.
MAX_LEGEND = 8


def _s21_db(ds: xr.Dataset) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.abs(ds["s21"].values))


def _setpoints(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Per-point setpoint key (NaN -> -1 for 'base') and the distinct keys in order."""
    key = np.nan_to_num(ds["mxc_setpoint"].values.astype(float), nan=-1.0)
    return key, np.unique(key)


def _setpoint_label(key: float) -> str:
    return "MXC at base" if key < 0 else f"MXC setpoint {key * 1e3:.4g} mK"


def _power_colours(powers: np.ndarray) -> tuple[Normalize, Any]:
    lo, hi = float(np.min(powers)), float(np.max(powers))
    return Normalize(lo, hi if hi > lo else lo + 1.0), colormaps["viridis"]


def plot_s21_traces(ds: xr.Dataset) -> Figure:
    """|S21| (dB) against frequency (GHz): one panel per MXC setpoint, a line per power."""
    key, setpoints = _setpoints(ds)
    if setpoints.size > MAX_PANELS:
        setpoints = setpoints[np.linspace(0, setpoints.size - 1, MAX_PANELS).round().astype(int)]
    fig, axes = new_figure(max(1, setpoints.size), 1, sharex=True,
                           height=1.4 + 2.4 * max(1, setpoints.size),
                           title=run_title(ds, "|S21| against frequency"))
    axes = axes[:, 0]
    db = _s21_db(ds)
    freq = ds["frequency"].values / 1e9
    powers = ds["power_dbm"].values.astype(float)
    if powers.size == 0:
        note(axes[0], "no completed points")
    norm, cmap = _power_colours(powers) if powers.size else (Normalize(0, 1), colormaps["viridis"])
    for ax, setpoint in zip(axes, setpoints, strict=False):
        for i in np.flatnonzero(key == setpoint):
            ax.plot(freq, db[i], color=cmap(norm(powers[i])), linewidth=1.0,
                    label=f"{powers[i]:g} dBm")
        ax.set_ylabel("|S21| (dB)")
        ax.set_title(_setpoint_label(setpoint), fontsize="small", loc="left")
        ax.grid(alpha=0.3)
        if np.unique(powers).size <= MAX_LEGEND:
            legend(ax, title="VNA power", title_fontsize="small", loc="best")
    if np.unique(powers).size > MAX_LEGEND:
        fig.colorbar(ScalarMappable(norm, cmap), ax=list(axes), label="VNA power (dBm)")
    axes[-1].set_xlabel("frequency (GHz)")
    return fig


def plot_s21_vs_power(ds: xr.Dataset) -> Figure:
    """Band-averaged |S21| (dB) and its spread across the band (dB) against VNA power (dBm).

    One line per MXC setpoint. The spread (standard deviation over frequency)
    holds the DUT's ripple plus the trace noise, so it rises at low power.
    """
    fig, axes = new_figure(2, 1, sharex=True, height=5.4,
                           title=run_title(ds, "|S21| over the band against power"))
    ax_mean, ax_std = axes[:, 0]
    db = _s21_db(ds)
    key, setpoints = _setpoints(ds)
    powers = ds["power_dbm"].values.astype(float)
    for setpoint in setpoints:
        idx = np.flatnonzero(key == setpoint)
        idx = idx[np.argsort(powers[idx])]
        label = _setpoint_label(setpoint)
        ax_mean.plot(powers[idx], db[idx].mean(axis=1), marker="o", markersize=4, label=label)
        ax_std.plot(powers[idx], db[idx].std(axis=1), marker="o", markersize=4, label=label)
    if powers.size == 0:
        note(ax_mean, "no completed points")
    ax_mean.set_ylabel("mean |S21| (dB)")
    ax_std.set_ylabel("std of |S21| over band (dB)")
    ax_std.set_xlabel("VNA source power (dBm)")
    for ax in (ax_mean, ax_std):
        ax.grid(alpha=0.3)
    legend(ax_mean, loc="best")
    return fig


def plot_stage_temperatures(ds: xr.Dataset) -> Figure:
    """Stage temperatures (K, log scale) read after each sweep, against the point index."""
    fig, axes = new_figure(1, 1, height=4.2,
                           title=run_title(ds, "Stage temperatures after each sweep"))
    ax = axes[0, 0]
    points = ds["point"].values
    temps = ds["stage_temperature"].values
    stages = [str(s) for s in ds["stage"].values]
    order = np.argsort(-np.nanmedian(temps, axis=0)) if temps.size else range(len(stages))
    for j in order:
        ax.plot(points, temps[:, j], marker="o", markersize=3, label=stages[j])
    setpoints = ds["mxc_setpoint"].values.astype(float)
    if np.isfinite(setpoints).any():
        ax.plot(points, setpoints, linestyle="none", marker="x", markersize=7, color="k",
                zorder=3, label="MXC setpoint")
    if points.size == 0:
        note(ax, "no completed points")
    else:
        ax.set_yscale("log")
    ax.set_xlabel("point (index in the run)")
    ax.set_ylabel("temperature (K)")
    ax.grid(alpha=0.3, which="both")
    legend(ax, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def s21_figures(ds: xr.Dataset, results: dict[str, Any] | None = None) -> dict[str, Figure]:
    """Every figure of an ``s21_sweep`` run, by name (``results`` unused: all from data)."""
    return {"s21_traces": plot_s21_traces(ds), "s21_vs_power": plot_s21_vs_power(ds),
            "stage_temperatures": plot_stage_temperatures(ds)}


__all__ = ["MAX_LEGEND", "MAX_PANELS", "plot_s21_traces", "plot_s21_vs_power",
           "plot_stage_temperatures", "s21_figures"]
