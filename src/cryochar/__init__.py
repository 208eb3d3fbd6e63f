"""cryochar: characterisation of cryogenic microwave components.

Measurement sequences run from YAML recipes against real instruments or a
physics-faithful simulated testbed that speaks the instruments' real wire
protocols. From a notebook::

    import cryochar
    run = cryochar.run("s21_sweep", overrides={"powers_dbm": [-30, -20]})
    run.summary, run.results, run.data  # dict, dict, xarray.Dataset
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from cryochar.api import Run


def run(recipe: str, station: str | None = None, overrides: dict[str, Any] | None = None,
        out: str | None = None) -> Run:
    """Run a recipe and return its :class:`cryochar.api.Run` (see there)."""
    from cryochar.api import run as _run

    return _run(recipe, station=station, overrides=overrides, out=out)


def report(run: str = "latest", out: str | None = None, *, pdf: bool = False) -> list[Path]:
    """Write a run's self-contained HTML report (and PDF); see :func:`cryochar.api.report`."""
    from cryochar.api import report as _report

    return _report(run, out, pdf=pdf)


__all__ = ["__version__", "report", "run"]
