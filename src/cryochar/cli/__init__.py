"""The ``cryochar`` command line (typer + rich): thin, parse -> call -> print.

Every cryochar error is printed as one line (what, where, how to fix) with exit
code 2 for bad input and 1 otherwise; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import logging
import sys

import typer

from cryochar import __version__
from cryochar.cli.analyze import register as register_analyze
from cryochar.cli.catalog import register as register_catalog
from cryochar.cli.export import register as register_export
from cryochar.cli.output import err_console
from cryochar.cli.plotting import register as register_plotting
from cryochar.cli.report import register as register_report
from cryochar.cli.running import register as register_running
from cryochar.cli.station import register as register_station
from cryochar.cli.twin import sim_app
from cryochar.core.errors import CryocharError

app = typer.Typer(name="cryochar", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Characterise cryogenic microwave components on real or simulated testbeds.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cryochar {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
) -> None:
    """cryochar: characterisation sequences for millikelvin microwave testbeds."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


register_running(app)
register_catalog(app)
register_analyze(app)
register_plotting(app)
register_report(app)
register_export(app)
register_station(app)
app.add_typer(sim_app, name="sim")
try:  # the fitting commands (cryochar.cli.fit) arrive with the coherence core
    from cryochar.cli.fit import fit_app

    app.add_typer(fit_app, name="fit", help="Fit T1, Ramsey or echo data from a CSV or run file.")
except ImportError:  # pragma: no cover - only while the module is absent
    pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; print cryochar errors as one line, not a traceback."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="cryochar", standalone_mode=False)
        if isinstance(code, int) and code:  # non-standalone click returns typer.Exit's code
            sys.exit(code)
    except CryocharError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]stopped:[/] interrupted; measured points are kept")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:
        import click

        # recent typer vendors click (typer._click): its usage errors are not click's classes
        usage_errors = (click.ClickException, *(cls for cls in typer.BadParameter.__mro__
                                                if cls.__name__ == "ClickException"))
        if isinstance(exc, usage_errors):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
                          "(rerun with --debug for the traceback and report it)",
                          highlight=False, soft_wrap=True)
        sys.exit(1)


__all__ = ["app", "main"]
