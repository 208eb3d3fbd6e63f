"""``cryochar export RUN --touchstone``: Touchstone files of a calibration run.

The run file holds the raw measurements; the calibration is re-derived from
them by the sequence's own analysis (the same code as its summary), then the
calibrated DUT, the verification standard and every error term are written
next to the run file (or into ``--out``), with the run id, method, calibration
time (UTC) and MXC temperature (K) in each file's header.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import typer

from cryochar.cli.output import console, print_json
from cryochar.core.errors import ConfigError

EXPORTABLE = ("two_port_calibration",)


def _run_file(run: str) -> Path:
    """A run file path as given, or the file of a catalogued run (id, prefix, 'latest')."""
    path = Path(run)
    if path.suffix == ".h5" and path.is_file():
        return path
    from cryochar import api

    return Path(api.show(run)["file"])


def _reader(dataset: Any) -> Any:
    """``read(name)`` over an xarray Dataset of completed points (times as epoch seconds)."""
    def read(name: str) -> np.ndarray:
        values = dataset[name].values
        if values.dtype.kind == "M":  # CF-decoded "seconds since 1970-01-01"
            values = values.astype("datetime64[ns]").astype(np.int64) / 1e9
        return values
    return read


def export_touchstone(path: Path, out: Path | None = None) -> dict[str, Path]:
    """Re-derive a two-port calibration run's results and write them as Touchstone."""
    from cryochar.api import open_run_data
    from cryochar.reports.calibration_touchstone import write_calibration
    from cryochar.sequences import two_port_calibration as tpc
    from cryochar.storage import read_attrs

    attrs = read_attrs(path)
    if attrs.get("sequence") not in EXPORTABLE:
        raise ConfigError(f"run {attrs.get('run_id', path.name)} is a {attrs.get('sequence')!r} "
                          "run; Touchstone export needs a calibration run", where=str(path),
                          fix=f"export a run of: {', '.join(EXPORTABLE)}")
    params = tpc.Parameters.model_validate(attrs["parameters"])
    data = open_run_data(path)
    cal = tpc.analyse_run(_reader(data), data["frequency"].values,
                          [str(s) for s in data["stage"].values], params)
    if isinstance(cal, str):
        raise ConfigError(f"no calibration in run {attrs.get('run_id')}: {cal}",
                          where=str(path), fix="resume the run to complete its cycles")
    when = datetime.fromtimestamp(cal.time, UTC).isoformat(timespec="seconds")
    return write_calibration(
        out or path.parent, path.stem, cal.frequency, cal.terms, cal.dut, cal.verification_s,
        attributes={"run_id": attrs.get("run_id"), "sequence": attrs.get("sequence"),
                    "dut": attrs.get("dut"), "method": cal.method, "repeats": cal.repeats,
                    "calibration_time_utc": when,
                    "calibration_mxc_temperature_K": f"{cal.mxc_temperature:.6g}",
                    "reference_plane": "ends of the switch paths (calibration standards)"})


def register(app: typer.Typer) -> None:
    """Add ``export`` to ``app``."""

    @app.command()
    def export(
        run: str = typer.Argument("latest", help="Run id, prefix, 'latest' or a .h5 file."),
        touchstone: bool = typer.Option(False, "--touchstone", help=(
            "Write the calibrated DUT, verification and error terms as Touchstone.")),
        out: Path | None = typer.Option(None, "--out", help="Folder (default: the run file's)."),
        as_json: bool = typer.Option(False, "--json", help="Print the written files as JSON."),
    ) -> None:
        """Export a run's results to files other tools read."""
        if not touchstone:
            raise ConfigError("no export format chosen", where="cryochar export",
                              fix="add --touchstone")
        written = export_touchstone(_run_file(run), out)
        if as_json:
            print_json({key: str(p) for key, p in written.items()})
            return
        for key, p in written.items():
            console.print(f"{key}: {p}", highlight=False, soft_wrap=True)


__all__ = ["export_touchstone", "register"]
