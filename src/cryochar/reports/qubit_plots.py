"""Figures of the qubit sequences: attenuator thermalisation and coherence monitoring.

Inputs are a run's Dataset (:func:`cryochar.api.open_run_data`) whose root
attributes hold the parameters and results as JSON; outputs are matplotlib
Figures (own Agg canvas, no pyplot state).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from cryochar.analysis.coherence import analyse_series
from cryochar.analysis.thermal import bose_einstein, hot_electron_temperature
from cryochar.reports.figures import (
    as_float,
    attr_json,
    elapsed_hours,
    legend,
    new_figure,
    note,
    run_title,
)


def plot_thermalisation(ds: xr.Dataset) -> Figure:
    """Attenuator temperature against input power with the hot-electron fit (upper
    bounds as down-arrows), and photons against MXC temperature with the leakage fit."""
    r, p = attr_json(ds, "results"), attr_json(ds, "parameters")
    device = p.get("device", {})
    fig, axes = new_figure(1, 2, height=3.6,
                           title=run_title(ds, "attenuator thermalisation"))
    power, t_eff = as_float(r["power"]), as_float(r["t_eff"])
    u_t, bound = as_float(r["t_eff_uncertainty"]), as_float(r["t_eff_upper_bound"])
    t_mxc = as_float(r["mxc_temperature"])
    ax = axes[0, 0]
    powered = power > 0
    ax.errorbar(power[powered], 1e3 * t_eff[powered], 1e3 * u_t[powered], fmt="o",
                label="from qubit dephasing")
    capped = powered & np.isfinite(bound)
    if capped.any():
        ax.plot(power[capped], 1e3 * bound[capped], "v", color="grey", label="upper bound")
    if np.isfinite(r.get("sigma_v") or np.nan) and powered.any():
        grid = np.geomspace(power[powered].min() / 2, power[powered].max() * 2, 200)
        fit = hot_electron_temperature(grid, r["sigma_v"], np.nanmedian(t_mxc[powered]),
                                       device.get("attenuator_db", 20.0))
        ax.plot(grid, 1e3 * np.asarray(fit), "-",
                label=f"fit: SigmaV = {r['sigma_v']:.3g} W/K$^5$")
    ax.set(xscale="log", xlabel="power at the attenuator input (W)",
           ylabel="attenuator temperature (mK)")
    legend(ax)
    ax = axes[0, 1]
    photons, u_n = as_float(r["photons"]), as_float(r["photons_uncertainty"])
    sweep = ~powered
    ax.errorbar(1e3 * t_mxc[sweep], photons[sweep], u_n[sweep], fmt="o", label="measured")
    f = device.get("resonator_frequency")
    if f and np.isfinite(r.get("n_leak") or np.nan):
        grid = np.linspace(0.8 * t_mxc[sweep].min(), 1.1 * t_mxc[sweep].max(), 200)
        model = r["n_leak"] + r["attenuator_weight"] * np.asarray(bose_einstein(f, grid))
        ax.plot(1e3 * grid, model, "-", label=f"n_leak + w n_BE: n_leak = {r['n_leak']:.2g}")
    ax.set(yscale="log", xlabel="MXC temperature (mK)", ylabel="resonator photons n")
    legend(ax)
    return fig


def plot_coherence_series(ds: xr.Dataset) -> Figure:
    """T1 time trace with the telegraph levels, histograms of T1 and Gamma_1, and the
    overlapping Allan deviation of T1 with a -1/2 slope reference."""
    fig, axes = new_figure(2, 2, height=6.4, title=run_title(ds, "coherence monitor"))
    hours = elapsed_hours(ds)
    t1, u1 = as_float(ds["t1"].values), as_float(ds["t1_stderr"].values)
    ax = axes[0, 0]
    ax.errorbar(hours, 1e6 * t1, 1e6 * u1, fmt=".", ms=3, label="T1 per cycle")
    ax.plot(hours, 1e6 * as_float(ds["t2_echo"].values), ".", ms=3, label="T2 echo")
    tg = attr_json(ds, "results").get("telegraph") or {}
    for level in tg.get("levels") or []:
        ax.axhline(1e6 * level, ls="--", lw=0.8, color="k")
    ax.set(xlabel="time (h)", ylabel="coherence time (us)")
    legend(ax)
    good = np.isfinite(t1) & (t1 > 0)
    axes[0, 1].hist(1e6 * t1[good], bins="auto")
    axes[0, 1].set(xlabel="T1 (us)", ylabel="cycles")
    axes[1, 0].hist(1e-3 / t1[good], bins="auto", color="tab:orange")
    axes[1, 0].set(xlabel="Gamma_1 (1/ms)", ylabel="cycles")
    ax = axes[1, 1]
    if good.sum() >= 4 and hours.size > 1:
        spacing = float(np.median(np.diff(hours))) * 3600
        allan = analyse_series(t1, rate=1.0 / spacing).allan
        ax.errorbar(allan.tau, 1e6 * allan.adev, 1e6 * allan.adev_err, fmt="o", ms=3)
        ref = 1e6 * allan.adev[0] * np.sqrt(allan.tau[0] / allan.tau)
        ax.plot(allan.tau, ref, "--", color="grey", label="white noise (slope -1/2)")
        ax.set(xscale="log", yscale="log")
        legend(ax)
    else:
        note(ax, "too few cycles for an Allan deviation")
    ax.set(xlabel="averaging time tau (s)", ylabel="Allan deviation of T1 (us)")
    return fig


__all__ = ["plot_coherence_series", "plot_thermalisation"]
