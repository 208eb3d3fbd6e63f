"""What a run report says, independent of how it is rendered.

Each sequence contributes one :class:`Content` (built in
:mod:`cryochar.reports.report_content`): measured quantities with their
expanded uncertainty and coverage factor, tables, the method and standards
used, and the quality checks of every fit. :mod:`cryochar.reports.report`
adds what every run has (client, DUT, conditions, instruments, software,
the run file's SHA-256) and renders HTML.

Uncertainties follow the GUM (JCGM 100:2008): an expanded uncertainty
``U = k u`` is quoted with two significant digits and the value rounded to
the same decimal place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quantity:
    """One reported result, already in its display unit.

    ``expanded`` is ``U = k u`` in ``unit``; ``k`` the coverage factor. Both
    None for a descriptive figure with no uncertainty statement (a median, a
    count); ``note`` says what the number is.
    """

    name: str
    value: float | str | None
    unit: str = ""
    expanded: float | None = None
    k: float | None = None
    note: str = ""

    @property
    def value_text(self) -> str:
        """The value (rounded to the uncertainty's last digit when there is one)."""
        if isinstance(self.value, str):
            return self.value
        return format_value(self.value, self.expanded)

    @property
    def uncertainty_text(self) -> str:
        """``U`` with two significant digits, or an empty string."""
        return "" if self.expanded is None else format_uncertainty(self.expanded)

    @property
    def k_text(self) -> str:
        """The coverage factor as printed (``2`` or ``2.0`` -> ``2``)."""
        return "" if self.k is None else f"{self.k:g}"


@dataclass(frozen=True)
class Table:
    """A titled table of already formatted cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class FitCheck:
    """Quality of one fit (or of a batch of fits of one kind)."""

    name: str
    ok: bool
    flags: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Content:
    """The sequence-specific part of a report."""

    title: str
    method: tuple[str, ...]
    standards: tuple[str, ...]
    quantities: tuple[Quantity, ...]
    tables: tuple[Table, ...] = ()
    fits: tuple[FitCheck, ...] = ()
    remarks: tuple[str, ...] = field(default_factory=tuple)


def _decimals(uncertainty: float) -> int:
    """Decimal places that keep two significant digits of ``uncertainty``."""
    return 1 - math.floor(math.log10(abs(uncertainty)))


def format_uncertainty(expanded: float) -> str:
    """``U`` with two significant digits (GUM 7.2.6); ``-`` when not finite or zero."""
    if not math.isfinite(expanded) or expanded <= 0:
        return "-"
    places = _decimals(expanded)
    if 0 <= places <= 8:
        return f"{expanded:.{places}f}"
    return f"{expanded:.2g}" if places > 8 else f"{round(expanded, places):.0f}"


def format_value(value: float | None, expanded: float | None = None,
                 digits: int = 4) -> str:
    """A value rounded to the last digit of its uncertainty, else ``digits`` significant."""
    if value is None or not math.isfinite(value):
        return "-"
    if expanded is not None and math.isfinite(expanded) and expanded > 0:
        places = _decimals(expanded)
        if 0 <= places <= 8:
            return f"{value:.{places}f}"
        if places < 0:
            return f"{round(value, places):.0f}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def table_rows(columns: Sequence[Sequence[float | str | None]],
               formats: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Rows from column arrays; ``formats`` are ``str.format`` specs (``""`` = as text,
    ``"U"`` = an uncertainty with two significant digits)."""
    rows = []
    for cells in zip(*columns, strict=True):
        row = []
        for cell, spec in zip(cells, formats, strict=True):
            if cell is None or (isinstance(cell, float) and not math.isfinite(cell)):
                row.append("-")
            elif spec == "U":
                row.append(format_uncertainty(float(cell)))
            elif spec:
                row.append(format(cell, spec))
            else:
                row.append(str(cell))
        rows.append(tuple(row))
    return tuple(rows)


def decimate(n: int, limit: int = 25) -> list[int]:
    """At most ``limit`` evenly spread indices of ``range(n)``, first and last included."""
    if n <= limit:
        return list(range(n))
    step = (n - 1) / (limit - 1)
    return sorted({round(i * step) for i in range(limit)})


__all__ = ["Content", "FitCheck", "Quantity", "Table", "decimate", "format_uncertainty",
           "format_value", "table_rows"]
