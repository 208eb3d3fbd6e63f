"""Report figures of an amplifier-noise result (cryochar.reports.noise_plots)."""

from __future__ import annotations

import numpy as np
from scipy.constants import h, k

from cryochar.analysis.noise import callen_welton_temperature, summarize_noise, y_factor
from cryochar.reports.noise_plots import (
    QUANTUM_LIMIT,
    plot_added_noise,
    plot_gain_noise,
    save_figure,
)

FREQ = np.linspace(4e9, 8e9, 81)


def jpa_result():
    tn = 0.7 * h * FREQ / k
    p = [100.0 * k * 1e6 * (callen_welton_temperature(FREQ, t) + tn) for t in (0.3, 0.02)]
    return y_factor(*p, 0.3, 0.02, FREQ, 1e6, integration_time=0.1)


def test_gain_and_noise_figure(tmp_path):
    fig = plot_gain_noise(jpa_result(), title="JPA")
    ax_g, ax_t = fig.axes
    assert ax_g.get_ylabel() == "gain (dB)" and ax_t.get_ylabel() == "noise temperature (K)"
    x, y = ax_g.lines[0].get_data()
    np.testing.assert_allclose(x, FREQ / 1e9)
    np.testing.assert_allclose(y, 20.0)
    out = save_figure(fig, tmp_path / "gain.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_added_noise_figure_shows_the_quantum_limit(tmp_path):
    fig = plot_added_noise(summarize_noise(jpa_result()))
    (ax,) = fig.axes
    levels = [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--"]
    assert levels == [QUANTUM_LIMIT] and QUANTUM_LIMIT == 0.5
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 0.7)
    assert "quantum limit 1/2" in [t.get_text() for t in ax.get_legend().get_texts()]
    save_figure(fig, tmp_path / "n_added.svg")
    assert (tmp_path / "n_added.svg").stat().st_size > 1000
