"""Gain-compression test of the noise fits: quadratic fit, false-alarm rate on linear
amplifiers, detection and gain drop on compressed ones (multi-temperature and SNTJ)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import h, k
from scipy.stats import norm

from cryochar.analysis.noise import (
    NOISE_FLAG_NAMES,
    NoiseFlag,
    callen_welton_temperature,
    fit_multi_temperature,
    fit_sntj,
    sntj_noise_temperature,
)
from cryochar.analysis.noise import flags as flags_module
from cryochar.analysis.noise.compression import distinct_count, fit_quadratic
from cryochar.analysis.noise.flags import COMPRESSION_ALPHA

B = 1e6  # Hz, measurement bandwidth
F0 = 6e9
TEMPS = np.array([0.02, 0.3, 0.8, 1.5, 3.0, 5.0])  # K, HEMT-like sweep
TWPA_TEMPS = np.array([0.03, 0.1, 0.2, 0.3, 0.4])  # K, cold steps for a TWPA
BIASES = np.array([0.0, 0.25e-3, 0.5e-3, 1e-3, 1.5e-3, 2e-3, 3e-3])  # V, SNTJ sweep
#: Total input noise temperature (K) that compresses the gain by 1 dB for a P1dB of
#: -100 dBm over a 4 GHz band (the twin's default TWPA): P_1dB / (k B_band).
X_1DB = 1e-3 * 10 ** (-100 / 10) / (k * 4e9)
X_SAT = X_1DB / (10**0.1 - 1)  # G = G0 / (1 + X / X_SAT)


def compressed(flag: np.ndarray) -> np.ndarray:
    return (np.asarray(flag) & int(NoiseFlag.COMPRESSION)) > 0


def powers(x_total: np.ndarray, gain: float, x_sat: float | None) -> np.ndarray:
    """Noiseless output power (W) at total input noise temperatures ``x_total`` (K)."""
    g = gain if x_sat is None else gain / (1 + x_total / x_sat)
    return g * k * B * x_total


def vt_sweeps(temps, tn, columns, btau, seed, x_sat=None, gain=1e4):
    """``columns`` independent sweeps at F0 with gamma radiometer noise; the total noise."""
    rng = np.random.default_rng(seed)
    x_total = callen_welton_temperature(F0, temps)[:, None] + tn + np.zeros(columns)
    p = powers(x_total, gain, x_sat)
    return rng.gamma(btau, p / btau), np.full(columns, F0), x_total


def true_compression_db(x_total: np.ndarray, x_sat: float) -> float:
    """Gain at the coldest over the hottest point of the saturation model, dB."""
    return float(10 * np.log10((1 + x_total.max() / x_sat) / (1 + x_total.min() / x_sat)))


def test_flag_is_named_and_documented():
    assert NoiseFlag.COMPRESSION.name.lower() == "compression" == NOISE_FLAG_NAMES[-1]
    assert "``compression``" in flags_module.__doc__


def test_quadratic_fit_is_exact_with_an_offset_abscissa():
    x = np.array([100.0, 100.5, 101.0, 102.0, 103.5])[:, None]  # large offset, small span
    y = 3.0 - 2.0 * (x - 101.0) - 0.7 * (x - 101.0) ** 2
    q = fit_quadratic(x, y, np.ones_like(x))
    p0, p1, c = q.coefficients[0]
    xm = q.centre[0]
    assert c == pytest.approx(-0.7, rel=1e-9)
    assert p1 == pytest.approx(-2.0 - 2 * 0.7 * (xm - 101.0), rel=1e-9)
    assert p0 == pytest.approx(3.0 - 2.0 * (xm - 101.0) - 0.7 * (xm - 101.0) ** 2, rel=1e-9)
    assert q.chi2[0] < 1e-20


def test_distinct_count_ignores_repeats_and_unused_points():
    x = np.array([[0.1, 0.1], [0.1, 0.2], [0.3, 0.3], [0.5, np.nan]])
    used = np.isfinite(x)
    assert distinct_count(x, used).tolist() == [3, 3]


@pytest.mark.parametrize("temps", [TEMPS, TEMPS[:4], TWPA_TEMPS], ids=["6", "4", "twpa"])
def test_linear_amplifier_false_alarm_rate(temps):
    flagged, z = [], []
    for seed in range(4):  # 4 x 5000 independent linear sweeps
        p, f, _ = vt_sweeps(temps, 2.0, 5000, btau=1e5, seed=seed)
        r = fit_multi_temperature(temps, p, f, B, integration_time=0.1)
        flagged.append(compressed(r.flags))
        z.append(r.curvature / r.curvature_uncertainty)
    rate, z = np.mean(flagged), np.concatenate(z)
    # expected 1e-3; binomial standard deviation over 20000 sweeps 2.2e-4
    assert rate <= COMPRESSION_ALPHA + 4 * np.sqrt(COMPRESSION_ALPHA / z.size)
    assert abs(np.mean(z)) < 0.05 and np.std(z) == pytest.approx(1.0, abs=0.03)
    assert np.mean(z < -norm.isf(0.05)) == pytest.approx(0.05, abs=0.006)  # calibrated tail


def test_linear_amplifier_with_equal_weights_uses_student_t():
    rng = np.random.default_rng(11)
    columns = 20000
    p = powers(callen_welton_temperature(F0, TEMPS)[:, None] + 2.0, 1e4, None) + np.zeros(columns)
    p = p + 1e-3 * p.mean() * rng.standard_normal(p.shape)  # equal, unknown noise
    r = fit_multi_temperature(TEMPS, p, np.full(columns, F0), B)
    assert not r.absolute_sigma
    assert np.mean(compressed(r.flags)) <= COMPRESSION_ALPHA + 4 * np.sqrt(1e-3 / columns)


def test_compressed_twpa_is_flagged_with_its_gain_drop():
    # the twin's default TWPA: P1dB -100 dBm over 4-8 GHz, T_n = 0.18 K, cold load steps
    p, f, x_total = vt_sweeps(TWPA_TEMPS, 0.18, 500, btau=4e6, seed=3, x_sat=X_SAT, gain=100.0)
    truth = true_compression_db(x_total, X_SAT)
    assert 0.1 < truth < 0.25  # a realistic, easily missed compression
    r = fit_multi_temperature(TWPA_TEMPS, p, f, B, integration_time=4.0)
    assert np.mean(compressed(r.flags)) > 0.99 and not r.ok.any()
    assert np.all(np.asarray(r.curvature) < 0)
    assert np.mean(r.compression_db) == pytest.approx(truth, rel=0.05)
    pulls = (r.compression_db - np.mean(r.compression_db)) / r.compression_db_uncertainty
    assert np.std(pulls) == pytest.approx(1.0, abs=0.1)  # the uncertainty is right
    assert np.mean(np.abs(r.compression_db - truth) <= 2 * r.compression_db_uncertainty) > 0.9
    # what the flag protects against: the added noise is biased upwards
    n_true = 0.18 * k / (h * F0)
    assert np.mean(r.n_added) - n_true > 0.05


def test_scalar_result_and_too_few_distinct_temperatures():
    p, _, x_total = vt_sweeps(TWPA_TEMPS, 0.18, 1, btau=1e9, seed=4, x_sat=X_SAT, gain=100.0)
    r = fit_multi_temperature(TWPA_TEMPS, p[:, 0], F0, B, integration_time=1e3)
    assert isinstance(r.compression_db, float) and "compression" in r.flag_names
    assert r.compression_db == pytest.approx(true_compression_db(x_total, X_SAT), rel=0.05)
    three = fit_multi_temperature(TWPA_TEMPS[[0, 2, 4]], p[[0, 2, 4], 0], F0, B,
                                  integration_time=1e3)
    repeated = np.array([0.03, 0.03, 0.2, 0.4, 0.4])  # five points, three temperatures
    p_rep, _, _ = vt_sweeps(repeated, 0.18, 1, btau=1e9, seed=5, x_sat=X_SAT, gain=100.0)
    dup = fit_multi_temperature(repeated, p_rep[:, 0], F0, B, integration_time=1e3)
    for res in (three, dup):
        assert np.isnan(res.compression_db) and np.isnan(res.curvature)
        assert "compression" not in res.flag_names


def sntj_sweeps(tn, columns, btau, seed, x_sat=None):
    rng = np.random.default_rng(seed)
    x_total = sntj_noise_temperature(BIASES[:, None], np.full(columns, F0), 0.03) + tn
    p = powers(x_total, 1e4, x_sat)
    return rng.gamma(btau, p / btau), np.full(columns, F0), x_total


def test_sntj_linear_false_alarm_and_compressed_detection():
    p, f, _ = sntj_sweeps(2.0, 4000, btau=1e5, seed=6)
    r = fit_sntj(BIASES, p, f, B, integration_time=0.1)
    assert np.mean(compressed(r.flags)) <= COMPRESSION_ALPHA + 4 * np.sqrt(1e-3 / 4000)
    assert np.isfinite(r.compression_db).all()
    # a HEMT-like amplifier saturating at 300 K of input noise: ~0.24 dB over 0-3 mV
    p, f, x_total = sntj_sweeps(2.0, 200, btau=1e5, seed=7, x_sat=300.0)
    r = fit_sntj(BIASES, p, f, B, integration_time=0.1)
    truth = true_compression_db(x_total, 300.0)
    assert np.mean(compressed(r.flags)) > 0.99
    assert np.mean(r.compression_db) == pytest.approx(truth, rel=0.1)
