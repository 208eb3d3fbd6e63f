"""``cryochar run`` and ``cryochar demo``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cryochar.cli.output import console, err_console, print_json, summary_table
from cryochar.core.overrides import parse_overrides
from cryochar.core.paths import catalog_path, default_file
from cryochar.reports.headline import headline

EXIT_CODES = {"completed": 0, "aborted": 130, "failed": 1}
SET_HELP = ("Override a recipe parameter or simulated-testbed key with a dotted path, "
            "e.g. --set powers_dbm=[-30,-20] --set twin.fridge.base_temperature=0.012")


@contextmanager
def progress_display(enabled: bool = True):
    """A rich progress bar on stderr, shown from the first point on (so errors while
    connecting stay one line); yields (progress callback, log callback)."""
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                        disable=not enabled, transient=False)
    task = progress.add_task("starting", total=None)

    def on_progress(done: int, total: int, text: str) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.update(task, completed=done, total=total, description=text)

    def on_log(text: str) -> None:
        progress.console.print(f"[dim]{text}[/]", highlight=False)

    try:
        yield on_progress, on_log
    finally:
        if progress.live.is_started:
            progress.stop()


def _run(recipe: str, station: str | None, overrides: list[str] | None, out: str | None,
         as_json: bool, quiet: bool = False) -> dict[str, Any]:
    from cryochar import api

    prepared = api.prepare(recipe, station, parse_overrides(overrides))
    with progress_display() as (on_progress, on_log):
        result = api.start(prepared, out, progress=on_progress, log=on_log)
    if not quiet:
        _print(result.summary, as_json)
    return result.summary


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(summary)
    else:
        console.print(summary_table(summary))
    if summary["status"] != "completed":
        err_console.print(f"[bold red]error:[/] run {summary['run_id']} {summary['status']}: "
                          f"{summary.get('message', '')}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``run``, ``resume`` and ``demo`` to ``app``."""

    @app.command()
    def resume(
        run: str = typer.Argument(..., help="Run id (or a unique prefix, or 'latest')."),
        as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    ) -> None:
        """Continue an interrupted run in the same file, skipping completed points."""
        from cryochar import api

        with progress_display() as (on_progress, on_log):
            result = api.resume(run, progress=on_progress, log=on_log)
        _print(result.summary, as_json)
        raise typer.Exit(EXIT_CODES.get(result.summary["status"], 1))

    @app.command()
    def run(
        recipe: str = typer.Argument(..., help="Recipe file, e.g. sequences/s21_sweep.yaml"),
        station: str | None = typer.Option(None, "--station", help=(
            "Station file; default instruments/sim.yaml (the simulated testbed).")),
        set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
        out: Path | None = typer.Option(None, "--out", help="Folder for the run file."),
        as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    ) -> None:
        """Run a recipe on a station (the simulated testbed by default)."""
        summary = _run(recipe, station, set_, str(out) if out else None, as_json)
        raise typer.Exit(EXIT_CODES.get(summary["status"], 1))

    @app.command()
    def demo(out: Path | None = typer.Option(None, "--out", help="Folder for run files.")) -> None:
        """Run every sequence on the simulated testbed, write their reports and the archive
        page, and say where everything is."""
        from cryochar import sequences

        summaries = []
        for name in DEMO_ORDER:
            if name not in sequences.available():
                continue
            err_console.print(f"\n[bold]cryochar demo[/]: {name} on the simulated testbed")
            summaries.append(_run(str(default_file("sequences", f"{name}.yaml")), None, None,
                                  str(out) if out else None, as_json=False, quiet=True))
        table = Table(title="cryochar demo: every sequence on the simulated testbed")
        for column in ("sequence", "status", "points", "headline result"):
            table.add_column(column)
        for summary in summaries:
            table.add_row(summary["sequence"], summary["status"],
                          f"{summary['points_completed']}/{summary['points_planned']}",
                          headline(summary["sequence"], summary.get("results"),
                                   summary.get("message", "")))
        console.print(table)
        reports = _demo_reports(summaries)
        for summary in summaries:
            console.print(f"[bold green]{summary['sequence']}[/]: {summary['file']}")
            if summary["run_id"] in reports:
                console.print(f"  report: {reports[summary['run_id']]}", highlight=False)
        console.print(f"[bold green]catalog[/]: {catalog_path()}  "
                      "(list with 'cryochar runs', details with 'cryochar show RUN')")
        if "index" in reports:
            console.print(f"[bold green]archive page[/]: {reports['index']}", highlight=False)
        console.print("open a run: xarray.open_dataset(path, engine='h5netcdf')")
        if any(s["status"] != "completed" for s in summaries) or "failed" in reports:
            raise typer.Exit(1)


def _demo_reports(summaries: list[dict[str, Any]]) -> dict[str, str]:
    """Write every demo run's report and the archive page: run id (or ``index``) -> path;
    ``failed`` when one could not be written (said on stderr, the demo goes on)."""
    from cryochar.core.errors import CryocharError
    from cryochar.reports.publish import report_index, report_run

    written: dict[str, str] = {}
    with progress_display() as (on_progress, _log):
        for done, summary in enumerate(summaries):
            on_progress(done, len(summaries) + 1, f"report {summary['sequence']}")
            try:
                written[summary["run_id"]] = str(report_run(summary["run_id"])[0])
            except CryocharError as exc:
                written["failed"] = "yes"
                err_console.print(f"[bold red]error:[/] report of {summary['run_id']}: "
                                  f"{exc.one_line()}", highlight=False, soft_wrap=True)
        on_progress(len(summaries), len(summaries) + 1, "archive page")
        written["index"] = str(report_index())
        on_progress(len(summaries) + 1, len(summaries) + 1, "reports written")
    return written


DEMO_ORDER = ("s21_sweep", "two_port_calibration", "amplifier_noise",
              "attenuator_thermalisation", "coherence_monitor")


__all__ = ["progress_display", "register"]
