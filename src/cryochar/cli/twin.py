"""``cryochar sim serve``: the simulated testbed for other processes."""

from __future__ import annotations

import signal
import threading

import typer

from cryochar.cli.output import err_console, print_json
from cryochar.cli.running import SET_HELP

sim_app = typer.Typer(no_args_is_help=True, help="The simulated testbed.")


@sim_app.command()
def serve(
    testbed: str = typer.Option("testbed.yaml", "--testbed", help="Testbed definition file."),
    set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    as_json: bool = typer.Option(False, "--json", help=(
        "First stdout line: one JSON object mapping instrument name to its address.")),
) -> None:
    """Serve the simulated instruments on 127.0.0.1 until SIGINT/SIGTERM.

    The clock runs in 'scaled' mode (speed from the testbed's clock.speed; 1 is
    real time), since no client steps it.
    """
    from cryochar.core.overrides import parse_overrides
    from cryochar.sim import Twin, load_testbed

    loaded = load_testbed(testbed, parse_overrides(set_))
    config = loaded.model.model_copy(update={"clock": loaded.model.clock.model_copy(
        update={"mode": "scaled"})})
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with Twin(config) as twin:
        if as_json:
            print_json(twin.addresses)
        else:
            for name, address in twin.addresses.items():
                err_console.print(f"{name:>14}  {address}", highlight=False)
            err_console.print("serving; Ctrl-C to stop")
        import sys

        sys.stdout.flush()
        stop.wait()


__all__ = ["sim_app"]
