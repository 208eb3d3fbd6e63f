"""Report content of ``s21_sweep``: transmission against power and MXC temperature."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from cryochar.reports.report_content._common import floats, stability_text
from cryochar.reports.report_model import Content, Quantity, Table, table_rows


def s21_content(ds: xr.Dataset, results: dict[str, Any],
                parameters: dict[str, Any]) -> Content:
    """Mean |S21| per point; the sweep is uncorrected, so no uncertainty is claimed."""
    power = floats(results.get("power_dbm"))
    setpoint = floats(results.get("mxc_setpoint"))
    mxc = floats(results.get("mxc_temperature"))
    mean = floats(results.get("s21_db_mean"))
    spread = floats(results.get("s21_db_std"))
    if mxc.size != power.size:
        mxc = np.full(power.size, np.nan)
    quantities = []
    if mean.size:
        quantities = [
            Quantity("|S21| mean over the band, lowest power", float(mean[np.argmin(power)]),
                     "dB", note=f"at {power.min():g} dBm"),
            Quantity("|S21| mean over the band, highest power", float(mean[np.argmax(power)]),
                     "dB", note=f"at {power.max():g} dBm"),
            Quantity("Change of mean |S21| across the sweep", float(np.ptp(mean)), "dB",
                     note="max - min over all points"),
        ]
    table = Table(
        "Mean transmission per point",
        ("source power (dBm)", "MXC setpoint (mK)", "MXC reading (mK)", "mean |S21| (dB)",
         "std over the band (dB)"),
        table_rows([power, setpoint * 1e3, mxc * 1e3, mean, spread],
                   [".1f", ".2f", ".2f", ".3f", ".3f"]),
        note="The standard deviation over frequency describes the trace's ripple, "
             "not a measurement uncertainty.")
    method = (
        "Transmission S21 measured with the VNA from "
        f"{parameters.get('start_frequency', 0) / 1e9:g} to "
        f"{parameters.get('stop_frequency', 0) / 1e9:g} GHz ({parameters.get('points')} "
        f"points, IF bandwidth {parameters.get('if_bandwidth', 0):g} Hz, "
        f"{parameters.get('averages')} average(s)) at every source power and MXC setpoint of "
        "the recipe; the stage temperatures are read right after each sweep.",
        stability_text(parameters),
    )
    return Content(
        title="S21 transmission sweep",
        method=tuple(m for m in method if m),
        standards=("None: raw (uncorrected) VNA transmission; for traceable S-parameters "
                   "use the two_port_calibration sequence.",),
        quantities=tuple(quantities), tables=(table,),
        remarks=("No fits are made in this sequence.",))
