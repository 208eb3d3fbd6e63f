"""Small helpers shared by the report content builders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from cryochar.reports.report_model import FitCheck


def floats(values: Iterable[Any] | None) -> np.ndarray:
    """A float array with None as NaN."""
    return np.array([np.nan if v is None else float(v) for v in (values or [])], dtype=float)


def get_float(results: dict[str, Any], key: str) -> float | None:
    """``results[key]`` as a float, None when missing or not finite."""
    value = results.get(key)
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def scaled(value: float | None, factor: float) -> float | None:
    """``value * factor`` keeping None."""
    return None if value is None else value * factor


def batch_check(name: str, ok: np.ndarray, flags: list[tuple[str, ...]]) -> FitCheck:
    """One line for a batch of fits: how many are good and which flags occurred."""
    ok = np.asarray(ok, dtype=bool)
    counts: dict[str, int] = {}
    for names in flags:
        for flag in names:
            counts[flag] = counts.get(flag, 0) + 1
    detail = f"{int(ok.sum())} of {ok.size} fits ok"
    if counts:
        detail += "; flags raised: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
    return FitCheck(name, bool(ok.all()), tuple(sorted(counts)), detail)


def stability_text(parameters: dict[str, Any]) -> str:
    """The recipe's MXC stability criterion in words, or an empty string."""
    stability = parameters.get("stability") or {}
    if not stability:
        return ""
    return (f"Before measuring, the MXC was held within "
            f"{100 * float(stability.get('tolerance', 0)):g} % of its setpoint for "
            f"{float(stability.get('window', 0)):g} s (readings every "
            f"{float(stability.get('poll', 0)):g} s).")
