"""The one number per sequence that ``cryochar analyze`` shows before and after."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Headline:
    """Result key, how to reduce it to one number, display unit and scale."""

    key: str
    unit: str
    scale: float = 1.0
    median: bool = False
    """True for a list (per frequency or point): its median is shown."""


HEADLINES = {
    "coherence_monitor": Headline("t1_median", "us", 1e6),
    "attenuator_thermalisation": Headline("sigma_v", "W/K^5"),
    "s21_sweep": Headline("s21_db_mean", "dB", median=True),
    "two_port_calibration": Headline("dut_s21_db", "dB", median=True),
    "amplifier_noise": Headline("noise_temperature", "K", median=True),
}


def headline_value(sequence: str, results: dict[str, Any] | None) -> float | None:
    """The headline number of ``results`` in its display unit, or None."""
    spec = HEADLINES.get(sequence)
    if spec is None or not isinstance(results, dict):
        return None
    value = results.get(spec.key)
    try:
        if spec.median:
            numbers = np.asarray([v for v in value or [] if v is not None], dtype=float)
            value = float(np.median(numbers)) if numbers.size else None
        return None if value is None or not math.isfinite(value) else float(value) * spec.scale
    except (TypeError, ValueError):
        return None


def describe_change(sequence: str, before: dict[str, Any] | None, after: dict[str, Any],
                    changed: bool) -> str:
    """One line: the headline before -> after, or ``unchanged``."""
    spec = HEADLINES.get(sequence)
    if spec is None:
        return "results changed" if changed else "unchanged"
    label = f"{spec.key}{' (median)' if spec.median else ''}"
    old, new = headline_value(sequence, before), headline_value(sequence, after)
    if not changed:
        return f"unchanged ({label} {_number(new)} {spec.unit})"
    text = f"{label} {_number(old)} -> {_number(new)} {spec.unit}"
    if old is not None and new is not None and old != new:
        return text + (f" ({(new - old) / abs(old):+.2%})" if old else "")
    return text + ("; other results changed" if old == new else "")


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


__all__ = ["HEADLINES", "Headline", "describe_change", "headline_value"]
