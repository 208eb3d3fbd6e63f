"""Figures of an amplifier-noise measurement versus frequency.

Built on :class:`matplotlib.figure.Figure` with an Agg canvas: no pyplot, no
global backend state, safe in threads and on headless machines. Every
function accepts an :class:`~cryochar.analysis.noise.AmplifierNoise` result,
a :class:`~cryochar.analysis.noise.NoiseBudget` or a ready
:class:`~cryochar.analysis.noise.NoiseSummary`; error bars are expanded
uncertainties (``coverage_factor``, k = 2 by default). Frequencies are shown
in GHz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cryochar.analysis.noise import NoiseSummary, summarize_noise

#: The phase-preserving quantum limit of the added noise (quanta).
QUANTUM_LIMIT = 0.5


def _summary(result: Any, coverage_factor: float) -> NoiseSummary:
    if isinstance(result, NoiseSummary):
        return result
    return summarize_noise(result, coverage_factor=coverage_factor)


def _figure(rows: int, title: str | None) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.4, 2.4 + 2.2 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    if title:
        fig.suptitle(title)
    return fig, axes


def _errorbar(ax: Any, x: np.ndarray, y: Any, u: Any, label: str) -> None:
    y, u = np.atleast_1d(np.asarray(y, float)), np.atleast_1d(np.asarray(u, float))
    ax.fill_between(x, y - u, y + u, alpha=0.25, linewidth=0, label=label)
    ax.plot(x, y, marker="." if x.size < 50 else None)


def plot_gain_noise(result: Any, *, coverage_factor: float = 2.0,
                    title: str | None = None) -> Figure:
    """Gain (dB) and noise temperature (K) versus frequency, two stacked panels."""
    s = _summary(result, coverage_factor)
    x = np.atleast_1d(np.asarray(s.frequency, float)) / 1e9
    fig, (ax_g, ax_t) = _figure(2, title)
    band = f"expanded uncertainty (k = {s.coverage_factor:g})"
    _errorbar(ax_g, x, s.gain_db, s.gain_db_uncertainty, band)
    ax_g.set_ylabel("gain (dB)")
    ax_g.legend(loc="best", fontsize="small")
    _errorbar(ax_t, x, s.noise_temperature, s.noise_temperature_uncertainty, band)
    ax_t.set_ylabel("noise temperature (K)")
    ax_t.set_xlabel("frequency (GHz)")
    return fig


def plot_added_noise(result: Any, *, coverage_factor: float = 2.0,
                     title: str | None = None) -> Figure:
    """Added noise in quanta versus frequency, with the quantum limit 1/2 drawn."""
    s = _summary(result, coverage_factor)
    x = np.atleast_1d(np.asarray(s.frequency, float)) / 1e9
    fig, (ax,) = _figure(1, title)
    _errorbar(ax, x, s.n_added, s.n_added_uncertainty,
              f"expanded uncertainty (k = {s.coverage_factor:g})")
    ax.axhline(QUANTUM_LIMIT, color="k", linestyle="--", linewidth=1,
               label="quantum limit 1/2")
    ax.set_ylabel("added noise (quanta)")
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="best", fontsize="small")
    return fig


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, e.g. .png, .svg); returns the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


__all__ = ["QUANTUM_LIMIT", "plot_added_noise", "plot_gain_noise", "save_figure"]
