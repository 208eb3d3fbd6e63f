"""``cryochar report --index``: the archive page of every run in the catalog.

One self-contained HTML file (inline style and script, no external
resources) listing each run with its client, DUT, status and headline result,
linking to the run's report where one has been written. Filters by sequence,
DUT, client and status, and a free-text search, work offline in the browser.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryochar import __version__
from cryochar.core.errors import ConfigError
from cryochar.reports.headline import headline
from cryochar.reports.templates import render

INDEX_NAME = "index.html"


def index_rows(rows: list[dict[str, Any]], reports: Path) -> list[dict[str, Any]]:
    """Catalog rows as the page shows them; ``report`` is a link relative to ``reports``."""
    shown = []
    for row in rows:
        report = reports / f"{row['run_id']}.html"
        shown.append({
            "run_id": row["run_id"], "sequence": row.get("sequence") or "",
            "dut": row.get("dut") or "", "client": row.get("client") or "",
            "status": row.get("status") or "",
            "started": (row.get("started") or "")[:19].replace("T", " "),
            "points": f"{row.get('points_completed') or 0}/{row.get('points_planned') or '?'}",
            "headline": headline(row.get("sequence") or "", row.get("results"),
                                 row.get("message") or ""),
            "report": report.name if report.is_file() else "",
            "stale": _stale(report, row.get("file")),
            "pdf": report.with_suffix(".pdf").name if report.with_suffix(".pdf").is_file() else "",
            "file": row.get("file") or "",
        })
    return shown


def _stale(report: Path, run_file: str | None) -> bool:
    """True when the run file changed after its report was written (re-analysed or
    resumed since): the report no longer shows the file's current results."""
    if not run_file:
        return False
    try:
        return report.stat().st_mtime < Path(run_file).stat().st_mtime
    except OSError:
        return False


def render_index(rows: list[dict[str, Any]], catalog: str) -> str:
    """The archive page's HTML for already shaped ``rows`` (see :func:`index_rows`)."""
    options = {key: sorted({r[key] for r in rows if r[key]})
               for key in ("sequence", "dut", "client", "status")}
    return render("index.html.j2", rows=rows, options=options, catalog=catalog,
                  generated=f"{datetime.now(UTC).isoformat(timespec='seconds')} by cryochar "
                            f"{__version__}")


def write_index(rows: list[dict[str, Any]], out_dir: str | Path, catalog: str) -> Path:
    """Write ``<out_dir>/index.html`` for the catalog ``rows``; return its path."""
    out = Path(out_dir)
    target = out / INDEX_NAME
    try:
        out.mkdir(parents=True, exist_ok=True)
        text = render_index(index_rows(rows, out), catalog)
        temporary = target.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)  # a browser never sees half a page
    except OSError as exc:
        raise ConfigError(f"cannot write the archive page: {exc.strerror or exc}",
                          where=str(out), fix="choose a writable folder with --out") from exc
    return target


__all__ = ["INDEX_NAME", "index_rows", "render_index", "write_index"]
