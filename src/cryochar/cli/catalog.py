"""``cryochar runs`` and ``cryochar show``."""

from __future__ import annotations

import typer
from rich.table import Table

from cryochar.cli.output import console, print_json, summary_table

STATUS_STYLE = {"completed": "green", "running": "cyan", "interrupted": "yellow",
                "aborted": "yellow", "failed": "red"}


def register(app: typer.Typer) -> None:
    """Add ``runs`` and ``show`` to ``app``."""

    @app.command()
    def runs(
        limit: int = typer.Option(50, "--limit", min=1, help="Show at most this many runs."),
        sequence: str | None = typer.Option(None, "--sequence", help="Only this sequence."),
        status: str | None = typer.Option(None, "--status", help="Only runs with this status."),
        as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    ) -> None:
        """List the run catalog, newest first."""
        from cryochar.core.paths import catalog_path
        from cryochar.storage import Catalog

        filters = {k: v for k, v in (("sequence", sequence), ("status", status)) if v}
        rows = Catalog(catalog_path()).list(limit=limit, **filters)
        if as_json:
            print_json(rows)
            return
        table = Table(title=f"runs in {catalog_path()}")
        table.add_column("run id", no_wrap=True)
        for column in ("sequence", "status", "started (UTC)", "points", "DUT"):
            table.add_column(column)
        for row in rows:
            style = STATUS_STYLE.get(row["status"], "")
            table.add_row(row["run_id"], row["sequence"], f"[{style}]{row['status']}[/]",
                          (row["started"] or "")[:19].replace("T", " "),
                          f"{row['points_completed']}/{row['points_planned']}", row["dut"] or "")
        console.print(table)

    @app.command()
    def show(
        run: str = typer.Argument("latest", help="Run id, a unique prefix of it, or 'latest'."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Show a run's summary."""
        from cryochar import api

        summary = api.show(run)
        if as_json:
            print_json(summary)
        else:
            console.print(summary_table(summary))


__all__ = ["register"]
