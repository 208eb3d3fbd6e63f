"""``cryochar run`` and ``cryochar demo``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cryochar.cli.output import console, err_console, print_json, summary_table
from cryochar.core.overrides import parse_overrides
from cryochar.core.paths import catalog_path, default_file

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
         as_json: bool) -> dict[str, Any]:
    from cryochar import api

    prepared = api.prepare(recipe, station, parse_overrides(overrides))
    with progress_display() as (on_progress, on_log):
        result = api.start(prepared, out, progress=on_progress, log=on_log)
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
        """Run the main job on the simulated testbed and say where the results are."""
        err_console.print("[bold]cryochar demo[/]: S21 sweep of a 20 dB attenuator on the "
                          "simulated testbed (power x MXC temperature)")
        summary = _run(str(default_file("sequences", "s21_sweep.yaml")), None, None,
                       str(out) if out else None, as_json=False)
        console.print(f"\n[bold green]results[/]: run file {summary['file']}")
        console.print(f"[bold green]catalog[/]: {catalog_path()}  "
                      "(list with 'cryochar runs', details with 'cryochar show latest')")
        console.print("open the data: xarray.open_dataset(path, engine='h5netcdf')")
        if summary["status"] != "completed":
            raise typer.Exit(1)


__all__ = ["progress_display", "register"]
