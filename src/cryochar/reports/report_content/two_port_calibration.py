"""Report content of ``two_port_calibration``: the calibrated DUT with its budget."""

from __future__ import annotations

from typing import Any

import xarray as xr

from cryochar.reports.report_content._common import (
    floats,
    get_float,
    scaled,
    stability_text,
)
from cryochar.reports.report_model import (
    Content,
    FitCheck,
    Quantity,
    Table,
    decimate,
    format_uncertainty,
    table_rows,
)

METHODS = {"solr": "SOLR (short-open-load and an unknown reciprocal thru)",
           "solt": "SOLT (short-open-load-thru with the thru as defined; 8-term)"}


def two_port_content(ds: xr.Dataset, results: dict[str, Any],
                     parameters: dict[str, Any]) -> Content:
    """DUT S21 (median, per frequency) with U, the budget, verification and residuals."""
    k = float(results.get("coverage_factor", 2.0))
    if "dut_s21_db" not in results:
        return Content("Two-port calibration at millikelvin", (), (), (), remarks=(
            f"Analysis {results.get('analysis', 'not available')}.",))
    stale = results.get("calibration_stale")  # None: no drift check (check standard missing)
    quantities = (
        Quantity("DUT |S21|, median over frequency", get_float(results, "dut_s21_db_median"),
                 "dB", get_float(results, "median_uncertainty_db"), k),
        Quantity("Largest expanded uncertainty of |S21| over the band",
                 get_float(results, "max_uncertainty_db"), "dB", k=k),
        Quantity("Verification", "passed" if results.get("verification_pass") else "FAILED",
                 note=f"{100 * float(results.get('verification_pass_fraction', 0)):.1f} % of "
                      f"frequencies within U; worst |meas - ref|/U = "
                      f"{results.get('verification_worst_normalised_error')}"),
        Quantity("Residual directivity", get_float(results, "residual_directivity_db"), "dB",
                 note="from the verification standard"),
        Quantity("Residual source match", get_float(results, "residual_source_match_db"), "dB",
                 note="rough: from a single mismatched-line standard"),
        Quantity("Calibration", _validity(stale),
                 note="the check standard was not re-measured" if stale is None else
                      f"drift check p = {results.get('drift_p_value')}, "
                      f"{results.get('drift_points_exceeding', 0)} frequencies beyond the "
                      "drift limit"),
        Quantity("MXC temperature at calibration",
                 scaled(get_float(results, "calibration_mxc_temperature"), 1e3), "mK"),
    )
    freq = floats(results.get("frequency"))
    picks = decimate(freq.size, 41)
    per_frequency = Table(
        f"DUT per frequency (U at k = {k:g}; every frequency in the run file and the "
        "Touchstone export)",
        ("frequency (GHz)", "|S21| (dB)", "U (dB)", "|S11| (dB)", "verification (dB)",
         "reference (dB)", "U (dB)"),
        table_rows([freq[picks] / 1e9, *(floats(results.get(name))[picks] for name in (
            "dut_s21_db", "dut_s21_db_uncertainty", "dut_s11_db", "verification_s21_db",
            "verification_reference_db", "verification_s21_db_uncertainty"))],
            [".4f", ".4f", ".3f", ".2f", ".4f", ".4f", ".3f"]) if freq.size else ())
    components = results.get("uncertainty_components_db") or {}
    budget = Table(
        "Uncertainty budget of |S21| (standard uncertainties, median over frequency)",
        ("component", "u (dB)"),
        tuple((name.replace("_", " "), format_uncertainty(value))
              for name, value in sorted(components.items(), key=lambda kv: -kv[1])),
        note=f"dominant: {str(results.get('dominant_component', '')).replace('_', ' ')}")
    failures = [_band_text(band) for band in results.get("verification_failures") or []]
    fits = (
        FitCheck("verification standard within U", bool(results.get("verification_pass")),
                 ("verification_failed",) if failures else (),
                 f"outside U in {len(failures)} band(s) of frequency" if failures
                 else "all frequencies"),
        *(() if stale is None else (
            FitCheck("error-term drift between repeats", not stale,
                     ("calibration_stale",) if stale else (),
                     f"p = {results.get('drift_p_value')}"),)),
        FitCheck("MXC stable during the calibration", bool(results.get("mxc_stable", True)),
                 () if results.get("mxc_stable", True) else ("mxc_unstable",)),
    )
    calkit = parameters.get("calkit") or {}
    method = (
        f"{METHODS.get(parameters.get('method', 'solr'), parameters.get('method'))} with the "
        "in-situ cryogenic kit behind two SP6T switches at the MXC, "
        f"{parameters.get('repeats')} actuations of every standard and of the DUT, switch "
        f"terms measured, {parameters.get('points')} points from "
        f"{float(parameters.get('start_frequency', 0)) / 1e9:g} to "
        f"{float(parameters.get('stop_frequency', 0)) / 1e9:g} GHz at "
        f"{parameters.get('power_dbm')} dBm, IF bandwidth "
        f"{float(parameters.get('if_bandwidth', 0)):g} Hz.",
        "Uncertainty per frequency by Monte Carlo (GUM Supplement 1, JCGM 101:2008) over the "
        "standard definitions (incl. thermal contraction at 4 K), VNA noise from repeat "
        "differences, switch repeatability from repeated actuations, path asymmetry and "
        "temperature drift; expanded with the coverage factor k.",
        stability_text(parameters),
    )
    verification = parameters.get("verification") or {}
    standards = (
        "Calibration kit: the short, open and load definitions in the table below (from the "
        "recipe); at the MXC every offset delay is the contraction factor times its "
        "definition.",
        "Verification standard: a mismatched line of "
        f"{verification.get('impedance', '?')} ohm, {1e12 * float(verification.get('delay', 0)):g}"
        f" ps, {verification.get('loss_db', '?')} dB loss; its reference uncertainty "
        f"{verification.get('reference_uncertainty_db', 0)} dB.",
    )
    kit = Table("Calibration kit definitions", ("parameter", "value", "unit"),
                tuple((name.replace("_", " "), _kit_value(value), _kit_unit(name))
                      for name, value in calkit.items()))
    return Content(title="Two-port calibration at millikelvin",
                   method=tuple(m for m in method if m), standards=standards,
                   quantities=quantities, tables=(per_frequency, budget, kit), fits=fits,
                   remarks=(f"Verification fails (outside U) at {', '.join(failures[:10])}"
                            + (f" and {len(failures) - 10} more band(s)"
                               if len(failures) > 10 else "") + ".",) if failures else ())


def _validity(stale: bool | None) -> str:
    return "not checked" if stale is None else "stale" if stale else "valid"


def _band_text(band: object) -> str:
    """A failing ``(start, stop)`` band (Hz) as ``4.02-4.1 GHz``; anything else as text."""
    try:
        start, stop = (float(f) / 1e9 for f in band)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return str(band)
    return f"{start:g} GHz" if start == stop else f"{start:g}-{stop:g} GHz"


def _kit_value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(f"{float(v):.4g}" for v in value)
    return f"{float(value):.6g}" if isinstance(value, int | float) else str(value)


def _kit_unit(name: str) -> str:
    """SI unit of a calibration-kit parameter (polynomial coefficients: per Hz^n)."""
    for suffix, unit in (("_z0", "ohm"), ("_delay", "s"), ("_loss", "ohm/s"),
                         ("_resistance", "ohm"), ("_inductance", "H, H/Hz, H/Hz^2, H/Hz^3"),
                         ("_capacitance", "F, F/Hz, F/Hz^2, F/Hz^3"),
                         ("_uncertainty", "1"), ("contraction", "1")):
        if name.endswith(suffix):
            return unit
    return ""
