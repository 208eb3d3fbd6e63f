"""Consoles and printing helpers shared by the commands."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """One JSON document on stdout (nothing else is printed there)."""
    print(json.dumps(data, default=str))


def summary_table(summary: dict[str, Any]) -> Table:
    """A run summary as a two-column table; long result lists are abbreviated."""
    table = Table(show_header=False, box=None)
    for key in ("run_id", "sequence", "status", "points_completed", "points_planned", "file",
                "message"):
        if key in summary:
            table.add_row(f"[bold]{key}[/]", str(summary[key]))
    for key, value in summary.get("results", {}).items():
        text = json.dumps(value, default=str)
        table.add_row(f"  {key}", text if len(text) < 100 else text[:97] + "...")
    return table


__all__ = ["console", "err_console", "print_json", "summary_table"]
