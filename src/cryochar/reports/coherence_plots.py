"""Figures of a ``coherence_monitor`` run: T1 as a time series, its statistics, T2.

Built from the per-cycle quick fits stored in the run file (``t1``,
``t1_stderr``, ... and the ``fit_ok`` bits: 1 T1, 2 T2*, 4 T2 echo); cycles
whose fit failed are left out and counted. The series statistics (telegraph
segmentation, histograms, overlapping Allan deviation) come from
:func:`cryochar.analysis.coherence.analyse_series` on those T1 values, so
they can differ slightly from the run's summary, which refits every cycle in
one batch. Times are shown in hours since the first cycle, coherence times
in us, rates in 1/ms; error bars are standard errors (k = 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cryochar.analysis.coherence import SeriesReport, analyse_series
from cryochar.core.errors import CryocharError
from cryochar.reports.figures import elapsed_hours, legend, new_figure, note, run_title, seconds

US = 1e6  # s -> µs
T1_LABEL = r"$T_1$ (µs)"
GAMMA1_LABEL = r"$\Gamma_1 = 1/T_1$ (ms$^{-1}$)"
FIT_BITS = {"t1": 1, "t2_star": 2, "t2_echo": 4}


def _good(ds: xr.Dataset, name: str) -> np.ndarray:
    """Cycles whose quick fit of ``name`` succeeded and gave a positive finite time."""
    values = ds[name].values.astype(float)
    ok = (ds["fit_ok"].values.astype(int) & FIT_BITS[name]) > 0 if "fit_ok" in ds else True
    return ok & np.isfinite(values) & (values > 0)


def series_report(ds: xr.Dataset) -> SeriesReport | None:
    """The time-series analysis of the good T1 quick fits; None with fewer than 4."""
    good = _good(ds, "t1")
    t = seconds(ds)[good]
    if good.sum() < 4:
        return None
    spacing = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    try:
        return analyse_series(ds["t1"].values[good], rate=1.0 / max(spacing, 1e-9))
    except CryocharError:
        return None


def _trace(ax: Axes, ds: xr.Dataset, name: str, label: str, **style: Any) -> int:
    """Error-bar trace of ``name`` (us) against hours; returns the number of failed fits."""
    good = _good(ds, name)
    hours = elapsed_hours(ds)
    err = ds[f"{name}_stderr"].values.astype(float) if f"{name}_stderr" in ds else None
    ax.errorbar(hours[good], ds[name].values[good] * US,
                yerr=None if err is None else np.nan_to_num(err[good]) * US,
                linestyle="none", marker="o", markersize=3, elinewidth=0.8, capsize=0,
                label=label, **style)
    return int(good.size - good.sum())


def _telegraph(ax: Axes, ds: xr.Dataset, report: SeriesReport | None) -> None:
    """Change-point segments (step line) and the two telegraph levels (dashed)."""
    tg = None if report is None else report.telegraph
    if tg is None or len(tg.switch_indices) == 0:
        return
    hours = elapsed_hours(ds)[_good(ds, "t1")]
    cp = tg.changepoints
    sizes = np.diff(cp.bounds, axis=1)[:, 0]
    ax.step(hours, np.repeat(cp.levels, sizes) * US, where="mid", color="C1", linewidth=1.2,
            label=f"change-point segments ({cp.levels.size})")
    levels = np.asarray(tg.levels) * US
    for level, name in zip(levels, ("low", "high"), strict=True):
        ax.axhline(level, color="C3", linestyle="--", linewidth=1.0)
        ax.annotate(f"{name}\n{level:.3g} µs", (1.0, level), xycoords=("axes fraction", "data"),
                    xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize="x-small", color="C3")
    ax.plot([], [], color="C3", linestyle="--", linewidth=1.0,
            label=f"telegraph levels ({len(tg.switch_indices)} switch"
                  f"{'es' if len(tg.switch_indices) > 1 else ''}, "
                  f"{tg.switching_rate * 3600:.2g} /h)")


def plot_t1_trace(ds: xr.Dataset, report: SeriesReport | None = None) -> Figure:
    """T1 (us) against time (h) with quick-fit standard errors and telegraph levels."""
    fig, axes = new_figure(1, 1, height=4.2, title=run_title(ds, r"$T_1$ over time"))
    ax = axes[0, 0]
    failed = _trace(ax, ds, "t1", r"$T_1$ (quick fit, ±1 s.e.)", color="C0")
    _telegraph(ax, ds, report if report is not None else series_report(ds))
    if failed:
        ax.text(0.01, 0.01, f"{failed} failed T1 fit(s) not shown", transform=ax.transAxes,
                fontsize="x-small", color="0.4")
    ax.set_xlabel("time since the first cycle (h)")
    ax.set_ylabel(T1_LABEL)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if handles:  # the data first, then the overlays
        fig.legend(handles[-1:] + handles[:-1], labels[-1:] + labels[:-1],
                   loc="outside lower center", ncols=3, fontsize="small")
    return fig


def _histogram(ax: Axes, hist: Any, scale: float, median: float, label: str, unit: str,
               ) -> None:
    edges = hist.edges * scale
    ax.stairs(hist.counts, edges, fill=True, alpha=0.35, color="C0")
    ax.stairs(hist.counts, edges, color="C0")
    ax.axvline(median * scale, color="k", linestyle="--", linewidth=1,
               label=f"median {median * scale:.3g} {unit}")
    ax.set_xlabel(label)
    ax.set_ylabel("cycles (count)")
    legend(ax, loc="upper right")


def plot_t1_histograms(ds: xr.Dataset, report: SeriesReport | None = None) -> Figure:
    """Histograms of T1 (us) and of Gamma_1 = 1/T1 (1/ms), side by side."""
    report = report if report is not None else series_report(ds)
    fig, axes = new_figure(1, 2, height=3.8,
                           title=run_title(ds, r"Distribution of $T_1$ and of $\Gamma_1$"))
    ax_t, ax_g = axes[0]
    if report is None:
        for ax in (ax_t, ax_g):
            note(ax, "fewer than 4 good T1 fits")
            ax.tick_params(labelleft=False, labelbottom=False)
        ax_t.set_xlabel(T1_LABEL)
        ax_g.set_xlabel(GAMMA1_LABEL)
        for ax in (ax_t, ax_g):
            ax.set_ylabel("cycles (count)")
        return fig
    s = report.summary
    _histogram(ax_t, s.time_hist, US, s.time.median, T1_LABEL, "µs")
    _histogram(ax_g, s.rate_hist, 1e-3, s.rate.median, GAMMA1_LABEL, "ms$^{-1}$")
    return fig


def plot_t1_allan(ds: xr.Dataset, report: SeriesReport | None = None) -> Figure:
    """Overlapping Allan deviation of T1 (us) against averaging time (s), log-log."""
    report = report if report is not None else series_report(ds)
    fig, axes = new_figure(1, 1, height=4.2,
                           title=run_title(ds, r"Overlapping Allan deviation of $T_1$"))
    ax = axes[0, 0]
    ax.set_xlabel(r"averaging time $\tau$ (s)")
    ax.set_ylabel(r"Allan deviation of $T_1$ (µs)")
    if report is None or report.allan.tau.size == 0:
        note(ax, "fewer than 4 good T1 fits")
        ax.tick_params(labelleft=False, labelbottom=False)
        return fig
    a = report.allan
    ax.errorbar(a.tau, a.adev * US, yerr=a.adev_err * US, marker="o", markersize=4,
                capsize=3, label="overlapping ADEV (±1 s.e.)")
    ref = a.adev[0] * US * np.sqrt(a.tau[0] / a.tau)
    ax.plot(a.tau, ref, color="k", linestyle="--", linewidth=1,
            label="white noise, slope −1/2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    legend(ax, loc="best")
    return fig


def plot_t2_traces(ds: xr.Dataset) -> Figure:
    """T2* (Ramsey) and T2 echo (us) against time (h), with the 2 T1 limit drawn."""
    fig, axes = new_figure(1, 1, height=4.2,
                           title=run_title(ds, r"$T_2^*$ and $T_2$ echo over time"))
    ax = axes[0, 0]
    failed = _trace(ax, ds, "t2_star", r"$T_2^*$ (Ramsey, ±1 s.e.)", color="C1")
    failed += _trace(ax, ds, "t2_echo", r"$T_2$ echo (±1 s.e.)", color="C2")
    good_t1 = _good(ds, "t1")
    if good_t1.any():
        ax.plot(elapsed_hours(ds)[good_t1], 2 * ds["t1"].values[good_t1] * US, color="0.5",
                linewidth=1, label=r"$2T_1$ of the cycle: the $T_2$ limit")
    if failed:
        ax.text(0.01, 0.01, f"{failed} failed T2 fit(s) not shown", transform=ax.transAxes,
                fontsize="x-small", color="0.4")
    ax.set_xlabel("time since the first cycle (h)")
    ax.set_ylabel("coherence time (µs)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    legend(ax, loc="lower right")
    return fig


def coherence_figures(ds: xr.Dataset, results: dict[str, Any] | None = None,
                      ) -> dict[str, Figure]:
    """Every figure of a ``coherence_monitor`` run, by name (from the data alone)."""
    report = series_report(ds)
    return {"t1_trace": plot_t1_trace(ds, report), "t1_histograms": plot_t1_histograms(ds, report),
            "t1_allan_deviation": plot_t1_allan(ds, report), "t2_traces": plot_t2_traces(ds)}


__all__ = ["coherence_figures", "plot_t1_allan", "plot_t1_histograms", "plot_t1_trace",
           "plot_t2_traces", "series_report"]
