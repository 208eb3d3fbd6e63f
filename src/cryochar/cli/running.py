"""``cryochar run`` and ``cryochar demo``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
        """Run every sequence on the simulated testbed and say where the results are."""
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
                          _headline(summary))
        console.print(table)
        for summary in summaries:
            console.print(f"[bold green]{summary['sequence']}[/]: {summary['file']}")
        console.print(f"[bold green]catalog[/]: {catalog_path()}  "
                      "(list with 'cryochar runs', details with 'cryochar show RUN')")
        console.print("open a run: xarray.open_dataset(path, engine='h5netcdf')")
        if any(s["status"] != "completed" for s in summaries):
            raise typer.Exit(1)


DEMO_ORDER = ("s21_sweep", "two_port_calibration", "amplifier_noise",
              "attenuator_thermalisation", "coherence_monitor")


def _headline(summary: dict[str, Any]) -> str:
    """One line of the result a physicist looks at first."""
    r = summary.get("results", {})
    try:
        if summary["sequence"] == "s21_sweep":
            return f"|S21| {min(r['s21_db_mean']):.2f} .. {max(r['s21_db_mean']):.2f} dB"
        if summary["sequence"] == "two_port_calibration":
            return (f"DUT S21 {np.median(r['dut_s21_db']):.3f} dB +/- "
                    f"{np.median(r['dut_s21_db_uncertainty']):.3f} dB (k=2), "
                    f"verification {'passed' if r['verification_pass'] else 'FAILED'}")
        if summary["sequence"] == "amplifier_noise":
            return (f"gain {np.median(r['gain_db']):.2f} dB, T_n "
                    f"{np.median(r['noise_temperature']):.3f} K, n_add "
                    f"{np.median(r['n_added']):.2f} (median over frequency)")
        if summary["sequence"] == "attenuator_thermalisation":
            return (f"SigmaV {r['sigma_v']:.3g} +/- {r['sigma_v_uncertainty']:.2g} W/K^5, "
                    f"n_leak {r['n_leak']:.2g}")
        if summary["sequence"] == "coherence_monitor":
            switching = "telegraph switching" if r["telegraph"]["detected"] else "no switching"
            return (f"T1 median {r['t1_median'] * 1e6:.1f} us, IQR {r['t1_iqr'] * 1e6:.1f} us, "
                    f"{switching}")
    except (KeyError, TypeError, ValueError):
        pass
    return summary.get("message", "")


__all__ = ["progress_display", "register"]
