"""Reports of catalogued runs: what ``cryochar report`` and ``cryochar demo`` call.

Reports go to ``<CRYOCHAR_HOME>/reports/`` unless a folder is given, named
``<run id>.html`` (and ``.pdf``), beside the archive page ``index.html`` that
links them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryochar.core.paths import catalog_path, reports_dir
from cryochar.storage import Catalog

RUN_FILE_SUFFIXES = (".h5", ".hdf5", ".nc")
#: Catalog columns the archive page can be restricted to.
INDEX_FILTERS = ("sequence", "dut", "client", "status")


def resolve_run(run: str | Path) -> tuple[Path, dict[str, Any] | None]:
    """A run file and its catalog row from a run id, unique prefix, ``latest`` or a path."""
    given = Path(run).expanduser()
    if given.suffix in RUN_FILE_SUFFIXES and given.is_file():
        return given, None
    row = Catalog(catalog_path()).get(str(run))
    return Path(row["file"]), row


def report_run(run: str | Path, out: str | Path | None = None, *, pdf: bool = False
               ) -> list[Path]:
    """Write the HTML (and with ``pdf`` the PDF) report of ``run``; return the paths."""
    from cryochar.reports.report import write_report

    path, row = resolve_run(run)
    return write_report(path, reports_dir(out), row=row, pdf=pdf)


def report_index(out: str | Path | None = None, **filters: str) -> Path:
    """Write the archive page of every catalogued run matching ``filters``; return its path."""
    from cryochar.reports.index import write_index

    catalog = Catalog(catalog_path())
    # status is compared after the catalog has marked dead 'running' rows interrupted
    stored = {k: v for k, v in filters.items() if v and k != "status"}
    rows = [row for row in catalog.list(limit=-1, **stored)
            if not filters.get("status") or row["status"] == filters["status"]]
    return write_index(rows, reports_dir(out), str(catalog.path))


__all__ = ["INDEX_FILTERS", "report_index", "report_run", "resolve_run"]
