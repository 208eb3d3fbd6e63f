"""Uncertainty budget (Monte Carlo and linear) and the summary fields."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.constants import k

from cryochar.analysis.noise import (
    DiodeSource,
    HotColdSource,
    InputLoss,
    NoiseBudget,
    callen_welton_temperature,
    db_to_linear,
    diode_cold_temperature,
    diode_hot_temperature,
    embed_input_loss,
    noise_budget,
    summarize_noise,
    y_factor,
)

B = 1e6
FREQ = np.linspace(4e9, 8e9, 21)
LINE = ([20.0, 10.0], [4.0, 0.8])  # diode line: 30 dB down to the 0.8 K stage


def hot_cold_powers(gain, tn, t_hot, t_cold, loss_db=0.0, t_loss=0.02, cw=True):
    g_m, t_m = embed_input_loss(gain, tn, FREQ, db_to_linear(loss_db), t_loss)
    th = callen_welton_temperature(FREQ, t_hot) if cw else t_hot
    tc = callen_welton_temperature(FREQ, t_cold) if cw else t_cold
    return g_m * k * B * (th + t_m), g_m * k * B * (tc + t_m)


@pytest.fixture(scope="module")
def budget() -> NoiseBudget:
    p_hot, p_cold = hot_cold_powers(1e4, 2.0, 4.0, 0.02, loss_db=0.5)
    return noise_budget(FREQ, p_hot, p_cold, B, HotColdSource(4.0, 0.02, 0.04, 2e-3),
                        integration_time=0.05, bandwidth_uncertainty=0.01 * B,
                        input_loss=InputLoss(0.5, 0.02, 0.05, 5e-3), seed=1)


def test_components_add_in_quadrature_to_the_combined(budget):
    assert budget.component_names == ("radiometer", "bandwidth", "source_temperature",
                                      "input_loss", "input_loss_temperature")
    for entry in (budget.gain_db, budget.noise_temperature, budget.n_added):
        quad = np.sqrt(sum(u**2 for u in entry.components.values()))
        np.testing.assert_allclose(quad, entry.combined, rtol=0.05)
        np.testing.assert_allclose(entry.expanded, 2 * entry.combined, rtol=1e-15)
        assert entry.coverage_factor == 2.0
        assert np.all(entry.lower < entry.value) and np.all(entry.value < entry.upper)
    assert np.all(budget.noise_temperature.components["bandwidth"] < 1e-12)


def test_monte_carlo_agrees_with_linear_propagation(budget):
    for entry in (budget.gain, budget.noise_temperature):
        for name, u in entry.components.items():
            np.testing.assert_allclose(u, entry.linear_components[name], rtol=0.08,
                                       atol=0.01 * entry.combined.max())
        np.testing.assert_allclose(entry.combined, entry.linear_combined, rtol=0.05)


def test_nominal_values_and_known_components(budget):
    np.testing.assert_allclose(budget.noise_temperature.value, 2.0, rtol=1e-12)
    np.testing.assert_allclose(budget.gain_db.value, 40.0, rtol=1e-12)
    # a loss known to 0.05 dB puts 0.05 dB on the gain
    np.testing.assert_allclose(budget.gain_db.components["input_loss"], 0.05, rtol=0.05)
    np.testing.assert_allclose(budget.gain_db.linear_components["input_loss"], 0.05, rtol=1e-6)


def test_radiometer_component_matches_the_y_factor_propagation():
    p_hot, p_cold = hot_cold_powers(100.0, 0.25, 0.5, 0.02)
    b = noise_budget(FREQ, p_hot, p_cold, B, HotColdSource(0.5, 0.02), integration_time=0.01,
                     draws=4000, seed=3)
    r = y_factor(p_hot, p_cold, 0.5, 0.02, FREQ, B, integration_time=0.01)
    assert b.component_names == ("radiometer",)
    np.testing.assert_allclose(b.noise_temperature.components["radiometer"],
                               r.noise_temperature_uncertainty, rtol=0.06)
    np.testing.assert_allclose(b.noise_temperature.linear_combined,
                               r.noise_temperature_uncertainty, rtol=1e-5)


def test_seeded_and_reproducible():
    p_hot, p_cold = hot_cold_powers(1e4, 2.0, 4.0, 0.02)
    kw = {"integration_time": 0.01, "draws": 200, "linear": False}
    a = noise_budget(FREQ, p_hot, p_cold, B, HotColdSource(4.0, 0.02, 0.05), seed=5, **kw)
    b = noise_budget(FREQ, p_hot, p_cold, B, HotColdSource(4.0, 0.02, 0.05), seed=5, **kw)
    c = noise_budget(FREQ, p_hot, p_cold, B, HotColdSource(4.0, 0.02, 0.05), seed=6, **kw)
    assert np.array_equal(a.noise_temperature.combined, b.noise_temperature.combined)
    assert not np.array_equal(a.noise_temperature.combined, c.noise_temperature.combined)
    assert a.noise_temperature.linear_combined is None and a.draws == 200 and a.seed == 5


def test_diode_source_budget():
    enr = np.linspace(15.5, 14.5, FREQ.size)
    th = diode_hot_temperature(enr, *LINE, FREQ)
    tc = diode_cold_temperature(*LINE, FREQ)
    assert np.all(th > 9.0) and np.all(tc < 1.5)
    p_hot, p_cold = hot_cold_powers(1e4, 2.0, th, tc, cw=False)
    source = DiodeSource(enr, *LINE, enr_uncertainty_db=0.1, line_loss_uncertainty_db=0.05,
                         line_temperature_uncertainty=[0.1, 0.02])
    b = noise_budget(FREQ, p_hot, p_cold, B, source, integration_time=0.05, seed=2)
    assert b.component_names == ("radiometer", "enr", "line_loss", "line_temperature")
    np.testing.assert_allclose(b.noise_temperature.value, 2.0, rtol=1e-12)
    e = b.noise_temperature
    np.testing.assert_allclose(np.sqrt(sum(u**2 for u in e.components.values())), e.combined,
                               rtol=0.05)
    np.testing.assert_allclose(e.components["enr"], e.linear_components["enr"], rtol=0.08)
    assert np.all(e.components["enr"] > e.components["line_temperature"])


def test_summary_fields_are_expanded(budget):
    s = summarize_noise(budget)
    assert s.coverage_factor == 2.0
    np.testing.assert_allclose(s.noise_temperature_uncertainty, budget.noise_temperature.expanded)
    np.testing.assert_allclose(s.gain_db_uncertainty, budget.gain_db.expanded)
    d = s.as_dict()
    assert set(d) == {"frequency", "gain_db", "gain_db_uncertainty", "noise_temperature",
                      "noise_temperature_uncertainty", "n_added", "n_added_uncertainty",
                      "coverage_factor"}
    json.dumps(d)
    p_hot, p_cold = hot_cold_powers(1e4, 2.0, 4.0, 0.02)
    r = y_factor(p_hot, p_cold, 4.0, 0.02, FREQ, B, integration_time=0.1)
    s = summarize_noise(r, coverage_factor=3.0)
    np.testing.assert_allclose(s.n_added_uncertainty, 3.0 * r.n_added_uncertainty)
    assert s.coverage_factor == 3.0
