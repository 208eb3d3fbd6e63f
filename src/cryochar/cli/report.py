"""``cryochar report``: a run's self-contained HTML (and PDF) report; the archive page."""

from __future__ import annotations

from pathlib import Path

import typer

from cryochar.core.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""

    @app.command()
    def report(
        run: str | None = typer.Argument(None, help=(
            "Run id, a unique prefix, 'latest' or a run file (.h5); default 'latest' "
            "unless --index is given.")),
        pdf: bool = typer.Option(False, "--pdf", help="Also print the report to PDF "
                                                      "(headless Chromium)."),
        index: bool = typer.Option(False, "--index", help="Write the archive page of all "
                                                          "catalogued runs."),
        out: Path | None = typer.Option(None, "--out", "-o", help=(
            "Folder for reports and the archive page (default: <CRYOCHAR_HOME>/reports).")),
        sequence: str | None = typer.Option(None, "--sequence", help="Archive page: only "
                                                                     "this sequence."),
        dut: str | None = typer.Option(None, "--dut", help="Archive page: only this DUT."),
        client: str | None = typer.Option(None, "--client", help="Archive page: only this "
                                                                 "client."),
        status: str | None = typer.Option(None, "--status", help="Archive page: only runs "
                                                                 "with this status."),
    ) -> None:
        """Write a run's report (and/or the archive page) and print the paths written."""
        from cryochar.reports.publish import report_index, report_run

        filters = {"sequence": sequence, "dut": dut, "client": client, "status": status}
        if not index and any(filters.values()):
            raise ConfigError("--sequence/--dut/--client/--status filter the archive page",
                              where="report", fix="add --index")
        if run is not None or not index:
            for path in report_run(run or "latest", out, pdf=pdf):
                typer.echo(str(path))
        if index:
            typer.echo(str(report_index(out, **filters)))


__all__ = ["register"]
