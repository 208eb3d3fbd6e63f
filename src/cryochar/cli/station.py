"""``cryochar drivers`` and ``cryochar station check``."""

from __future__ import annotations

import typer
from rich.table import Table

from cryochar.cli.output import console, print_json

station_app = typer.Typer(no_args_is_help=True, help="Station files.")


@station_app.command("check")
def check(file: str = typer.Argument(..., help="Station file to validate (no connection).")
          ) -> None:
    """Validate a station file offline: keys, units, addresses, limits, drivers and their
    options, and a simulated station's testbed file."""
    from cryochar.api import validate_station

    loaded, _options, _testbed = validate_station(file)
    kind = "simulated" if loaded.model.simulated else "real"
    console.print(f"[green]ok[/]: {loaded.path} ({kind} station, "
                  f"{len(loaded.model.instruments)} instruments: "
                  f"{', '.join(loaded.model.instruments)})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``drivers`` and ``station`` to ``app``."""

    @app.command()
    def drivers(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
        """List the available instrument drivers."""
        from cryochar.drivers import describe_drivers

        rows = describe_drivers()
        if as_json:
            print_json(rows)
            return
        table = Table(title="drivers")
        for column in ("driver", "kind", "models", "protocol"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["name"], row["kind"], ", ".join(row["models"]), row["protocol"])
        console.print(table)

    app.add_typer(station_app, name="station")


__all__ = ["register", "station_app"]
