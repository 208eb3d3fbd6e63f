"""Figures of the qubit sequences render, with labelled axes and the fitted models."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cryochar import api
from cryochar.reports.noise_plots import save_figure
from cryochar.reports.qubit_plots import plot_coherence_series, plot_thermalisation


def _check(fig, path: Path) -> None:
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    saved = save_figure(fig, path)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 10_000


def test_thermalisation_figure_draws_the_fits(tmp_path: Path):
    run = api.run("attenuator_thermalisation")
    fig = plot_thermalisation(run.data)
    power_axis = fig.axes[0]
    fitted = [line for line in power_axis.get_lines() if "SigmaV" in str(line.get_label())]
    assert fitted
    # the hot-electron curve passes through the measured temperatures (mK)
    x, y = fitted[0].get_data()
    r = run.results
    powered = np.array(r["power"]) > 0
    measured = np.array([np.nan if v is None else v for v in r["t_eff"]])[powered] * 1e3
    model = np.interp(np.array(r["power"])[powered], x, y)
    ok = np.isfinite(measured)
    assert np.all(np.abs(model[ok] - measured[ok]) < 3.0)
    _check(fig, tmp_path / "thermalisation.png")


def test_coherence_figure(tmp_path: Path):
    run = api.run("coherence_monitor", overrides={"repetitions": 40})
    _check(plot_coherence_series(run.data), tmp_path / "coherence.png")
