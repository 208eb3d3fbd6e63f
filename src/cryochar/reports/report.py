"""``cryochar report RUN``: one self-contained HTML file per run (and a PDF).

The page carries everything a client needs to trust a result: client and DUT
labels, the conditions over the run (stage temperatures), the results with
expanded uncertainties and coverage factors, the method and standards, every
instrument with its IDN and firmware, software versions, the quality flags of
every fit, and the SHA-256 of the run file the numbers come from. Figures are
PNGs embedded as data URIs and the style sheet is inline: the file opens
anywhere, offline, and can be archived or mailed as one file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xarray as xr
import yaml
from matplotlib.figure import Figure

from cryochar import __version__
from cryochar.core.errors import ConfigError, CryocharError, StorageError
from cryochar.reports.conditions_plots import conditions_table
from cryochar.reports.plots import CONDITIONS, open_run, run_figures
from cryochar.reports.report_content import sequence_content
from cryochar.reports.report_model import Content
from cryochar.reports.templates import render
from cryochar.storage.runfile import read_attrs

FIGURE_DPI = 110


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure as a PNG data URI, with its name."""

    name: str
    title: str
    uri: str


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows (rendered by the ``report.html.j2`` template)."""

    run: dict[str, Any]
    content: Content
    conditions: list[dict[str, Any]]
    figures: list[EmbeddedFigure]
    instruments: list[dict[str, str]]
    software: dict[str, str]
    file: dict[str, Any]
    recipe_text: str
    overrides: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    generated: str = ""


def sha256_of(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def figure_uri(fig: Figure, dpi: int = FIGURE_DPI) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _title(name: str, fig: Figure) -> str:
    """The figure's own title (first line of its suptitle, mathtext made plain) or its
    registry name."""
    title = fig.get_suptitle().split("\n")[0].strip()
    title = re.sub(r"\$([^$]*)\$", lambda m: _plain(m.group(1)), title)
    return title or name.replace("_", " ").capitalize()


def _plain(mathtext: str) -> str:
    """Mathtext as plain text: ``\\Gamma_1`` -> ``Gamma1``, ``T_2^*`` -> ``T2*``."""
    return re.sub(r"[{}_^]", "", re.sub(r"\\([A-Za-z]+)", r"\1", mathtext))


def _instruments(attrs: dict[str, Any]) -> list[dict[str, str]]:
    """One row per instrument: role, driver, address, vendor, model, serial, firmware."""
    try:
        station = yaml.safe_load(attrs.get("station") or "") or {}
    except yaml.YAMLError:
        station = {}
    declared = station.get("instruments") or {}
    roles = attrs.get("roles")  # role -> instrument, as resolved (older files: the recipe's)
    if not isinstance(roles, dict):
        roles = (attrs.get("recipe_parsed") or {}).get("instruments") or {}
    rows = []
    for name, idn in (attrs.get("idn") or {}).items():
        entry = declared.get(name) or {}
        idn = idn if isinstance(idn, dict) else {"model": str(idn)}
        rows.append({
            "name": name,
            "roles": ", ".join(r for r, inst in roles.items() if inst == name),
            "driver": str(entry.get("driver", "")), "address": str(entry.get("address", "")),
            **{key: str(idn.get(key) or "") for key in ("vendor", "model", "serial",
                                                         "firmware")}})
    return rows


def _figures(ds: xr.Dataset, results: dict[str, Any], problems: list[str]
             ) -> list[EmbeddedFigure]:
    """Every figure of the run (the conditions figure included) as embedded PNGs."""
    try:
        figures = run_figures(ds, results)
    except CryocharError as exc:
        problems.append(f"figures: {exc.one_line()}")
        return []
    except Exception as exc:  # a figure must never cost the client the report
        problems.append(f"figures could not be drawn: {type(exc).__name__}: {exc}")
        return []
    # the figures are not registered with pyplot: they go with the garbage collector
    return [EmbeddedFigure(name, _title(name, fig), figure_uri(fig))
            for name, fig in figures.items()]


def _content(sequence: str, ds: xr.Dataset, results: dict[str, Any],
             parameters: dict[str, Any], problems: list[str]) -> Content:
    """The sequence's part of the report; on data its builder cannot read (a run file of
    another cryochar version), a plain summary and the reason among ``problems``."""
    try:
        return sequence_content(sequence, ds, results, parameters)
    except Exception as exc:  # the rest of the report (provenance, hash) still stands
        problems.append(f"results could not be laid out: {type(exc).__name__}: {exc}")
        return Content(title=sequence or "Run report", method=(), standards=(), quantities=(),
                       remarks=("The summary results are in the run file's 'results' "
                                "attribute.",))


def _recipe_text(attrs: dict[str, Any]) -> str:
    """The recipe as run, in YAML with its non-ASCII text as written (the stored copy
    escapes it: 'Qubit \\u03B2' for 'Qubit β')."""
    parsed = attrs.get("recipe_parsed")
    if isinstance(parsed, dict) and parsed:
        return yaml.safe_dump(parsed, sort_keys=False, allow_unicode=True)
    return str(attrs.get("recipe", ""))


def build_report(path: str | Path, row: dict[str, Any] | None = None) -> ReportData:
    """Collect a run's report from its file (``row``: its catalog row, for status)."""
    path = Path(path)
    try:
        attrs = read_attrs(path)
    except OSError as exc:
        raise StorageError(f"cannot read the run file: {exc}", where=str(path),
                           fix="check that it is a cryochar run file") from exc
    ds = open_run(path)
    # the numbers come from the file whose SHA-256 the report gives; the catalog's copy
    # only stands in when the file holds none
    results = attrs.get("results") if isinstance(attrs.get("results"), dict) else {}
    if not results and row and isinstance(row.get("results"), dict):
        results = row["results"]
    try:
        attrs["recipe_parsed"] = yaml.safe_load(attrs.get("recipe") or "") or {}
    except yaml.YAMLError:
        attrs["recipe_parsed"] = {}
    parameters = attrs.get("parameters") if isinstance(attrs.get("parameters"), dict) else {}
    problems: list[str] = []
    content = _content(str(attrs.get("sequence", "")), ds, results, parameters, problems)
    status = (row or {}).get("status") or attrs.get("status", "")
    run = {
        "run_id": attrs.get("run_id", path.stem), "sequence": attrs.get("sequence", ""),
        "status": status, "started": attrs.get("started", ""),
        "stopped": attrs.get("stopped", ""), "operator": attrs.get("operator", ""),
        "host": attrs.get("host", ""), "client": attrs.get("client") or "-",
        "dut": attrs.get("dut") or "-",
        "description": attrs["recipe_parsed"].get("description", ""),
        "points_completed": int(ds.sizes.get("point", 0)),
        "points_planned": attrs.get("points_planned", ""),
        "message": attrs.get("message", "") or (row or {}).get("message") or "",
        "simulated": bool(attrs.get("simulated")),
        "faults": attrs.get("faults_survived") or {},
        "station_file": attrs.get("station_file", ""), "recipe_file": attrs.get("recipe_file", ""),
    }
    if status not in ("completed", ""):
        problems.append(f"run status {status}: the results cover the "
                        f"{run['points_completed']} completed points of {run['points_planned']}")
    versions = dict(attrs.get("versions") or {})
    versions["git commit"] = str(attrs.get("git_commit", "") or "-")
    stat = path.stat()
    history = attrs.get("analysis_history")
    return ReportData(
        run=run, content=content, conditions=conditions_table(ds),
        figures=_figures(ds, results, problems), instruments=_instruments(attrs),
        software=versions,
        file={"path": str(path.resolve()), "bytes": stat.st_size, "sha256": sha256_of(path)},
        recipe_text=_recipe_text(attrs),
        overrides=attrs.get("overrides") if isinstance(attrs.get("overrides"), dict) else {},
        history=history if isinstance(history, list) else [],
        problems=problems,
        generated=f"{datetime.now(UTC).isoformat(timespec='seconds')} by cryochar "
                  f"{__version__}")


def render_report(data: ReportData) -> str:
    """The report's HTML text."""
    return render("report.html.j2", report=data, json=json, conditions_figure=CONDITIONS)


def write_report(path: str | Path, out_dir: str | Path, *, row: dict[str, Any] | None = None,
                 pdf: bool = False) -> list[Path]:
    """Write ``<out_dir>/<run_id>.html`` (and ``.pdf`` with ``pdf``); return the paths."""
    data = build_report(path, row)
    out = Path(out_dir)
    target = out / f"{data.run['run_id']}.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(render_report(data), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the report: {exc.strerror or exc}", where=str(out),
                          fix="choose a writable folder with --out") from exc
    written = [target]
    if pdf:
        from cryochar.reports.pdf import html_to_pdf

        written.append(html_to_pdf(target, target.with_suffix(".pdf")))
    return written


__all__ = ["EmbeddedFigure", "ReportData", "build_report", "figure_uri", "render_report",
           "sha256_of", "write_report"]
