"""Report content of ``coherence_monitor``: T1 / T2 statistics over time and every fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from cryochar.analysis.coherence import decode_flags
from cryochar.reports.report_content._common import batch_check, get_float, scaled
from cryochar.reports.report_model import Content, FitCheck, Quantity, Table
from cryochar.sequences.coherence_monitor import Parameters, fit_cycles

US = 1e6  # s -> us


def _fits(ds: xr.Dataset, parameters: dict[str, Any]) -> list[tuple[str, Any, np.ndarray]]:
    """Every cycle's fits, by the same batch fits the summary makes, for their flags."""
    if not ds.sizes.get("point", 0):
        return []
    p = Parameters.model_validate(parameters)
    fits = fit_cycles(p, *(np.atleast_2d(ds[name].values)
                           for name in ("t1_counts", "ramsey_counts", "echo_counts")))
    cycles = ds["cycle"].values
    return [(label, fit, cycles)
            for label, fit in zip(("T1", "Ramsey (T2*)", "Hahn echo (T2)"), fits, strict=True)]


def coherence_content(ds: xr.Dataset, results: dict[str, Any],
                      parameters: dict[str, Any]) -> Content:
    """Median/IQR, the mean with its autocorrelation-corrected uncertainty, telegraph."""
    shots = int(parameters.get("shots", 1) or 1)
    mean = get_float(results, "t1_mean")
    se = get_float(results, "t1_mean_stderr")
    quantities = [
        Quantity("T1, median over cycles", scaled(get_float(results, "t1_median"), US), "µs",
                 note="descriptive: half the cycles lie above"),
        Quantity("T1, interquartile range", scaled(get_float(results, "t1_iqr"), US), "µs",
                 note="descriptive: the spread of T1 over time"),
        Quantity("T1, mean over cycles", scaled(mean, US), "µs",
                 expanded=scaled(None if se is None else 2 * se, US), k=2 if se else None,
                 note="standard error corrected for autocorrelation of the series"),
        Quantity("T1, standard deviation over cycles", scaled(get_float(results, "t1_std"), US),
                 "µs", note="descriptive"),
        Quantity("T2* (Ramsey), median", scaled(get_float(results, "t2_star_median"), US), "µs"),
        Quantity("T2 (Hahn echo), median", scaled(get_float(results, "t2_echo_median"), US),
                 "µs"),
        Quantity("Cycles with a good T1 fit", f"{100 * results.get('t1_ok_fraction', 0):.1f} %"
                 f" of {results.get('cycles', 0)}"),
    ]
    telegraph = results.get("telegraph") or {}
    remarks = []
    if telegraph.get("detected"):
        levels = ", ".join(f"{v * US:.1f}" for v in telegraph.get("levels") or [])
        rate = telegraph.get("switching_rate")
        quantities.append(Quantity("Telegraph switching rate",
                                   None if rate is None else 3600 * rate, "per hour",
                                   note=f"T1 levels {levels} µs"))
        remarks.append("T1 switches between discrete levels (two-level-system defects): "
                       "the mean and median alone do not describe this qubit; see the "
                       "time trace and histograms.")
    fits = _fits(ds, parameters)
    checks = [batch_check(label, r.ok, decode_flags(r.flags)) for label, r, _ in fits]
    flagged = []
    for label, r, cycles in fits:
        for cycle, ok, names in zip(cycles, r.ok, decode_flags(r.flags), strict=True):
            if not ok:
                flagged.append((str(int(cycle)), label, ", ".join(names) or "not ok"))
    tables = []
    if flagged:
        tables.append(Table("Fits that are not ok", ("cycle", "fit", "flags"),
                            tuple(flagged[:200]),
                            note="excluded from the statistics" +
                                 (" (first 200 shown)" if len(flagged) > 200 else "")))
    allan = results.get("allan_deviation") or {}
    if allan.get("tau"):
        tables.append(Table("Overlapping Allan deviation of T1", ("tau (s)", "adev (µs)"),
                            tuple((f"{t:g}", f"{a * US:.3g}")
                                  for t, a in zip(allan["tau"], allan["adev"], strict=True))))
    method = (
        f"Interleaved T1, Ramsey and Hahn-echo experiments every "
        f"{parameters.get('interval', 0):g} s for {parameters.get('repetitions')} cycles, "
        f"{shots} single-shot readouts per delay. Each trace is fitted by variable projection "
        "with binomial shot-noise weights (Jeffreys prior); fits that fail a quality check "
        "are excluded. The series statistics are median/IQR, mean with a standard error "
        "corrected for autocorrelation, overlapping Allan deviation and telegraph "
        "(change-point) detection.",
    )
    return Content(
        title="Qubit coherence monitor", method=method,
        standards=("Time base: the controller's delay grid (t1/ramsey/echo delays in the run "
                   "file); no external standard is involved.",),
        quantities=tuple(quantities), tables=tuple(tables),
        fits=tuple(checks) or (FitCheck("coherence fits", False, (), "no cycles"),),
        remarks=tuple(remarks))
