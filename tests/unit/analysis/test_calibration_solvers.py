"""Vectorised 8-term / SOLR solvers: recovery of a synthetic DUT and agreement with scikit-rf."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import skrf
from skrf.calibration import EightTerm as SkrfEightTerm
from skrf.calibration import UnknownThru as SkrfUnknownThru
from skrf.calibration import convert_8term_2_12term
from skrf.calibration import terminate as skrf_terminate
from skrf.calibration import unterminate as skrf_unterminate

from cryochar.analysis.calibration import (
    COEF_KEYS,
    EightTerm,
    ErrorTerms,
    UnknownThru,
    error_terms_of,
    solr,
    solve_eight_term,
    solve_unknown_thru,
    terminate,
    unterminate,
)
from tests.unit.analysis.calibration_synth import make_problem


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _noisy(p, sigma: float, seed: int = 7):
    rng = np.random.default_rng(seed)
    shape = p.raw.shape
    return p.raw + sigma * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))


@pytest.mark.parametrize("cls, known", [(UnknownThru, False), (EightTerm, True)])
def test_recovers_dut_within_1e_10(cls, known) -> None:
    p = make_problem(n=256, seed=3, known_thru=known)
    cal = cls(measured=p.networks(p.raw), ideals=p.networks(p.ideals),
              switch_terms=p.switch_networks)
    cal.run()
    dut = cal.apply_cal(skrf.Network(frequency=p.frequency, s=p.raw_dut))
    assert isinstance(dut, skrf.Network)
    assert np.max(np.abs(dut.s - p.dut)) < 1e-10
    for key, value in p.terms.coefs.items():
        assert _rel(cal.coefs[key], value) < 1e-9, key


@pytest.mark.parametrize("ours, theirs, known", [(UnknownThru, SkrfUnknownThru, False),
                                                 (EightTerm, SkrfEightTerm, True)])
def test_agrees_with_scikit_rf_on_noisy_data(ours, theirs, known) -> None:
    """Same least-squares problem: coefficients and corrected DUT agree to 1e-10 (relative)."""
    p = make_problem(n=200, seed=5, known_thru=known)
    raw = p.networks(_noisy(p, 2e-3))
    ideals = p.networks(p.ideals)
    dut = skrf.Network(frequency=p.frequency, s=p.raw_dut)
    a = ours(measured=raw, ideals=ideals, switch_terms=p.switch_networks)
    b = theirs(measured=raw, ideals=ideals, switch_terms=p.switch_networks)
    b.run()
    assert set(a.coefs) == set(b.coefs) == set(COEF_KEYS)
    for key in b.coefs:
        assert _rel(a.coefs[key], b.coefs[key]) < 1e-10, key
    assert _rel(a.apply_cal(dut).s, b.apply_cal(dut).s) < 1e-10
    ours_12, theirs_12 = a.coefs_12term, convert_8term_2_12term(b.coefs)
    for key in theirs_12:
        assert _rel(ours_12[key], theirs_12[key]) < 1e-10, key


def test_embed_matches_scikit_rf_and_inverts_correction() -> None:
    p = make_problem(n=64, seed=11, known_thru=True)
    ref = SkrfEightTerm.from_coefs(p.frequency, p.terms.coefs)
    net = skrf.Network(frequency=p.frequency, s=p.dut)
    assert _rel(p.terms.embed(p.dut), ref.embed(net).s) < 1e-12
    assert np.max(np.abs(p.terms.correct(p.terms.embed(p.dut)) - p.dut)) < 1e-12
    cal = EightTerm(measured=p.raw, ideals=p.ideals, frequency=p.f,
                    switch_terms=(p.terms.forward_switch_term, p.terms.reverse_switch_term))
    assert np.max(np.abs(cal.embed(net).s - p.raw_dut)) < 1e-10
    assert _rel(cal.to_skrf().apply_cal(skrf.Network(frequency=p.frequency, s=p.raw_dut)).s,
                p.dut) < 1e-9


def test_switch_terms_match_scikit_rf() -> None:
    p = make_problem(n=32, seed=2)
    gf, gr = p.switch_networks
    net = skrf.Network(frequency=p.frequency, s=p.dut)
    assert _rel(unterminate(p.dut, gf.s[:, 0, 0], gr.s[:, 0, 0]),
                skrf_unterminate(net, gf, gr).s) < 1e-13
    assert _rel(terminate(p.dut, gf.s[:, 0, 0], gr.s[:, 0, 0]),
                skrf_terminate(net, gf, gr).s) < 1e-13
    both = unterminate(terminate(p.dut, gf.s[:, 0, 0], gr.s[:, 0, 0]), gf.s[:, 0, 0],
                       gr.s[:, 0, 0])
    assert np.max(np.abs(both - p.dut)) < 1e-13


def test_isolation_is_handled_like_scikit_rf() -> None:
    p = make_problem(n=50, seed=4, known_thru=True)
    iso_s = np.zeros_like(p.dut)
    iso_s[:, 1, 0], iso_s[:, 0, 1] = 1e-4 * (1 + 1j), -2e-4j
    iso = skrf.Network(frequency=p.frequency, s=iso_s)
    raw = [skrf.Network(frequency=p.frequency, s=s + iso_s) for s in p.raw]
    dut = skrf.Network(frequency=p.frequency, s=p.raw_dut + iso_s)
    a = EightTerm(measured=raw, ideals=p.networks(p.ideals), switch_terms=p.switch_networks,
                  isolation=iso)
    b = SkrfEightTerm(measured=raw, ideals=p.networks(p.ideals),
                      switch_terms=p.switch_networks, isolation=iso)
    assert _rel(a.apply_cal(dut).s, b.apply_cal(dut).s) < 1e-10
    assert np.max(np.abs(a.apply_cal(dut).s - p.dut)) < 1e-10


def test_batched_solvers_broadcast_over_draws() -> None:
    """Leading batch axes (e.g. Monte Carlo draws) are solved in one call."""
    p = make_problem(n=40, seed=9)
    gf, gr = p.terms.forward_switch_term, p.terms.reverse_switch_term
    m_ut = unterminate(np.stack([p.raw, _noisy(p, 1e-3)], axis=1), gf, gr)  # (n_std, 2, n, 2, 2)
    terms = solve_unknown_thru(m_ut, p.ideals[:, None], switch_terms=(gf, gr))
    assert terms.k.shape == (2, 40)
    single = solve_unknown_thru(m_ut[:, 1], p.ideals, switch_terms=(gf, gr))
    assert _rel(terms.k[1], single.k) < 1e-12
    assert np.max(np.abs(terms.correct(p.raw_dut)[0] - p.dut)) < 1e-10
    p8 = make_problem(n=40, seed=9, known_thru=True)
    t8 = solve_eight_term(unterminate(p8.raw, gf, gr)[:, None], p8.ideals[:, None],
                          switch_terms=(gf, gr))
    assert t8.k.shape == (1, 40)


def test_singular_standards_raise() -> None:
    p = make_problem(n=8, seed=1)
    same = np.repeat(p.raw[:1], 4, axis=0)
    ideals = np.repeat(p.ideals[:1], 4, axis=0)
    with pytest.raises(ValueError, match="singular"):
        UnknownThru(measured=same, ideals=ideals, frequency=p.f).run()
    with pytest.raises(ValueError, match="singular"):
        EightTerm(measured=same, ideals=ideals, frequency=p.f).run()


def test_condition_number_flags_good_standards() -> None:
    p = make_problem(n=20, seed=6, known_thru=True)
    cal = EightTerm(measured=p.raw, ideals=p.ideals, frequency=p.f,
                    switch_terms=(p.terms.forward_switch_term, p.terms.reverse_switch_term))
    assert np.all(np.isfinite(cal.condition)) and np.all(cal.condition < 1e4)


def test_input_validation() -> None:
    p = make_problem(n=8, seed=1)
    with pytest.raises(ValueError, match="equally many"):
        UnknownThru(measured=p.raw, ideals=p.ideals[:-1], frequency=p.f)
    with pytest.raises(ValueError, match="frequency"):
        UnknownThru(measured=p.raw, ideals=p.ideals)


def test_error_terms_round_trip_through_coefs() -> None:
    p = make_problem(n=16, seed=8)
    again = ErrorTerms.from_coefs(p.terms.coefs)
    assert all(np.array_equal(again.coefs[k], p.terms.coefs[k]) for k in COEF_KEYS)
    x, y = p.terms.error_boxes()
    assert x.shape == y.shape == (16, 2, 2)
    assert _rel(x[:, 0, 1] * x[:, 1, 0], p.terms.forward_reflection_tracking) < 1e-14


def test_wrappers_solr_and_scikit_rf_solt() -> None:
    p = make_problem(n=60, seed=12, known_thru=True)
    raw, ideals = p.networks(p.raw), p.networks(p.ideals)
    dut = skrf.Network(frequency=p.frequency, s=p.raw_dut)
    cal = solr(raw, ideals, switch_terms=p.switch_networks)
    assert np.max(np.abs(cal.apply_cal(dut).s - p.dut)) < 1e-10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from cryochar.analysis.calibration import solt
        twelve = solt(raw, ideals)
    assert np.max(np.abs(twelve.apply_cal(dut).s - p.dut)) < 1e-9
    terms = error_terms_of(twelve)
    assert np.max(np.abs(terms.correct(p.raw_dut) - p.dut)) < 1e-9


def _line(f: np.ndarray, length: float) -> np.ndarray:
    """Matched, slightly lossy air line of ``length`` (m)."""
    gamma = 0.5 * np.sqrt(f / 1e9) + 2j * np.pi * f / 299_792_458.0
    s = np.zeros((f.size, 2, 2), dtype=complex)
    s[:, 0, 1] = s[:, 1, 0] = np.exp(-gamma * length)
    return s


def test_wrappers_trl_and_multiline_trl_recover_dut() -> None:
    from cryochar.analysis.calibration import multiline_trl, trl

    p = make_problem(n=81, seed=13)
    refl = np.zeros_like(p.dut)
    refl[:, 0, 0] = refl[:, 1, 1] = -1.0 * np.exp(-2j * np.pi * p.f * 2e-12)
    lengths = [0.0, 3.7e-3, 11.0e-3]
    stds = [_line(p.f, lengths[0]), refl, _line(p.f, lengths[1]), _line(p.f, lengths[2])]
    raw = p.networks(p.terms.embed(np.stack(stds)))
    dut = skrf.Network(frequency=p.frequency, s=p.raw_dut)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = trl(raw[:3], switch_terms=p.switch_networks)
        many = multiline_trl(raw, Grefls=[-1], lengths=lengths, er_est=1.0,
                             switch_terms=p.switch_networks)
    assert np.max(np.abs(one.apply_cal(dut).s - p.dut)) < 1e-8
    assert np.max(np.abs(many.apply_cal(dut).s - p.dut)) < 1e-8
