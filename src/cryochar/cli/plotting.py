"""``cryochar plot``: write every figure of a run next to its file (or into --out)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``plot`` to ``app``."""

    @app.command()
    def plot(
        run: str = typer.Argument("latest", help="Run id, a unique prefix of it, 'latest', "
                                                 "or the path of a run file (.h5)."),
        out: Path | None = typer.Option(None, "--out", "-o", help=(
            "Folder for the figures (default: <run file stem>_plots/ next to the run file).")),
        fmt: str = typer.Option("png", "--format", "-f", help="png or svg."),
    ) -> None:
        """Draw the figures of a run (one file per figure) and print their paths."""
        from cryochar.reports.plots import save_run_plots
        from cryochar.reports.publish import resolve_run

        path, _row = resolve_run(run)
        folder = out if out is not None else path.with_name(f"{path.stem}_plots")
        for written in save_run_plots(path, folder, fmt):
            typer.echo(str(written))


__all__ = ["register"]
