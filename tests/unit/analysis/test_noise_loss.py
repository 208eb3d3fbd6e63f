"""Input-loss de-embedding (temperatures and quanta), Friis cascades and input lines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import h, k

from cryochar.analysis.noise import (
    callen_welton_temperature,
    db_to_linear,
    deembed_added_quanta,
    deembed_input_loss,
    deembed_result,
    diode_cold_temperature,
    diode_hot_temperature,
    embed_added_quanta,
    embed_input_loss,
    friis,
    friis_first_stage,
    line_noise_temperature,
    noise_quanta,
    y_factor,
)
from cryochar.core.errors import FitError

B = 1e6
FREQ = np.linspace(4e9, 8e9, 7)


def n_bose(f, t):
    return 1.0 / np.expm1(h * f / (k * t))


def measured(gain, tn, loss_db, t_loss, f=FREQ, t_hot=4.0, t_cold=0.02, tau=None):
    """Y-factor result of an amplifier seen through an input loss."""
    g_m, t_m = embed_input_loss(gain, tn, f, db_to_linear(loss_db), t_loss)
    p_hot = g_m * k * B * (callen_welton_temperature(f, t_hot) + t_m)
    p_cold = g_m * k * B * (callen_welton_temperature(f, t_cold) + t_m)
    return y_factor(p_hot, p_cold, t_hot, t_cold, f, B, integration_time=tau)


def test_round_trip():
    loss = db_to_linear(np.array([0.3, 1.0, 3.0]))[:, None]
    t_loss = np.array([0.02, 0.8, 4.0])[:, None]
    gain, tn = 10 ** 2.0, np.linspace(0.1, 0.3, FREQ.size)
    g_m, t_m = embed_input_loss(gain, tn, FREQ, loss, t_loss)
    assert np.all(t_m > tn) and np.all(g_m < gain)
    g, t = deembed_input_loss(g_m, t_m, FREQ, loss, t_loss)
    np.testing.assert_allclose(g, gain, rtol=1e-14)
    np.testing.assert_allclose(t, np.broadcast_to(tn, t.shape), rtol=1e-12)
    with pytest.raises(FitError):
        embed_input_loss(gain, tn, FREQ, 0.9, 0.02)


def test_quanta_and_temperature_forms_agree():
    loss_db, t_loss = 1.5, np.array([0.015, 0.1, 0.8])[:, None]
    eta = 1.0 / db_to_linear(loss_db)
    n_add = 0.6
    tn = n_add * h * FREQ / k
    _, t_m = embed_input_loss(1.0, tn, FREQ, 1.0 / eta, t_loss)
    n_eff = embed_added_quanta(n_add, eta, n_bose(FREQ, t_loss))
    np.testing.assert_allclose(noise_quanta(t_m, FREQ), n_eff, rtol=1e-12)
    np.testing.assert_allclose(deembed_added_quanta(n_eff, eta, n_bose(FREQ, t_loss)), n_add,
                               rtol=1e-12)
    # a quantum-limited amplifier behind a cold loss is no longer quantum limited
    assert embed_added_quanta(0.5, eta, 0.0) == pytest.approx(0.5 * (2 - eta) / eta)


def test_tenth_of_a_db_moves_gain_and_noise_by_2_3_percent():
    gain, tn, t_loss = 10 ** 4.0, 5.0, 0.02
    r = measured(gain, tn, 1.0, t_loss, f=4e9)
    right = deembed_result(r, 1.0, t_loss)
    wrong = deembed_result(r, 1.1, t_loss)
    assert right.gain == pytest.approx(gain, rel=1e-12)
    assert right.noise_temperature == pytest.approx(tn, rel=1e-12)
    assert wrong.gain / right.gain - 1 == pytest.approx(0.0233, abs=2e-4)
    assert 1 - wrong.noise_temperature / right.noise_temperature == pytest.approx(0.023, abs=1.5e-3)
    u = deembed_result(r, 1.0, t_loss, loss_uncertainty_db=0.1)
    assert u.gain_uncertainty / u.gain == pytest.approx(np.log(10) / 100, rel=1e-12)
    t_cw = callen_welton_temperature(4e9, t_loss)
    assert u.noise_temperature_uncertainty == pytest.approx((tn + t_cw) * np.log(10) / 100,
                                                            rel=1e-12)
    assert u.gain_db_uncertainty == pytest.approx(0.1, rel=1e-12)


def test_deembedded_uncertainty_matches_monte_carlo():
    gain, tn, loss_db, t_loss = 100.0, 0.2, 0.8, 0.1
    r = measured(gain, tn, loss_db, t_loss, tau=0.01)
    u_l, u_t = 0.05, 0.02
    d = deembed_result(r, loss_db, t_loss, loss_uncertainty_db=u_l,
                       loss_temperature_uncertainty=u_t)
    rng = np.random.default_rng(4)
    n = 20000
    g_m = r.gain[None] + np.sqrt(r.covariance[:, 0, 0])[None] * rng.standard_normal((n, 1))
    t_m = r.noise_temperature[None] + r.covariance[:, 1, 0] / r.covariance[:, 0, 0] * (
        g_m - r.gain[None]) + np.sqrt(r.covariance[:, 1, 1] - r.covariance[:, 1, 0] ** 2
                                      / r.covariance[:, 0, 0]) * rng.standard_normal((n, 1))
    loss = db_to_linear(loss_db + u_l * rng.standard_normal((n, 1)))
    g, t = deembed_input_loss(g_m, t_m, FREQ, loss, t_loss + u_t * rng.standard_normal((n, 1)))
    np.testing.assert_allclose(d.gain_uncertainty, g.std(axis=0), rtol=0.04)
    np.testing.assert_allclose(d.noise_temperature_uncertainty, t.std(axis=0), rtol=0.04)
    assert d.ok.all() and d.noise_temperature_uncertainty.shape == FREQ.shape


def test_friis_and_its_inverse():
    temps, gains = [0.3, 3.0, 300.0], [100.0, 1e4, 10.0]
    t_sys = friis(temps, gains)
    assert t_sys == pytest.approx(0.3 + 3.0 / 100 + 300.0 / 1e6)
    assert friis(temps, gains[:2]) == t_sys
    later = friis(temps[1:], gains[1:])
    t1, u1 = friis_first_stage(t_sys, gains[0], later)
    assert t1 == pytest.approx(0.3, rel=1e-14) and u1 == 0.0
    t1, u1 = friis_first_stage(t_sys, 100.0, later, system_uncertainty=0.01,
                               first_gain_uncertainty=5.0, later_uncertainty=0.2)
    assert u1 == pytest.approx(np.sqrt(0.01**2 + (later / 100**2 * 5) ** 2 + (0.2 / 100) ** 2))
    per_f = friis([np.array([0.2, 0.3]), 2.0], [np.array([100.0, 50.0])])
    np.testing.assert_allclose(per_f, [0.22, 0.34])
    with pytest.raises(FitError):
        friis([1.0, 2.0], [])


def test_input_line_and_diode_source():
    f = 7e9
    n_line = noise_quanta(line_noise_temperature(callen_welton_temperature(f, 290.0),
                                                 [20, 10, 10, 20], [4.0, 0.8, 0.1, 0.02], f), f)
    assert n_line - 0.5 == pytest.approx(4e-3, rel=0.05)  # PHYSICS.md example
    enr = np.array([15.0, 14.5])
    assert np.allclose(diode_hot_temperature(enr, [], [], f), 290 * 10 ** (enr / 10) + 290)
    hot = diode_hot_temperature(15.0, [30.0], [0.02], f)
    expected = (290 * 10**1.5 + 290) / 1e3 + (1 - 1e-3) * callen_welton_temperature(f, 0.02)
    assert hot == pytest.approx(expected, rel=1e-12)
    cold = diode_cold_temperature([30.0], [0.02], f)
    assert cold == pytest.approx(0.290 + 0.999 * callen_welton_temperature(f, 0.02), rel=1e-4)
    with pytest.raises(FitError):
        line_noise_temperature(1.0, [10.0], [], f)
