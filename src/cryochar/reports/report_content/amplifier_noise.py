"""Report content of ``amplifier_noise``: gain, noise temperature and added noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from cryochar.reports.report_content._common import floats
from cryochar.reports.report_model import Content, FitCheck, Quantity, Table, decimate, table_rows

SOURCES = {
    "vt_load": "a variable-temperature matched load (thermometer-calibrated)",
    "sntj": "a shot-noise tunnel junction (bias-calibrated, self-calibrating in temperature)",
    "diode": "a noise diode with its ENR table, attenuated to the reference plane",
}


def amplifier_noise_content(ds: xr.Dataset, results: dict[str, Any],
                            parameters: dict[str, Any]) -> Content:
    """Median over frequency of G, T_n and n_add with U (k from the run), and a table."""
    k = float(results.get("coverage_factor", 2.0))
    freq = floats(results.get("frequency"))
    columns = {name: (floats(results.get(name)), floats(results.get(f"{name}_uncertainty")))
               for name in ("gain_db", "noise_temperature", "n_added")}
    quantities = []
    for name, label, unit, scale in (("gain_db", "Gain", "dB", 1.0),
                                     ("noise_temperature", "Noise temperature", "K", 1.0),
                                     ("n_added", "Added noise", "photons", 1.0)):
        values, u = columns[name]
        if values.size and np.isfinite(values).any():
            i = int(np.nanargmin(np.abs(values - np.nanmedian(values))))
            quantities.append(Quantity(
                f"{label}, median over frequency", float(values[i]) * scale, unit,
                float(u[i]) * scale if u.size else None, k if u.size else None,
                note=f"at {freq[i] / 1e9:g} GHz; every frequency in the table"))
    picks = decimate(freq.size, 40)
    table = Table(
        f"Per frequency (U at k = {k:g})",
        ("frequency (GHz)", "gain (dB)", "U (dB)", "T_n (K)", "U (K)", "n_add", "U"),
        table_rows([freq[picks] / 1e9, *(a[picks] for pair in columns.values() for a in pair)],
                   [".4f", ".3f", "U", ".4g", "U", ".3f", "U"]) if freq.size else ())
    source = (parameters.get("source") or {}).get("kind", results.get("source", "vt_load"))
    chain = parameters.get("chain") or {}
    method = (
        f"Noise power in a {float(parameters.get('bandwidth', 0)) / 1e6:g} MHz channel "
        f"(RBW {float(parameters.get('rbw', 0)) / 1e6:g} MHz, {parameters.get('averages')} "
        f"averages, {parameters.get('repeats')} readings per point) measured with the spectrum "
        f"analyser while {SOURCES.get(source, source)} is stepped. A straight-line fit of "
        "power against the source's Callen-Welton (quantum) noise temperature gives the "
        "system gain and noise; the input loss "
        f"({chain.get('input_loss_db', 0):g} dB at the {chain.get('input_loss_stage', 'mxc')} "
        "stage) is de-embedded and the following HEMT removed with Friis' formula. "
        "Uncertainties by Monte Carlo over radiometer noise, source temperature, input loss "
        "and its temperature, and the ENR table where used.",
    )
    source_params = parameters.get("source") or {}
    u_load = 1e3 * float(source_params.get("temperature_uncertainty", 0))
    standards = {
        "vt_load": (f"Load thermometer, standard uncertainty {u_load:g} mK.",),
        "sntj": ("Junction bias voltage (SMU) and the fundamental constant e/k_B.",),
        "diode": ("ENR table of the diode, standard uncertainty "
                  f"{source_params.get('enr_uncertainty_db', 0):g} dB.",),
    }.get(source, ())
    standards += (f"Chain calibration: input loss u = {chain.get('input_loss_uncertainty_db', 0):g}"
                  f" dB, HEMT {chain.get('hemt_gain_db', 0):g} dB u = "
                  f"{chain.get('hemt_gain_uncertainty_db', 0):g} dB, "
                  f"T_HEMT {chain.get('hemt_noise_temperature', 0):g} K u = "
                  f"{chain.get('hemt_noise_uncertainty', 0):g} K.",)
    by_frequency = results.get("system_fit_flags_by_frequency") or []
    flagged = [f"{freq[i] / 1e9:g} GHz: {', '.join(names)}"
               for i, names in enumerate(by_frequency) if names and i < freq.size]
    fits = (FitCheck("system noise fit (power vs source temperature)",
                     bool(results.get("system_fit_ok")),
                     tuple(results.get("system_fit_flags") or ()),
                     detail="weighted straight line per frequency; goodness of fit and "
                            "curvature (gain compression) tested"
                            + (f"; flagged at {len(flagged)} of {freq.size} frequencies ("
                               + "; ".join(flagged[:8]) + ")" if flagged else "")),)
    compression = floats(results.get("compression_db"))
    if compression.size and np.isfinite(compression).any():
        u_compression = floats(results.get("compression_db_uncertainty"))
        i = int(np.nanargmax(compression))
        quantities.append(Quantity(
            "Gain compression across the source sweep, largest", float(compression[i]), "dB",
            float(u_compression[i]) if u_compression.size else None, k,
            note=f"at {freq[i] / 1e9:g} GHz; gain at the coldest over the hottest source "
                 "point (a lower bound above ~0.5 dB)"))
    return Content(title="Amplifier gain and noise temperature", method=method,
                   standards=standards, quantities=tuple(quantities), tables=(table,),
                   fits=fits)
