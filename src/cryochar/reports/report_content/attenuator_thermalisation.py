"""Report content of ``attenuator_thermalisation``: photons, T_eff and hot electrons."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from cryochar.reports.report_content._common import floats, get_float, scaled
from cryochar.reports.report_model import Content, FitCheck, Quantity, Table, table_rows


def attenuator_content(ds: xr.Dataset, results: dict[str, Any],
                       parameters: dict[str, Any]) -> Content:
    """Leakage photons, the hot-electron coupling SigmaV and T_eff at every point (k = 2)."""
    sigma_v = get_float(results, "sigma_v")
    u_sigma = get_float(results, "sigma_v_uncertainty")
    n_leak = get_float(results, "n_leak")
    u_leak = get_float(results, "n_leak_uncertainty")
    quantities = (
        Quantity("Electron-phonon coupling SigmaV of the attenuator", scaled(sigma_v, 1e6),
                 "µW/K⁵", scaled(None if u_sigma is None else 2 * u_sigma, 1e6),
                 2 if u_sigma else None, note="hot-electron fit, exponent 5"),
        Quantity("Residual thermal photons from other sources (n_leak)", n_leak, "",
                 None if u_leak is None else 2 * u_leak, 2 if u_leak else None),
        Quantity("Thermal weight w of the MXC-temperature baths", get_float(
            results, "attenuator_weight"), "",
                 note="fitted with n_leak to the MXC steps (n = n_leak + w n_BE(T_MXC))"),
        Quantity("Attenuator's share of w, eta (1 - 1/A)", _attenuator_share(parameters), "",
                 note="from the device parameters (line coupling eta, attenuation A)"),
    )
    power = floats(results.get("power"))
    n = power.size
    t_eff = floats(results.get("t_eff"))
    u_t = floats(results.get("t_eff_uncertainty"))
    bound = floats(results.get("t_eff_upper_bound"))
    rows = table_rows(
        [power * 1e12, floats(results.get("mxc_temperature")) * 1e3, t_eff * 1e3, 2 * u_t * 1e3,
         bound * 1e3, floats(results.get("photons")),
         2 * floats(results.get("photons_uncertainty")),
         floats(results.get("t1")) * 1e6, floats(results.get("t2_echo")) * 1e6],
        [".3g", ".2f", ".2f", "U", ".2f", ".3g", "U", ".1f", ".1f"]) if n else ()
    table = Table(
        "Per point: effective attenuator temperature and thermal photons (U at k = 2)",
        ("power at attenuator (pW)", "MXC (mK)", "T_eff (mK)", "U (mK)", "upper bound (mK)",
         "photons", "U", "T1 (µs)", "T2 echo (µs)"), rows,
        note="An upper bound is given where the dephasing is too small to resolve.")
    flags = tuple(results.get("hot_electron_flags") or ())
    fits = (
        FitCheck("leakage fit (photons vs MXC temperature)", bool(results.get("leakage_fit_ok")),
                 detail="n = n_leak + w n_BE(T_MXC)"),
        FitCheck("hot-electron fit (T_att vs dissipated power)",
                 bool(results.get("hot_electron_fit_ok")), flags,
                 detail="T_att^5 = T_MXC^5 + P (1 - 1/A) / SigmaV, P the power at the "
                        "attenuator"),
    )
    unresolved = int(np.sum(np.isfinite(bound)))
    method = (
        "The resonator's thermal photon number is read out through the qubit's pure "
        "dephasing (Clerk-Utami, exact rate) from interleaved T1 and Hahn-echo "
        f"experiments ({parameters.get('shots')} shots, {parameters.get('repeats')} pair(s) "
        "per point). MXC steps with the tone off calibrate the leakage; tone steps "
        f"{(parameters.get('drive_frequency') or 0) / 1e9:g} GHz, far off the resonator, heat "
        "the attenuator, whose effective temperature follows from the photon number; a "
        "hot-electron model gives SigmaV.",
    )
    return Content(
        title="Attenuator thermalisation and power handling", method=method,
        standards=("MXC thermometer of the fridge (its calibration sets the temperature "
                   "scale); device parameters (chi, kappa, coupling) from spectroscopy in the "
                   "recipe.",),
        quantities=quantities, tables=(table,), fits=fits,
        remarks=(f"{unresolved} point(s) are upper bounds only.",) if unresolved else ())


def _attenuator_share(parameters: dict[str, Any]) -> float | None:
    """eta (1 - 1/A) of the recipe's device (the attenuator's weight the analysis uses)."""
    device = parameters.get("device") or {}
    if "input_coupling" not in device or "attenuator_db" not in device:
        return None
    return float(device["input_coupling"]) * (1 - 10 ** (-float(device["attenuator_db"]) / 10))
