"""The result a physicist looks at first, per sequence: one line of text (demo table,
archive page) and one number (what ``cryochar analyze`` shows before and after)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def headline(sequence: str, results: dict[str, Any] | None, fallback: str = "") -> str:
    """The headline result of a run of ``sequence``, or ``fallback`` when there is none."""
    r = results or {}
    try:
        if sequence == "s21_sweep":
            return f"|S21| {min(r['s21_db_mean']):.2f} .. {max(r['s21_db_mean']):.2f} dB"
        if sequence == "two_port_calibration":
            # the full-resolution medians the report quotes (the lists may be decimated)
            value = r.get("dut_s21_db_median", np.median(r["dut_s21_db"]))
            expanded = r.get("median_uncertainty_db", np.median(r["dut_s21_db_uncertainty"]))
            return (f"DUT S21 {value:.3f} dB +/- {expanded:.3f} dB "
                    f"(k={r.get('coverage_factor', 2):g}), "
                    f"verification {'passed' if r['verification_pass'] else 'FAILED'}")
        if sequence == "amplifier_noise":
            return (f"gain {np.median(r['gain_db']):.2f} dB, T_n "
                    f"{np.median(r['noise_temperature']):.3f} K, n_add "
                    f"{np.median(r['n_added']):.2f} (median over frequency)")
        if sequence == "attenuator_thermalisation":
            # the results hold standard uncertainties; quoted expanded (k=2) as in the report
            return (f"SigmaV {r['sigma_v']:.3g} +/- {2 * r['sigma_v_uncertainty']:.2g} W/K^5 "
                    f"(k=2), n_leak {r['n_leak']:.2g}")
        if sequence == "coherence_monitor":
            switching = "telegraph switching" if r["telegraph"]["detected"] else "no switching"
            return (f"T1 median {r['t1_median'] * 1e6:.1f} us, IQR {r['t1_iqr'] * 1e6:.1f} us, "
                    f"{switching}")
    except (KeyError, TypeError, ValueError):
        pass
    return fallback


@dataclass(frozen=True)
class Headline:
    """Result key, how to reduce it to one number, display unit and scale."""

    key: str
    unit: str
    scale: float = 1.0
    median: bool = False
    """True for a list (per frequency or point): its median is shown."""


HEADLINES = {
    "coherence_monitor": Headline("t1_median", "us", 1e6),
    "attenuator_thermalisation": Headline("sigma_v", "W/K^5"),
    "s21_sweep": Headline("s21_db_mean", "dB", median=True),
    "two_port_calibration": Headline("dut_s21_db", "dB", median=True),
    "amplifier_noise": Headline("noise_temperature", "K", median=True),
}


def headline_value(sequence: str, results: dict[str, Any] | None) -> float | None:
    """The headline number of ``results`` in its display unit, or None."""
    spec = HEADLINES.get(sequence)
    if spec is None or not isinstance(results, dict):
        return None
    value = results.get(spec.key)
    try:
        if spec.median:
            numbers = np.asarray([v for v in value or [] if v is not None], dtype=float)
            value = float(np.median(numbers)) if numbers.size else None
        return None if value is None or not math.isfinite(value) else float(value) * spec.scale
    except (TypeError, ValueError):
        return None


def headline_number(value: float | None) -> str:
    """The headline number as shown (4 significant digits, ``none`` when missing)."""
    return "none" if value is None else f"{value:.4g}"


__all__ = ["HEADLINES", "Headline", "headline", "headline_number", "headline_value"]
