"""Jinja2 templates of the HTML report and the archive page (autoescaped)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).parent


@cache
def environment() -> jinja2.Environment:
    """The template environment: files beside this module, HTML autoescaping on."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE),
                             autoescape=jinja2.select_autoescape(("html", "j2")),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["si_bytes"] = _si_bytes
    return env


def _si_bytes(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def render(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``."""
    return environment().get_template(name).render(**context)


__all__ = ["environment", "render"]
