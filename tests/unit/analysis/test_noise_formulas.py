"""Callen-Welton temperature, its derivative, quanta and the SNTJ noise temperature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import e, h, k

from cryochar.analysis.noise import (
    SNTJ_SLOPE,
    callen_welton_derivative,
    callen_welton_temperature,
    db_to_linear,
    linear_to_db,
    noise_quanta,
    quanta_temperature,
    sntj_noise_temperature,
)
from cryochar.analysis.noise.formulas import sntj_temperature_derivative
from cryochar.core.errors import FitError

F = 6e9
HALF = h * F / (2 * k)  # 0.144 K


def reference_cw(f, t):
    """T_CW from coth at moderate x (no limits involved)."""
    x = h * f / (2 * k * t)
    return h * f / (2 * k) / np.tanh(x)


def central_difference(fun, x, dx):
    return (fun(x + dx) - fun(x - dx)) / (2 * dx)


def test_zero_temperature_is_exactly_half_a_quantum():
    assert callen_welton_temperature(F, 0.0) == HALF
    assert pytest.approx(0.1440, abs=1e-4) == HALF
    assert callen_welton_temperature(F, 1e-6) == HALF  # x = 7e4: no overflow, no nan


def test_classical_limits():
    assert callen_welton_temperature(0.0, 4.2) == 4.2
    assert callen_welton_temperature(0.0, 0.0) == 0.0
    t = np.array([10.0, 300.0, 1e6])
    x = HALF / t
    expected = t + HALF**2 / (3 * t) - t * x**4 / 45  # T + (h f)^2 / (12 k^2 T) - ...
    np.testing.assert_allclose(callen_welton_temperature(F, t), expected, rtol=1e-13)
    # Rayleigh-Jeans kT is wrong by about h f / 2k at low temperature
    assert callen_welton_temperature(F, 0.02) - 0.02 == pytest.approx(HALF - 0.02, rel=1e-3)


def test_matches_coth_and_is_smooth_across_branches():
    t = np.geomspace(1e-3, 1e3, 2001)
    x_mid = (t > 1e-2) & (t < 100)
    np.testing.assert_allclose(callen_welton_temperature(F, t[x_mid]), reference_cw(F, t[x_mid]),
                               rtol=1e-13)
    # across x = 1 (branch switch) and x = 1e-3 (series switch)
    for t_switch in (HALF, HALF / 1e-3):
        tt = t_switch * np.array([1 - 1e-9, 1.0, 1 + 1e-9])
        vals = callen_welton_temperature(F, tt)
        assert np.all(np.diff(vals) >= 0)
        np.testing.assert_allclose(vals, vals[1], rtol=1e-8)
    assert np.all(np.diff(callen_welton_temperature(F, t)) >= 0)  # flat at h f / 2k below


def test_broadcasts_and_negative_frequency():
    f = np.array([4e9, 6e9, 8e9])
    t = np.array([[0.0], [0.05], [1.0]])
    out = callen_welton_temperature(f, t)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out[0], h * f / (2 * k))
    assert callen_welton_temperature(-F, 0.1) == callen_welton_temperature(F, 0.1)
    assert isinstance(callen_welton_temperature(F, 0.1), float)
    with pytest.raises(FitError):
        callen_welton_temperature(F, -0.01)


def test_derivative_matches_finite_differences_and_limits():
    t = np.geomspace(0.02, 100.0, 60)
    dt = 1e-6 * t
    numeric = central_difference(lambda tt: callen_welton_temperature(F, tt), t, dt)
    np.testing.assert_allclose(callen_welton_derivative(F, t), numeric, rtol=1e-6, atol=1e-8)
    t = np.geomspace(1e-3, 1e3, 200)
    x = HALF / t
    np.testing.assert_allclose(callen_welton_derivative(F, t), (x / np.sinh(x)) ** 2, rtol=1e-12)
    assert callen_welton_derivative(F, 0.0) == 0.0
    assert callen_welton_derivative(F, 1e-6) == 0.0
    assert callen_welton_derivative(0.0, 0.0) == 1.0
    assert callen_welton_derivative(F, 1e6) == pytest.approx(1.0, abs=1e-12)


def test_quanta_and_bose_einstein():
    t = np.array([0.0, 0.02, 0.1, 1.0])
    with np.errstate(divide="ignore", over="ignore"):
        n_be = 1.0 / np.expm1(h * F / (k * t))
    np.testing.assert_allclose(noise_quanta(callen_welton_temperature(F, t), F), n_be + 0.5,
                               rtol=1e-12)
    assert noise_quanta(HALF, F) == pytest.approx(0.5, rel=1e-15)
    assert quanta_temperature(noise_quanta(1.7, F), F) == pytest.approx(1.7, rel=1e-15)


def test_db_helpers():
    assert db_to_linear(20.0) == pytest.approx(100.0)
    assert linear_to_db(1000.0) == pytest.approx(30.0)
    assert np.isnan(linear_to_db(-1.0))


def test_sntj_zero_bias_large_bias_and_symmetry():
    t = 0.05
    assert sntj_noise_temperature(0.0, F, t) == pytest.approx(callen_welton_temperature(F, t),
                                                              rel=1e-14)
    assert pytest.approx(5.80, abs=0.005) == SNTJ_SLOPE * 1e-3  # K/mV
    v = np.array([1e-3, 2e-3])
    s = sntj_noise_temperature(v, F, t)
    assert (s[1] - s[0]) / 1e-3 == pytest.approx(e / (2 * k), rel=1e-9)
    assert s[0] == pytest.approx(e * 1e-3 / (2 * k), rel=1e-9)  # eV/2k + 0 at large bias
    vv = np.linspace(-200e-6, 200e-6, 41)
    np.testing.assert_allclose(sntj_noise_temperature(vv, F, t), sntj_noise_temperature(-vv, F, t),
                               rtol=1e-14)
    # at eV = hf exactly, one term is 0 * coth(0): the limit T/2 is taken
    v_knee = h * F / e
    expected = 0.5 * (callen_welton_temperature(2 * F, t) + t)
    assert sntj_noise_temperature(v_knee, F, t) == pytest.approx(expected, rel=1e-14)


def test_sntj_temperature_derivative():
    v = np.linspace(-100e-6, 100e-6, 21)
    t, dt = 0.08, 1e-7
    numeric = central_difference(lambda tt: sntj_noise_temperature(v, F, tt), t, dt)
    np.testing.assert_allclose(sntj_temperature_derivative(v, F, t), numeric, rtol=1e-6,
                               atol=1e-12)
