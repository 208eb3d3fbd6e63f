"""``cryochar analyze QUERY``: re-analyse catalogued runs in parallel (Dask)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from cryochar.cli.output import console, err_console, print_json

STATUS_STYLE = {"reanalysed": "green", "skipped": "yellow", "failed": "red", "matched": "cyan"}
QUERY_HELP = ("key=value terms, all of which must hold: sequence, dut, client, status, "
              "station, operator, run_id (a prefix), since/until (ISO dates on the start). "
              "Quote values with spaces or write them out: dut=transmon Q1")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to ``app``."""

    @app.command()
    def analyze(
        query: list[str] = typer.Argument(..., help=QUERY_HELP),
        scheduler: str | None = typer.Option(None, "--scheduler", help=(
            "Where to run: local worker processes (default), 'synchronous' (this process) "
            "or a Dask scheduler address such as tcp://host:8786.")),
        workers: int | None = typer.Option(None, "--workers", min=1, help=(
            "Local worker processes (default: one per core, at most one per run).")),
        dry_run: bool = typer.Option(False, "--dry-run", help=(
            "List the runs the query selects; re-analyse nothing.")),
        as_json: bool = typer.Option(False, "--json", help="Print one report per run as JSON."),
        report: bool = typer.Option(False, "--report", help=(
            "Then rewrite the HTML report of every re-analysed run whose results changed "
            "and the archive page (in <CRYOCHAR_HOME>/reports).")),
    ) -> None:
        """Re-fit and re-analyse catalogued runs from their files; record the new results
        in each run file (raw data untouched, history kept) and in the catalog."""
        from cryochar import api

        text = " ".join(query)
        reports = api.analyze(text, scheduler, workers, dry_run=dry_run)
        if as_json:
            print_json(reports)
        elif not reports:
            err_console.print(f"no runs match {text!r}", highlight=False)
        else:
            console.print(_listing(reports) if dry_run else _table(reports))
            if not dry_run:
                console.print(_counts(reports), highlight=False)
        if report and not dry_run:
            _refresh_reports(reports)
        if any(r["status"] == "failed" for r in reports):
            raise typer.Exit(1)


def _refresh_reports(reports: list[dict[str, Any]]) -> None:
    """Rewrite the reports the new results made outdated, then the archive page."""
    from cryochar.reports.publish import report_index, report_run

    for r in reports:
        if r["status"] == "reanalysed" and r["changed"]:
            err_console.print(f"report: {report_run(r['run_id'])[0]}", highlight=False)
    err_console.print(f"archive page: {report_index()}", highlight=False)


def _table(reports: list[dict[str, Any]]) -> Table:
    table = Table(title="cryochar analyze")
    table.add_column("run id", no_wrap=True)
    for column in ("sequence", "status", "headline change / why"):
        table.add_column(column)
    for r in reports:
        style = STATUS_STYLE.get(r["status"], "")
        table.add_row(r["run_id"], r["sequence"], f"[{style}]{r['status']}[/]",
                      r["change"] if r["status"] == "reanalysed" else r["reason"])
    return table


def _listing(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"cryochar analyze --dry-run: {len(rows)} matching runs")
    table.add_column("run id", no_wrap=True)
    for column in ("sequence", "run status", "started (UTC)", "DUT", "file"):
        table.add_column(column)
    for r in rows:
        file = r["file"] if r["file_exists"] else f"[red]missing: {r['file']}[/]"
        table.add_row(r["run_id"], r["sequence"], r["run_status"],
                      (r["started"] or "")[:19].replace("T", " "), r["dut"] or "", file)
    return table


def _counts(reports: list[dict[str, Any]]) -> str:
    counts = {s: sum(r["status"] == s for r in reports)
              for s in ("reanalysed", "skipped", "failed")}
    changed = sum(bool(r["changed"]) for r in reports)
    return (f"{counts['reanalysed']} re-analysed ({changed} changed), {counts['skipped']} "
            f"skipped, {counts['failed']} failed")


__all__ = ["register"]
