"""Suggestions for mistyped names in error messages ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggestion(name: str, choices: Iterable[str], *, listing: str) -> str:
    """A fix text: the closest choice when there is one, else where to find the list."""
    options = list(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}? ({listing})"
    if len(options) <= 6:
        return f"use one of: {', '.join(options)}"
    return listing


__all__ = ["suggestion"]
