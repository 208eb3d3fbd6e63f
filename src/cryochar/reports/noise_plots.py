"""Figures of an amplifier-noise measurement versus frequency, and of an ``amplifier_noise`` run.

Built on :class:`matplotlib.figure.Figure` with an Agg canvas: no pyplot, no
global backend state, safe in threads and on headless machines.
:func:`plot_gain_noise` and :func:`plot_added_noise` accept an
:class:`~cryochar.analysis.noise.AmplifierNoise` result, a
:class:`~cryochar.analysis.noise.NoiseBudget` or a ready
:class:`~cryochar.analysis.noise.NoiseSummary`; bands are expanded
uncertainties (``coverage_factor``, k = 2 by default). Frequencies are shown
in GHz, temperatures in K, noise powers in W with an SI prefix.

:func:`noise_figures` draws a run (``cryochar plot``): the two figures above
from the run's summary results, and :func:`plot_source_sweep`, the measured
channel power against the noise source's state per frequency with the
system fit ``P = G_sys k B [T_source + T_sys]`` recomputed from the results
(``system_gain_db``, ``system_noise_temperature``, the SNTJ's
``junction_temperature``) and the recipe's ``bandwidth``; a diode's hot and
cold temperatures come from the ENR table in the run's station snapshot,
through the sequence's own code (``recorded_diode``, ``diode_temperatures``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.constants import h, k

from cryochar.analysis.noise import (
    NoiseSummary,
    callen_welton_temperature,
    db_to_linear,
    sntj_noise_temperature,
    summarize_noise,
)
from cryochar.core.errors import ConfigError
from cryochar.reports.figures import as_float, attr_json, legend, new_figure, note, run_title
from cryochar.sequences.amplifier_chain import diode_temperatures
from cryochar.sequences.amplifier_noise import recorded_diode
from cryochar.storage.runreader import decode_attr

#: The phase-preserving quantum limit of the added noise (quanta).
QUANTUM_LIMIT = 0.5
#: A noise-temperature band this many times above hf/2k names the limit instead of drawing it.
FAR_ABOVE_LIMIT = 5.0


def _summary(result: Any, coverage_factor: float) -> NoiseSummary:
    if isinstance(result, NoiseSummary):
        return result
    return summarize_noise(result, coverage_factor=coverage_factor)


def _figure(rows: int, title: str | None) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.4, 2.4 + 2.2 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    if title:
        fig.suptitle(title)
    return fig, axes


def _errorbar(ax: Any, x: np.ndarray, y: Any, u: Any, label: str) -> None:
    y, u = np.atleast_1d(np.asarray(y, float)), np.atleast_1d(np.asarray(u, float))
    ax.fill_between(x, y - u, y + u, alpha=0.25, linewidth=0, label=label)
    ax.plot(x, y, marker="." if x.size < 50 else None)


def _quantum_limit_temperature(ax: Any, x: np.ndarray, lower: Any) -> None:
    """The quantum limit hf/2k (K) against frequency (GHz), y from 0; when the band's lower
    edge lies :data:`FAR_ABOVE_LIMIT` times above it everywhere (a HEMT), a note gives
    its range instead, so that the axis keeps the band readable."""
    limit = h * x * 1e9 / (2 * k)
    lower = np.asarray(lower, float)
    if limit.size and lower.size and np.nanmin(lower) > FAR_ABOVE_LIMIT * np.nanmax(limit):
        ax.text(0.01, 0.03, f"quantum limit hf/2k: {limit.min():.3g}-{limit.max():.3g} K "
                "(far below this axis)", transform=ax.transAxes, fontsize="small",
                color="0.3")
        return
    ax.plot(x, limit, color="k", linestyle="--", linewidth=1, label="quantum limit hf/2k")
    ax.set_ylim(bottom=0.0)


def plot_gain_noise(result: Any, *, coverage_factor: float = 2.0,
                    title: str | None = None) -> Figure:
    """Gain (dB) and noise temperature (K) versus frequency, two stacked panels; the
    noise panel draws the quantum limit hf/2k (or names it when far below the band)."""
    s = _summary(result, coverage_factor)
    x = np.atleast_1d(np.asarray(s.frequency, float)) / 1e9
    fig, (ax_g, ax_t) = _figure(2, title)
    band = f"expanded uncertainty (k = {s.coverage_factor:g})"
    _errorbar(ax_g, x, s.gain_db, s.gain_db_uncertainty, band)
    ax_g.set_ylabel("gain (dB)")
    ax_g.legend(loc="best", fontsize="small")
    _errorbar(ax_t, x, s.noise_temperature, s.noise_temperature_uncertainty, band)
    _quantum_limit_temperature(
        ax_t, x, np.subtract(s.noise_temperature, s.noise_temperature_uncertainty))
    ax_t.set_ylabel("noise temperature (K)")
    ax_t.set_xlabel("frequency (GHz)")
    ax_t.legend(loc="best", fontsize="small")
    return fig


def plot_added_noise(result: Any, *, coverage_factor: float = 2.0,
                     title: str | None = None) -> Figure:
    """Added noise in quanta versus frequency, with the quantum limit 1/2 drawn."""
    s = _summary(result, coverage_factor)
    x = np.atleast_1d(np.asarray(s.frequency, float)) / 1e9
    fig, (ax,) = _figure(1, title)
    _errorbar(ax, x, s.n_added, s.n_added_uncertainty,
              f"expanded uncertainty (k = {s.coverage_factor:g})")
    ax.axhline(QUANTUM_LIMIT, color="k", linestyle="--", linewidth=1,
               label="quantum limit 1/2")
    ax.set_ylabel("added noise (quanta)")
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="best", fontsize="small")
    return fig


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, e.g. .png, .svg); returns the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


#: The summary fields an ``amplifier_noise`` run's results must hold to be drawn.
SUMMARY_FIELDS = ("frequency", "gain_db", "gain_db_uncertainty", "noise_temperature",
                  "noise_temperature_uncertainty", "n_added", "n_added_uncertainty")
#: At most this many frequencies get a panel in :func:`plot_source_sweep` (evenly picked).
MAX_SWEEP_PANELS = 6
_PREFIXES = ((1.0, "W"), (1e-3, "mW"), (1e-6, "µW"), (1e-9, "nW"), (1e-12, "pW"),
             (1e-15, "fW"))


def summary_from_results(results: dict[str, Any]) -> NoiseSummary:
    """The :class:`NoiseSummary` of an ``amplifier_noise`` run's results (expanded
    uncertainties with the results' ``coverage_factor``); ConfigError when absent."""
    missing = [name for name in SUMMARY_FIELDS if name not in results]
    if missing:
        raise ConfigError(
            f"the run has no amplifier-noise results (missing {', '.join(missing)}); "
            f"{results.get('summary_error', '')}".rstrip("; "),
            where="results", fix="resume the run ('cryochar resume RUN') so it is analysed")
    return NoiseSummary(**{name: as_float(results[name]) for name in SUMMARY_FIELDS},
                        coverage_factor=float(results.get("coverage_factor", 2.0)))


def sweep_frequencies(n: int) -> np.ndarray:
    """Indices of the frequencies drawn by :func:`plot_source_sweep`: all up to 3, else
    an even number (two columns) of at most :data:`MAX_SWEEP_PANELS`, evenly picked."""
    if n <= 3:
        return np.arange(n)
    m = min(MAX_SWEEP_PANELS, n - n % 2)
    return np.linspace(0, n - 1, m).round().astype(int)


def power_unit(largest: float) -> tuple[float, str]:
    """(factor in W, unit name) putting ``largest`` (W) at or above 1 in that unit."""
    for factor, unit in _PREFIXES:
        if largest >= factor:
            return factor, unit
    return _PREFIXES[-1]


def system_model(kind: str, results: dict[str, Any], bandwidth: float, index: int,
                 frequency: float, x: np.ndarray) -> np.ndarray | None:
    """The fitted system power (W) at source states ``x`` at frequency ``index``:
    ``G_sys k B [T_source(x) + T_sys]``, ``x`` the load's physical temperature (K,
    Callen-Welton), the junction bias (V) or the diode's noise temperature (K); None
    without a fit."""
    gain = as_float(results.get("system_gain_db"))
    t_sys = as_float(results.get("system_noise_temperature"))
    if gain.size <= index or t_sys.size <= index or not np.isfinite(gain[index] + t_sys[index]):
        return None
    if kind == "vt_load":
        t_source = np.asarray(callen_welton_temperature(frequency, x), float)
    elif kind == "sntj":
        t_junction = as_float(results.get("junction_temperature"))
        if t_junction.size <= index or not np.isfinite(t_junction[index]):
            return None
        t_source = np.asarray(sntj_noise_temperature(x, frequency, t_junction[index]), float)
    else:  # diode: the Y-factor analysis takes its temperatures as noise temperatures
        t_source = np.asarray(x, float)
    return db_to_linear(gain[index]) * k * bandwidth * (t_source + t_sys[index])


class _RunAttributes:
    """``attr(name)`` over a run Dataset's root attributes, decoded as the run reader
    decodes them (what :func:`recorded_diode` reads)."""

    def __init__(self, ds: xr.Dataset):
        self._attrs = ds.attrs

    def attr(self, name: str, default: Any = None) -> Any:
        return decode_attr(self._attrs[name]) if name in self._attrs else default


def diode_source_temperatures(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """Hot and cold noise temperatures (K) per frequency of a diode run's source at the
    reference plane: the ENR table the run recorded, referred down the recipe's line at
    the run's mean stage temperatures (as the sequence's analysis does); None when the
    file does not record the table."""
    try:
        diode = recorded_diode(_RunAttributes(ds))
    except ConfigError:
        return None
    line = attr_json(ds, "parameters").get("source", {}).get("line", {})
    temps = ds["stage_temperature"].transpose("point", "stage").values.mean(axis=0)
    stages = dict(zip((str(s) for s in ds["stage"].values), temps, strict=True))
    return diode_temperatures(diode, ds["frequency"].values.astype(float), line, stages)


def _source_axis(ds: xr.Dataset, kind: str) -> tuple[np.ndarray | None, float, str]:
    """Source states ``(point, frequency)`` in the fit's units (None: a diode without its
    ENR table), their display factor and the axis label."""
    shape = (ds.sizes["point"], ds.sizes["frequency"])
    if kind == "vt_load":
        load = ds["source_temperature"].values.astype(float)
        return np.broadcast_to(load[:, None], shape), 1.0, "load temperature (K)"
    if kind == "sntj":
        bias = ds["setpoint"].values.astype(float)
        return np.broadcast_to(bias[:, None], shape), 1e3, "junction bias (mV)"
    temperatures = diode_source_temperatures(ds)
    if temperatures is None:
        return None, 1.0, "point (index in the run)"
    on = ds["setpoint"].values.astype(float) > 0.5
    hot, cold = temperatures
    return np.where(on[:, None], hot[None, :], cold[None, :]), 1.0, \
        "diode noise temperature (K)"


def plot_source_sweep(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """Measured channel power (W, SI prefix) against the source state, a panel per
    frequency (a subset, :func:`sweep_frequencies`): the mean of the repeats with its
    standard error (k = 1), and the system fit. Load temperature (K) for a VT load,
    junction bias (mV) for an SNTJ, the diode's noise temperature (K, on and off; by
    point and without a fit when the file lacks its ENR table); for a diode, the panel
    also gives the Y factor."""
    res = attr_json(ds, "results") if results is None else results
    params = attr_json(ds, "parameters")
    kind = str(res.get("source") or params.get("source", {}).get("kind", "vt_load"))
    picks = sweep_frequencies(ds.sizes.get("frequency", 0))
    cols = 1 if picks.size <= 3 else 2
    rows = max(1, -(-picks.size // cols))
    fig, axes = new_figure(rows, cols, sharex=True, height=1.4 + 2.1 * rows,
                           title=run_title(ds, "Noise power against the source"))
    power = ds["power"].transpose("point", "frequency", "repeat").values.astype(float)
    mean = power.mean(axis=2)
    repeats = power.shape[2]
    sem = power.std(axis=2, ddof=1) / np.sqrt(repeats) if repeats > 1 else np.zeros_like(mean)
    factor, unit = power_unit(float(np.nanmax(mean, initial=0.0)))
    x, x_factor, x_label = _source_axis(ds, kind)
    frequency = ds["frequency"].values.astype(float)
    bandwidth = float(params.get("bandwidth", np.nan))
    on = ds["setpoint"].values.astype(float) > 0.5
    for ax, i in zip(axes.ravel(), picks, strict=False):
        ax.set_title(f"{frequency[i] / 1e9:.4g} GHz", fontsize="small", loc="left")
        if x is None:
            _diode_panel(ax, ds["point"].values.astype(float), on, mean[:, i] / factor,
                         sem[:, i] / factor)
        else:
            ax.errorbar(x[:, i] * x_factor, mean[:, i] / factor, yerr=sem[:, i] / factor,
                        linestyle="none", marker="o", markersize=4, capsize=3,
                        label="measured (±1 s.e.)")
            _fit_line(ax, kind, res, bandwidth, i, frequency[i], x[:, i], x_factor, factor)
        if kind == "diode" and on.any() and (~on).any():
            ratio = float(np.mean(mean[on, i]) / np.mean(mean[~on, i]))
            ax.set_title(f"Y = {ratio:.4g} ({10 * np.log10(ratio):.3g} dB)",
                         fontsize="small", loc="right")
        ax.set_ylabel(f"noise power ({unit})")
        ax.grid(alpha=0.3)
        legend(ax, loc="best")
    if picks.size == 0:
        note(axes[0, 0], "no frequencies in the run")
    for ax in axes[-1]:
        ax.set_xlabel(x_label)
    return fig


def _fit_line(ax: Axes, kind: str, res: dict[str, Any], bandwidth: float, index: int,
              frequency: float, x: np.ndarray, x_factor: float, factor: float) -> None:
    """The system fit over the measured range of source states (nothing without a fit)."""
    finite = x[np.isfinite(x)]
    if finite.size == 0 or not np.isfinite(bandwidth):
        return
    lo = 0.0 if kind == "vt_load" else float(finite.min())
    grid = np.linspace(lo, float(finite.max()), 200)
    model = system_model(kind, res, bandwidth, index, frequency, grid)
    if model is None:
        return
    gain = as_float(res["system_gain_db"])[index]
    t_sys = as_float(res["system_noise_temperature"])[index]
    ax.plot(grid * x_factor, model / factor, color="C1", linewidth=1.2,
            label=f"fit: G = {gain:.2f} dB, T_sys = {t_sys:.3g} K")


def _diode_panel(ax: Axes, point: np.ndarray, on: np.ndarray, mean: np.ndarray,
                 sem: np.ndarray) -> None:
    """Diode on / off readings by point with the mean level of each state."""
    for state, colour, name in ((on, "C3", "diode on"), (~on, "C0", "diode off")):
        if state.any():
            ax.errorbar(point[state], mean[state], yerr=sem[state], linestyle="none",
                        marker="o", markersize=4, capsize=3, color=colour,
                        label=f"{name} (±1 s.e.)")
            ax.axhline(float(np.mean(mean[state])), color=colour, linestyle=":", linewidth=1)


def noise_figures(ds: xr.Dataset, results: dict[str, Any] | None = None) -> dict[str, Figure]:
    """Every figure of an ``amplifier_noise`` run, by name (results: the run's summary)."""
    res = attr_json(ds, "results") if results is None else results
    summary = summary_from_results(res)
    return {
        "gain_noise_temperature": plot_gain_noise(
            summary, title=run_title(ds, "Gain and noise temperature of the amplifier")),
        "added_noise": plot_added_noise(
            summary, title=run_title(ds, "Added noise of the amplifier")),
        "noise_power_vs_source": plot_source_sweep(ds, res),
    }


__all__ = [
    "FAR_ABOVE_LIMIT",
    "MAX_SWEEP_PANELS",
    "QUANTUM_LIMIT",
    "SUMMARY_FIELDS",
    "diode_source_temperatures",
    "noise_figures",
    "plot_added_noise",
    "plot_gain_noise",
    "plot_source_sweep",
    "power_unit",
    "save_figure",
    "summary_from_results",
    "sweep_frequencies",
    "system_model",
]
