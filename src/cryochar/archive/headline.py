"""The headline change ``cryochar analyze`` shows per run: before -> after."""

from __future__ import annotations

from typing import Any

from cryochar.reports.headline import HEADLINES, headline_number, headline_value


def describe_change(sequence: str, before: dict[str, Any] | None, after: dict[str, Any],
                    changed: bool) -> str:
    """One line: the headline before -> after, or ``unchanged``."""
    spec = HEADLINES.get(sequence)
    if spec is None:
        return "results changed" if changed else "unchanged"
    label = f"{spec.key}{' (median)' if spec.median else ''}"
    old, new = headline_value(sequence, before), headline_value(sequence, after)
    if not changed:
        return f"unchanged ({label} {headline_number(new)} {spec.unit})"
    text = f"{label} {headline_number(old)} -> {headline_number(new)} {spec.unit}"
    if old is not None and new is not None and old != new:
        return text + (f" ({(new - old) / abs(old):+.2%})" if old else "")
    return text + ("; other results changed" if old == new else "")


__all__ = ["describe_change"]
