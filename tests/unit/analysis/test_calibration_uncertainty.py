"""Uncertainty budget: components, quadrature, linear vs Monte Carlo, k = 2 coverage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cryochar.analysis.calibration import (
    COMPONENTS,
    BudgetSources,
    ideal_s,
    solve_unknown_thru,
    uncertainty_budget,
    unterminate,
)
from cryochar.analysis.calibration.sparams import db20
from tests.unit.analysis.calibration_synth import STANDARDS, make_problem

ALL_SOURCES = BudgetSources(noise_sigma=4e-4, switch_sigma=6e-4, n_actuations=2,
                            path_asymmetry=3e-3,
                            drift={"forward reflection tracking": 2e-3, "k": 4e-3,
                                   "reverse source match": 2e-3})


def _budget(p, sources: BudgetSources, **kwargs):
    stds = (*STANDARDS, p.thru_definition)
    switch = (p.terms.forward_switch_term, p.terms.reverse_switch_term)
    return uncertainty_budget(stds, p.raw, p.raw_dut, p.f, switch, sources=sources, **kwargs)


def test_components_combine_in_quadrature_and_match_joint_draws() -> None:
    p = make_problem(n=60, seed=21)
    b = _budget(p, ALL_SOURCES, draws=400, seed=3)
    assert tuple(b.components) == COMPONENTS
    rss = np.sqrt(sum(c.s21_db**2 for c in b.components.values()))
    np.testing.assert_allclose(b.combined_s21_db, rss, rtol=1e-12)
    np.testing.assert_allclose(b.expanded_s21_db, 2.0 * rss, rtol=1e-12)
    assert b.coverage_factor == 2.0
    assert all(np.all(c.s21_db > 0) for c in b.components.values())
    # all sources drawn together spread like the quadrature sum (MC noise ~ 4 %)
    ratio = b.joint_s21_db / b.combined_s21_db
    assert 0.93 < np.median(ratio) < 1.07
    assert 0.9 < np.median(b.joint_s11_mag / b.combined_s11_mag) < 1.1
    np.testing.assert_allclose(b.s21_db, db20(p.dut[:, 1, 0]), atol=1e-10)


def test_linear_method_agrees_with_monte_carlo() -> None:
    p = make_problem(n=40, seed=22)
    mc = _budget(p, ALL_SOURCES, draws=500, seed=1)
    lin = _budget(p, ALL_SOURCES, method="linear")
    assert lin.joint_s21_db is None and lin.n_draws == 0
    for name in COMPONENTS:
        ratio = np.median(mc.components[name].s21_db / lin.components[name].s21_db)
        assert 0.85 < ratio < 1.15, name
    assert 0.9 < np.median(mc.combined_s21_db / lin.combined_s21_db) < 1.1


def test_inactive_sources_are_zero_and_results_are_seeded_and_frozen() -> None:
    p = make_problem(n=30, seed=23)
    only_noise = BudgetSources(noise_sigma=1e-3, contraction_u=0.0)
    a = _budget(p, only_noise, draws=50, seed=5)
    b = _budget(p, only_noise, draws=50, seed=5)
    np.testing.assert_array_equal(a.combined_s21_db, b.combined_s21_db)
    for name in COMPONENTS:
        if name != "vna_noise":
            assert np.all(a.components[name].s21_db == 0), name
    np.testing.assert_allclose(a.combined_s21_db, a.components["vna_noise"].s21_db)
    assert set(a.dominant_s21) == {"vna_noise"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.method = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.combined_s21_db[0] = 1.0


def test_standard_definitions_scale_with_contraction_uncertainty() -> None:
    p = make_problem(n=30, seed=24)
    small = _budget(p, BudgetSources(contraction_u=1e-3), method="linear")
    large = _budget(p, BudgetSources(contraction_u=1e-2), method="linear")
    ratio = large.components["standard_definitions"].s11_mag / \
        small.components["standard_definitions"].s11_mag
    np.testing.assert_allclose(np.median(ratio), 10.0, rtol=0.05)


def test_eight_term_budget_runs() -> None:
    p = make_problem(n=30, seed=25, known_thru=True)
    b = _budget(p, ALL_SOURCES, calibration="eight_term", draws=100)
    assert b.calibration == "eight_term"
    assert np.all(np.isfinite(b.expanded_s21_db)) and np.all(b.expanded_s21_db > 0)
    np.testing.assert_allclose(b.dut_s, p.dut, atol=1e-10)


def test_bad_arguments_raise() -> None:
    p = make_problem(n=10, seed=26)
    with pytest.raises(ValueError, match="drift keys"):
        BudgetSources(drift={"directivity": 1e-3})
    with pytest.raises(ValueError, match="calibration"):
        _budget(p, BudgetSources(), calibration="trl")
    with pytest.raises(ValueError, match="method"):
        _budget(p, BudgetSources(), method="bayes")
    with pytest.raises(ValueError, match="expected measured"):
        uncertainty_budget(STANDARDS, p.raw, p.raw_dut, p.f, sources=BudgetSources())


def test_k2_interval_covers_95_percent() -> None:
    """Repeat a whole noisy SOLR calibration many times: |S21| error within U(k=2) ~95 %."""
    p = make_problem(n=80, seed=27)
    sigma, reps = 3e-4, 500
    rng = np.random.default_rng(2024)
    gf, gr = p.terms.forward_switch_term, p.terms.reverse_switch_term

    def cn(shape):
        return sigma * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)

    # the real standards contract by a random amount around the nominal value
    contraction = 0.9967 + 0.001 * rng.standard_normal((reps, 1))
    true_ideals = np.concatenate([ideal_s(STANDARDS, p.f, contraction),
                                  np.broadcast_to(p.ideals[-1], (1, reps, p.f.size, 2, 2))])
    raw = p.terms.embed(true_ideals) + cn(true_ideals.shape)
    raw_dut = p.raw_dut + cn((reps, p.f.size, 2, 2))
    g = np.stack([gf, gr])[:, None] + cn((2, reps, p.f.size))
    nominal = np.concatenate([ideal_s(STANDARDS, p.f, 0.9967), p.ideals[-1:]])[:, None]
    terms = solve_unknown_thru(unterminate(raw, g[0], g[1]), nominal, switch_terms=(g[0], g[1]))
    error = db20(terms.correct(raw_dut)[..., 1, 0]) - db20(p.dut[:, 1, 0])

    # the budget is evaluated from one noisy realisation, as it would be in the lab
    budget = uncertainty_budget((*STANDARDS, p.thru_definition), raw[:, 0], raw_dut[0], p.f,
                                (g[0, 0], g[1, 0]), sources=BudgetSources(noise_sigma=sigma),
                                draws=400, seed=8)
    coverage = np.mean(np.abs(error) <= budget.expanded_s21_db)
    assert 0.93 <= coverage <= 0.97, coverage


def test_switch_repeatability_from_repeated_actuations_is_propagated() -> None:
    """Scatter of N actuations per standard -> budget component = brute-force spread."""
    from cryochar.analysis.calibration import actuation_scatter

    p = make_problem(n=50, seed=28)
    rng = np.random.default_rng(5)
    sigma, n_act, reps = 1e-3, 8, 400
    gf, gr = p.terms.forward_switch_term, p.terms.reverse_switch_term

    def cn(shape):
        return sigma * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)

    # one session: N actuations of every standard, the DUT once
    repeats = p.raw[:, None] + cn((p.raw.shape[0], n_act, *p.raw.shape[1:]))
    scatter = actuation_scatter(repeats, axis=1, pool_axis=1)
    np.testing.assert_allclose(scatter.sigma, sigma, rtol=0.1)
    sources = BudgetSources(switch_sigma=scatter, n_actuations=n_act, contraction_u=0.0)
    budget = uncertainty_budget((*STANDARDS, p.thru_definition), scatter.mean,
                                p.raw_dut + cn(p.raw_dut.shape), p.f, (gf, gr),
                                sources=sources, method="linear")
    # many sessions: averaged standards, a single DUT actuation each
    averaged = p.raw[:, None] + cn((p.raw.shape[0], reps, *p.raw.shape[1:])) / np.sqrt(n_act)
    terms = solve_unknown_thru(unterminate(averaged, gf, gr), p.ideals[:, None],
                               switch_terms=(gf, gr))
    spread = db20(terms.correct(p.raw_dut + cn((reps, *p.raw_dut.shape)))[..., 1, 0]).std(0)
    ratio = budget.components["switch_repeatability"].s21_db / spread
    assert 0.85 < np.median(ratio) < 1.15
