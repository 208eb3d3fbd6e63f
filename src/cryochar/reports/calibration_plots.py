"""Figures of a ``two_port_calibration`` run: calibrated DUT, verification, budget, error terms.

The first three draw the sequence's summary results (``ds.attrs["results"]``,
see :func:`cryochar.sequences._two_port_analysis.summary`: arrays over
``frequency`` Hz every ``summary_stride``-th point, |S21| in dB, expanded
uncertainties with ``coverage_factor``, budget components as median standard
uncertainties, k = 1, dB). The error terms are not in the results: they are
re-derived from the raw measurements by the sequence's own solver
(:func:`cryochar.sequences.two_port_calibration.error_terms_of_run`: the same
solve as behind its summary and ``cryochar export --touchstone``, without the
uncertainty budget). Frequencies in GHz,
magnitudes in dB (20 log10 |x|).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pydantic import ValidationError

from cryochar.core.errors import ConfigError
from cryochar.reports.figures import (
    as_float,
    attr_json,
    legend,
    new_figure,
    note,
    run_title,
    seconds,
)
from cryochar.sequences.two_port_calibration import Parameters, error_terms_of_run

REQUIRED = ("frequency", "dut_s21_db", "dut_s21_db_uncertainty", "coverage_factor",
            "uncertainty_components_db", "verification_s21_db", "verification_reference_db",
            "verification_s21_db_uncertainty")
#: Error terms drawn (12-term names without the direction), by panel.
ERROR_TERM_PANELS = (
    ("directivity", ("directivity",)),
    ("source match", ("source match",)),
    ("load match", ("load match",)),
    ("tracking", ("reflection tracking", "transmission tracking")),
)


def _inputs(ds: xr.Dataset, results: dict[str, Any] | None) -> dict[str, Any]:
    """The run's results; ConfigError when the run was not (or could not be) analysed."""
    res = attr_json(ds, "results") if results is None else results
    missing = [key for key in REQUIRED if key not in res]
    if missing:
        why = res.get("analysis") or res.get("summary_error") or ""
        raise ConfigError(
            f"run {ds.attrs.get('run_id', '?')} has no calibration results "
            f"(missing {', '.join(missing)}); {why}".rstrip("; "),
            where="results", fix="resume the run ('cryochar resume RUN') so it is analysed")
    return res


def _parameters(ds: xr.Dataset) -> Any:
    """The run's recipe parameters, validated by the sequence (units resolved)."""
    try:
        return Parameters.model_validate(attr_json(ds, "parameters"))
    except ValidationError as exc:
        raise ConfigError(f"the run's parameters are not a two_port_calibration recipe's: "
                          f"{exc.errors()[0]['msg']}", where="parameters",
                          fix="plot a run file written by cryochar's two_port_calibration"
                          ) from exc


def _band(ax: Axes, x: np.ndarray, y: np.ndarray, u: np.ndarray, label: str,
          band_label: str, colour: str) -> None:
    """A curve with its +/- ``u`` band."""
    ax.fill_between(x, y - u, y + u, color=colour, alpha=0.25, linewidth=0, label=band_label)
    ax.plot(x, y, color=colour, linewidth=1.2, label=label)


def plot_dut(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """Calibrated DUT |S21| (dB) with its expanded-uncertainty band, and |S11| (dB),
    against frequency (GHz)."""
    res = _inputs(ds, results)
    k = float(res["coverage_factor"])
    x = as_float(res["frequency"]) / 1e9
    fig, axes = new_figure(2, 1, sharex=True, height=6.0,
                           title=run_title(ds, "Calibrated DUT"))
    ax_21, ax_11 = axes[:, 0]
    _band(ax_21, x, as_float(res["dut_s21_db"]), as_float(res["dut_s21_db_uncertainty"]),
          "|S21| calibrated", f"expanded uncertainty (k = {k:g})", "C0")
    ax_21.set_ylabel("|S21| (dB)")
    s11 = as_float(res.get("dut_s11_db"))
    if s11.size == x.size:
        ax_11.plot(x, s11, color="C2", linewidth=1.2, label="|S11| calibrated")
    else:
        note(ax_11, "no |S11| in the results")
    ax_11.set_ylabel("|S11| (dB)")
    ax_11.set_xlabel("frequency (GHz)")
    for ax in (ax_21, ax_11):
        ax.grid(alpha=0.3)
        legend(ax, loc="best")
    return fig


def normalised_error(res: dict[str, Any], reference_uncertainty_db: float) -> np.ndarray:
    """``|measured - reference| / sqrt(U^2 + U_ref^2)`` of the verification standard's
    |S21| per frequency (the criterion of :func:`cryochar.analysis.calibration.verify`)."""
    deviation = as_float(res["verification_s21_db"]) - as_float(res["verification_reference_db"])
    limit = np.hypot(as_float(res["verification_s21_db_uncertainty"]), reference_uncertainty_db)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deviation == 0, 0.0, np.abs(deviation) / limit)


def plot_verification(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """The verification standard's |S21| (dB) measured (with its band) and its definition
    (with the definition's band when it has one), and the normalised error
    |meas - ref| / sqrt(U^2 + U_ref^2) against frequency (GHz), the pass line at 1."""
    res = _inputs(ds, results)
    u_ref = float(_parameters(ds).verification.reference_uncertainty_db)
    k = float(res["coverage_factor"])
    x = as_float(res["frequency"]) / 1e9
    verdict = "passed" if res.get("verification_pass") else "FAILED"
    fig, axes = new_figure(2, 1, sharex=True, height=6.0,
                           title=run_title(ds, f"Verification standard ({verdict})"))
    ax_s, ax_e = axes[:, 0]
    _band(ax_s, x, as_float(res["verification_s21_db"]),
          as_float(res["verification_s21_db_uncertainty"]), "measured, calibrated",
          f"expanded uncertainty (k = {k:g})", "C0")
    reference = as_float(res["verification_reference_db"])
    ax_s.plot(x, reference, color="k", linestyle="--", linewidth=1, label="reference (definition)")
    if u_ref > 0:
        ax_s.fill_between(x, reference - u_ref, reference + u_ref, color="0.5", alpha=0.2,
                          linewidth=0, label=f"reference uncertainty ±{u_ref:g} dB")
    ax_s.set_ylabel("|S21| (dB)")
    ax_e.plot(x, normalised_error(res, u_ref), color="C3", linewidth=1.2,
              label=r"$|meas - ref| / \sqrt{U^2 + U_{ref}^2}$")
    ax_e.axhline(1.0, color="k", linestyle="--", linewidth=1, label="pass limit 1")
    ax_e.set_ylim(bottom=0.0)
    ax_e.set_ylabel("normalised error (1)")
    ax_e.set_xlabel("frequency (GHz)")
    for ax in (ax_s, ax_e):
        ax.grid(alpha=0.3)
        legend(ax, loc="best")
    return fig


def plot_budget(ds: xr.Dataset, results: dict[str, Any] | None = None) -> Figure:
    """The DUT |S21| uncertainty budget: each component's median standard uncertainty
    (dB, k = 1, log scale), largest first, and the combined median U/k."""
    res = _inputs(ds, results)
    components = {name: float(v) for name, v in res["uncertainty_components_db"].items()
                  if v is not None}
    combined = float(res.get("median_uncertainty_db", np.nan)) / float(res["coverage_factor"])
    names = sorted(components, key=components.get)
    fig, axes = new_figure(1, 1, height=1.6 + 0.45 * max(len(names), 2),
                           title=run_title(ds, "Uncertainty budget of the DUT |S21|"))
    ax = axes[0, 0]
    dominant = res.get("dominant_component")
    values = np.array([components[n] for n in names])
    colours = ["C3" if n == dominant else "C0" for n in names]
    ax.barh([n.replace("_", " ") for n in names], values, color=colours)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.2g}", va="center", fontsize="small")
    if np.isfinite(combined) and combined > 0:
        ax.axvline(combined, color="k", linestyle="--", linewidth=1,
                   label=f"combined, median U/k = {combined:.2g} dB")
    if values.size == 0 or not np.any(values > 0):
        note(ax, "no budget components in the results")
    else:
        ax.set_xscale("log")
        ax.set_xlim(right=2.5 * max(float(values.max()), combined if combined > 0 else 0.0))
    ax.set_xlabel("median standard uncertainty of |S21| (dB, k = 1)")
    ax.set_ylabel("source of uncertainty")  # categories: no unit
    ax.grid(alpha=0.3, axis="x", which="both")
    legend(ax, loc="lower right")
    return fig


def _reader(ds: xr.Dataset) -> Callable[[str], np.ndarray]:
    """``read(name)`` over the run's completed points, times as epoch seconds (what
    :func:`error_terms_of_run` reads from a run writer)."""
    def read(name: str) -> np.ndarray:
        return seconds(ds, name) if ds[name].dtype.kind == "M" else ds[name].values
    return read


def error_terms(ds: xr.Dataset) -> tuple[np.ndarray, dict[str, np.ndarray]] | str:
    """(frequency Hz, 12-term error coefficients by name) re-derived from the run's raw
    data by the sequence's analysis, or why there are none."""
    terms = error_terms_of_run(_reader(ds), ds["frequency"].values,
                               [str(s) for s in ds["stage"].values], _parameters(ds))
    if isinstance(terms, str):
        return terms
    return ds["frequency"].values, terms.coefs_12term


def plot_error_terms(ds: xr.Dataset) -> Figure:
    """|error terms| (dB) against frequency (GHz), forward solid and reverse dashed:
    directivity, source and load match; reflection and transmission tracking."""
    fig, axes = new_figure(len(ERROR_TERM_PANELS), 1, sharex=True, height=8.6,
                           title=run_title(ds, "Error terms (12-term model)"))
    derived = error_terms(ds)
    for ax, (what, names) in zip(axes[:, 0], ERROR_TERM_PANELS, strict=True):
        if isinstance(derived, str):
            note(ax, f"no error terms: {derived}")
        else:
            f, coefs = derived
            for colour, name in enumerate(names):
                for direction, style in (("forward", "-"), ("reverse", "--")):
                    with np.errstate(divide="ignore"):
                        db = 20 * np.log10(np.abs(coefs[f"{direction} {name}"]))
                    ax.plot(f / 1e9, db, color=f"C{colour}", linestyle=style, linewidth=1.0,
                            label=direction if len(names) == 1 else f"{direction} {name}")
        ax.set_ylabel(f"|{what}| (dB)")
        ax.grid(alpha=0.3)
        legend(ax, loc="center left", bbox_to_anchor=(1.01, 0.5), title=what,
               title_fontsize="small")
    axes[-1, 0].set_xlabel("frequency (GHz)")
    return fig


def calibration_figures(ds: xr.Dataset, results: dict[str, Any] | None = None,
                        ) -> dict[str, Figure]:
    """Every figure of a ``two_port_calibration`` run, by name."""
    return {"calibrated_dut": plot_dut(ds, results),
            "verification": plot_verification(ds, results),
            "uncertainty_budget": plot_budget(ds, results),
            "error_terms": plot_error_terms(ds)}


__all__ = ["ERROR_TERM_PANELS", "REQUIRED", "calibration_figures", "error_terms",
           "normalised_error", "plot_budget", "plot_dut", "plot_error_terms",
           "plot_verification"]
