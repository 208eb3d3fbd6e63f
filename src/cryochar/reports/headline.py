"""One line per run: the result a physicist looks at first (demo table, archive page)."""

from __future__ import annotations

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


__all__ = ["headline"]
