"""Figures of an ``attenuator_thermalisation`` run: heating against power, leakage model.

Both figures draw the sequence's summary results (``ds.attrs["results"]``, as
returned by ``analyse_points``: per point ``power`` W at the attenuator input,
``mxc_temperature`` K, ``t_eff`` / ``t_eff_uncertainty`` / ``t_eff_upper_bound``
K (attenuator temperature), ``photons`` / ``photons_uncertainty``; and the
fitted ``n_leak``, ``attenuator_weight``, ``sigma_v`` W/K^5) with the fitted
curves recomputed by :mod:`cryochar.analysis.thermal`. The device (resonator
frequency, attenuation) comes from the run's ``parameters``. Temperatures are
shown in mK; error bars are standard uncertainties (k = 1); upper bounds are
drawn as down-arrows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cryochar.analysis.thermal import (
    bose_einstein,
    effective_temperature,
    effective_temperature_stderr,
    hot_electron_temperature,
)
from cryochar.core.errors import ConfigError
from cryochar.reports.figures import as_float, attr_json, legend, new_figure, note, run_title

MK = 1e3  # K -> mK
REQUIRED = ("power", "mxc_temperature", "t_eff", "photons")


def _inputs(ds: xr.Dataset, results: dict[str, Any] | None,
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(results, device parameters); ConfigError when the run has no usable results."""
    results = attr_json(ds, "results") if results is None else results
    missing = [key for key in REQUIRED if key not in results]
    if missing:
        raise ConfigError(
            f"run {ds.attrs.get('run_id', '?')} has no attenuator results "
            f"(missing {', '.join(missing)}); {results.get('summary_error', '')}".rstrip("; "),
            where="results", fix="resume the run ('cryochar resume RUN') so it is analysed")
    return results, attr_json(ds, "parameters").get("device", {})


def _per_point(res: dict[str, Any], key: str, size: int) -> np.ndarray:
    """A per-point result as floats (NaN where missing, all NaN when absent or misaligned)."""
    values = as_float(res.get(key))
    return values if values.size == size else np.full(size, np.nan)


def _upper_bounds(ax: Axes, x: np.ndarray, bound: np.ndarray, label: str) -> None:
    """Down-arrows from each finite upper bound (mK)."""
    shown = np.isfinite(bound) & np.isfinite(x)
    if shown.any():
        y = bound[shown] * MK
        ax.errorbar(x[shown], y, yerr=0.25 * y, uplims=True, linestyle="none", marker="_",
                    markersize=10, color="C3", capsize=0, label=label)


def _sweep_mask(ds: xr.Dataset, power: np.ndarray) -> np.ndarray:
    """Points of the MXC sweep (tone off): the run's setpoints, else zero power."""
    if "mxc_setpoint" in ds and ds.sizes.get("point") == power.size:
        return np.isfinite(ds["mxc_setpoint"].values.astype(float))
    return ~(power > 0)


def plot_heating(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """Attenuator temperature (mK) against power at its input (W, log), with the fit
    T_att(P) = (T_ph^5 + P (1 - 1/A) / SigmaV)^(1/5) and its 1-sigma band."""
    res, device = _inputs(ds, results)
    fig, axes = new_figure(1, 1, height=4.6,
                           title=run_title(ds, "Attenuator heating against RF power"))
    ax = axes[0, 0]
    power, t_mxc = as_float(res["power"]), as_float(res["mxc_temperature"])
    t_eff, u, bound = (_per_point(res, key, power.size) for key in
                       ("t_eff", "t_eff_uncertainty", "t_eff_upper_bound"))
    on = (power > 0) & ~_sweep_mask(ds, power)
    value = on & np.isfinite(t_eff)
    ax.errorbar(power[value], t_eff[value] * MK, yerr=np.nan_to_num(u[value]) * MK,
                linestyle="none", marker="o", markersize=5, capsize=3,
                label=r"$T_{att}$ from thermal photons (±1 s.u.)")
    _upper_bounds(ax, power, np.where(on, bound, np.nan), r"upper bound on $T_{att}$")
    if not on.any():
        note(ax, "no powered points")
    else:
        _heating_curve(ax, res, device, power[on], float(np.nanmean(t_mxc[on])))
        ax.set_xscale("log")
        _dbm_axis(ax)
    unresolved = int(np.sum(on & ~np.isfinite(t_eff) & ~np.isfinite(bound)))
    if unresolved:
        ax.text(0.01, 0.99, f"{unresolved} point(s) without a temperature (n not above the "
                "leakage model)", transform=ax.transAxes, fontsize="x-small", color="0.4",
                va="top")
    ax.set_xlabel("RF power at the attenuator input (W)")
    ax.set_ylabel("attenuator temperature (mK)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3, which="both")
    legend(ax, loc="lower right")
    return fig


def _heating_curve(ax: Axes, res: dict[str, Any], device: dict[str, Any], power: np.ndarray,
                   t_ph: float) -> None:
    """The hot-electron fit (and a band from SigmaV's uncertainty) over the powered range."""
    ax.axhline(t_ph * MK, color="0.5", linestyle=":", linewidth=1,
               label=f"phonon (MXC) temperature {t_ph * MK:.3g} mK")
    sigma_v, attenuation = res.get("sigma_v"), device.get("attenuator_db")
    if not sigma_v or not np.isfinite(sigma_v) or sigma_v <= 0 or attenuation is None:
        return
    grid = np.geomspace(power.min() / 3, power.max() * 3, 200)
    curve = hot_electron_temperature(grid, sigma_v, t_ph, attenuation) * MK
    u = res.get("sigma_v_uncertainty") or 0.0
    flag = "" if res.get("hot_electron_fit_ok", True) else " (fit flagged)"
    ax.plot(grid, curve, color="C1",
            label=rf"hot-electron fit, $\Sigma V$ = {sci(sigma_v, u)} W/K$^5${flag}")
    if 0 < u < sigma_v:
        lo = hot_electron_temperature(grid, sigma_v + u, t_ph, attenuation) * MK
        hi = hot_electron_temperature(grid, sigma_v - u, t_ph, attenuation) * MK
        ax.fill_between(grid, lo, hi, color="C1", alpha=0.2, linewidth=0)


def _dbm_axis(ax: Axes) -> None:
    """A top axis with the same power in dBm (x limits of ``ax`` are frozen first)."""
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi)
    top = ax.twiny()
    top.set_xlim(10 * np.log10(lo / 1e-3), 10 * np.log10(hi / 1e-3))
    top.set_xlabel("RF power at the attenuator input (dBm)", fontsize="small")
    top.tick_params(labelsize="small")


def sci(value: float, uncertainty: float | None = None, digits: int = 3) -> str:
    """``value`` (± ``uncertainty``) in mathtext scientific notation, e.g. (1.01 ± 0.02)e-4."""
    if not np.isfinite(value) or value == 0:
        return f"{value:g}"
    exp = int(np.floor(np.log10(abs(value))))
    mant = value / 10.0**exp
    power = rf"\times 10^{{{exp}}}" if exp else ""
    if uncertainty is None or not np.isfinite(uncertainty) or uncertainty <= 0:
        return rf"${mant:.{digits}g}{power}$"
    return rf"$({mant:.{digits}g} \pm {uncertainty / 10.0**exp:.2g}){power}$"


def plot_leakage(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """Photon number n and temperatures (mK) against MXC temperature (mK), tone off,
    with the leakage model n = n_leak + w n_BE(f, T_mxc)."""
    res, device = _inputs(ds, results)
    fig, axes = new_figure(2, 1, sharex=True, height=6.6,
                           title=run_title(ds, "Thermal photons against MXC temperature"))
    ax_n, ax_t = axes[:, 0]
    power, t_mxc = as_float(res["power"]), as_float(res["mxc_temperature"])
    sweep = _sweep_mask(ds, power) & np.isfinite(t_mxc)
    pts = {key: _per_point(res, key, power.size)[sweep] for key in (
        "photons", "photons_uncertainty", "t_eff", "t_eff_uncertainty", "t_eff_upper_bound")}
    freq = device.get("resonator_frequency")
    ax_n.errorbar(t_mxc[sweep] * MK, pts["photons"], yerr=np.nan_to_num(pts["photons_uncertainty"]),
                  linestyle="none", marker="o", markersize=5, capsize=3,
                  label="n from excess dephasing (±1 s.u.)")
    grid = np.linspace(0.0, 1.08 * np.max(t_mxc[sweep], initial=0.1), 200)[1:]
    model = _leakage_curve(ax_n, res, freq, grid)
    _temperature_panel(ax_t, freq, t_mxc[sweep] * MK, pts, grid, model)
    if not sweep.any():
        note(ax_n, "no MXC-sweep points")
    else:
        ax_n.set_yscale("log")
    ax_n.set_ylabel("thermal photons n (quanta)")
    ax_t.set_xlabel("MXC temperature (mK)")
    ax_t.set_ylabel("temperature (mK)")
    for ax in (ax_n, ax_t):
        ax.grid(alpha=0.3, which="both")
        legend(ax, loc="upper left")
    return fig


def _leakage_curve(ax: Axes, res: dict[str, Any], freq: float | None,
                   grid: np.ndarray) -> np.ndarray | None:
    """Draw n_leak + w n_BE(f, T) and the n_leak floor; return the model n on ``grid``."""
    n_leak, weight = res.get("n_leak"), res.get("attenuator_weight")
    if freq is None or n_leak is None or weight is None:
        return None
    model = n_leak + weight * np.asarray(bose_einstein(freq, grid))
    flag = "" if res.get("leakage_fit_ok", True) else " (fit flagged)"
    ax.plot(grid * MK, model, color="C1",
            label=rf"$n_{{leak}} + w\,n_{{BE}}(f, T)$: $n_{{leak}}$ = "
                  rf"{sci(n_leak, res.get('n_leak_uncertainty'), 2)}, $w$ = {weight:.3g}, "
                  rf"$f$ = {freq / 1e9:.4g} GHz{flag}")
    ax.axhline(n_leak, color="0.5", linestyle=":", linewidth=1, label=r"$n_{leak}$ floor")
    return model


def _temperature_panel(ax: Axes, freq: float | None, x: np.ndarray, pts: dict[str, np.ndarray],
                       grid: np.ndarray, model: np.ndarray | None) -> None:
    """Mode T_eff from n with the model's T_eff, and the leakage-corrected T_att (mK)
    against the MXC temperature ``x`` (mK); ``pts`` holds the sweep points' results."""
    if freq is not None:
        n, n_u = pts["photons"], np.nan_to_num(pts["photons_uncertainty"])
        ax.errorbar(x, np.asarray(effective_temperature(freq, n)) * MK,
                    yerr=np.asarray(effective_temperature_stderr(freq, n, n_u)) * MK,
                    linestyle="none", marker="s", markersize=4, capsize=3, color="C0",
                    label=r"mode $T_{eff}$ from n")
    if model is not None:
        ax.plot(grid * MK, np.asarray(effective_temperature(freq, model)) * MK, color="C1",
                label=r"$T_{eff}$ of the leakage model")
    shown = np.isfinite(pts["t_eff"])
    ax.errorbar(x[shown], pts["t_eff"][shown] * MK,
                yerr=np.nan_to_num(pts["t_eff_uncertainty"][shown]) * MK, linestyle="none",
                marker="o", markersize=5, capsize=3, color="C2",
                label=r"attenuator $T_{att}$ (leak-corrected)")
    _upper_bounds(ax, x, pts["t_eff_upper_bound"], r"upper bound on $T_{att}$")
    ax.plot(grid * MK, grid * MK, color="0.5", linestyle="--", linewidth=1,
            label=r"$T = T_{MXC}$ (fully thermalised)")


def thermal_figures(ds: xr.Dataset, results: dict[str, Any] | None = None,
                    ) -> dict[str, Figure]:
    """Every figure of an ``attenuator_thermalisation`` run, by name."""
    return {"attenuator_heating": plot_heating(ds, results),
            "photon_leakage": plot_leakage(ds, results)}


__all__ = ["plot_heating", "plot_leakage", "sci", "thermal_figures"]
