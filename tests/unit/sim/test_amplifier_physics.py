"""The amplifier-noise bench physics against its formulas (PHYSICS.md, Amplifier noise)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import e, h, k

from cryochar.analysis.noise import callen_welton_temperature
from cryochar.analysis.noise import sntj_noise_temperature as sntj_temperature
from cryochar.sim.clock import SimClock
from cryochar.sim.config import TwinConfig
from cryochar.sim.physics.amplifier import AmplifierChain, db_to_linear, radiometer_power
from cryochar.sim.physics.noise_sources import T0, attenuate, diode_hot_temperature
from cryochar.sim.physics.spectrum import (
    LOG_AVERAGE_BIAS,
    auto_sweep_time,
    channel_samples,
    detect,
)

STAGES = {"pt1": 45.0, "pt2": 3.5, "still": 0.8, "cold_plate": 0.08, "mxc": 0.012}
F = np.array([4.5e9, 6e9, 7.5e9])


def chain(**sections) -> tuple[AmplifierChain, SimClock]:
    """A bench from TwinConfig sections (dicts), fixed stage temperatures, stepped clock."""
    clock = SimClock()
    config = TwinConfig.model_validate(sections)
    return AmplifierChain(config, STAGES.__getitem__, clock, np.random.default_rng(1)), clock


def y_factor(p_hot, p_cold, t_hot, t_cold, bandwidth=1.0):
    """PHYSICS.md: T_n = (T_h - Y T_c)/(Y - 1), G = (P_h - P_c)/(k B (T_h - T_c))."""
    y = p_hot / p_cold
    return (p_hot - p_cold) / (k * bandwidth * (t_hot - t_cold)), (t_hot - y * t_cold) / (y - 1)


# -- Callen-Welton and sources ---------------------------------------------------------------
def test_callen_welton_limits():
    assert callen_welton_temperature(6e9, 0.0) == pytest.approx(h * 6e9 / (2 * k), rel=1e-15)
    assert callen_welton_temperature(0.0, 0.05) == pytest.approx(0.05, rel=1e-15)
    assert callen_welton_temperature(0.0, 0.0) == 0.0
    t = 300.0  # classical: T + (h f)^2 / (12 k^2 T)
    assert callen_welton_temperature(6e9, t) == pytest.approx(
        t + (h * 6e9) ** 2 / (12 * k**2 * t), rel=1e-12)
    assert callen_welton_temperature(6e9, 0.02) - 0.02 > 0.12  # Rayleigh-Jeans fails at mK
    assert callen_welton_temperature(-6e9, 0.02) == callen_welton_temperature(6e9, 0.02)


def test_sntj_zero_bias_is_thermal_and_large_bias_slope_is_e_over_2k():
    t = 0.02
    assert sntj_temperature(0.0, 6e9, t) == pytest.approx(callen_welton_temperature(6e9, t))
    slope = (sntj_temperature(2e-3, 6e9, t) - sntj_temperature(1e-3, 6e9, t)) / 1e-3
    assert slope == pytest.approx(e / (2 * k), rel=1e-9)
    assert e / (2 * k) * 1e-3 == pytest.approx(5.80, abs=0.01)  # 5.80 K/mV
    assert sntj_temperature(-1e-3, 6e9, t) == pytest.approx(sntj_temperature(1e-3, 6e9, t))
    # the knee: at large bias the line extrapolates to zero temperature at V = 0
    v = np.array([3e-3, 4e-3])
    line = np.polyfit(v, sntj_temperature(v, 6e9, t), 1)
    assert line[1] == pytest.approx(0.0, abs=1e-9)


def test_sntj_mismatch_mixes_in_the_line_noise():
    bench, _ = chain(noise_source={"kind": "sntj", "sntj": {"resistance": 100.0}})
    bench.sntj.voltage = 1e-3
    eta = 1 - (50.0 / 150.0) ** 2
    expected = (eta * sntj_temperature(1e-3, F, STAGES["mxc"])
                + (1 - eta) * callen_welton_temperature(F, STAGES["mxc"]))
    np.testing.assert_allclose(bench.source_temperature(F), expected, rtol=1e-14)


def test_diode_hot_temperature_from_the_enr_table_and_down_the_line():
    table = {1e9: 15.0, 5e9: 14.0}
    assert diode_hot_temperature(1e9, table) == pytest.approx(T0 * 10**1.5 + T0)
    assert diode_hot_temperature(3e9, table) == pytest.approx(T0 * 10**1.45 + T0)  # linear
    bench, _ = chain(noise_source={"kind": "diode", "diode": {
        "enr_db": table, "ambient_temperature": 296.0, "attenuators": {"mxc": 20, "pt2": 20}}})
    f = np.array([3e9])
    hot = attenuate(attenuate(diode_hot_temperature(f, table), f, 20, 3.5), f, 20, 0.012)
    cold = attenuate(attenuate(np.array([296.0]), f, 20, 3.5), f, 20, 0.012)
    assert bench.diode.line() == [(20.0, 3.5), (20.0, 0.012)]  # warm to cold
    np.testing.assert_allclose(bench.source_temperature(f), cold, rtol=1e-14)
    bench.diode.on = True
    np.testing.assert_allclose(bench.source_temperature(f), hot, rtol=1e-14)
    assert hot[0] == pytest.approx(T0 * (10**1.45 + 1) / 1e4 + 0.99e-2 * 3.5 * 0.99 + 0.99 * (
        callen_welton_temperature(3e9, 0.012)), rel=1e-3)


def test_vt_load_relaxes_on_the_clock_toward_its_steady_state():
    bench, clock = chain()
    load = bench.vt_load
    g = load.config.link_conductance
    power = load.power_for(2.0)
    assert power == pytest.approx(0.5 * g * (4.0 - STAGES["mxc"] ** 2))
    assert load.steady_temperature(power) == pytest.approx(2.0)
    load.set_heater_power(power)
    clock.advance(load.config.time_constant)  # one time constant: 1 - 1/e of the way
    start = STAGES["mxc"]
    assert load.temperature() == pytest.approx(2.0 + (start - 2.0) / np.e, rel=1e-12)
    clock.advance(20 * load.config.time_constant)
    assert load.temperature() == pytest.approx(2.0, rel=1e-8)
    np.testing.assert_allclose(bench.source_temperature(F), callen_welton_temperature(F, 2.0),
                               rtol=1e-8)


# -- the chain -------------------------------------------------------------------------------
def test_y_factor_on_the_noiseless_psd_recovers_gain_and_noise_temperature_exactly():
    bench, clock = chain(amplifier={"gain_db": 37.0, "noise_temperature": 1.7},
                         amplifier_chain={"input_loss_db": 0.7, "hemt_gain_db": 35.0,
                                          "hemt_noise_temperature": 5.0})
    powers, temperatures = [], []
    for setpoint in (0.05, 3.0):  # cold and hot load; the true load temperature is used
        bench.vt_load.set_heater_power(bench.vt_load.power_for(setpoint))
        clock.advance(600)
        powers.append(bench.psd(F))
        temperatures.append(callen_welton_temperature(F, bench.vt_load.temperature()))
    gain, t_sys = y_factor(powers[1], powers[0], temperatures[1], temperatures[0])
    truth = bench.truth(F)
    np.testing.assert_allclose(10 * np.log10(gain), truth["system_gain_db"], rtol=1e-12)
    np.testing.assert_allclose(t_sys, truth["system_noise_temperature"], rtol=1e-10)
    # de-embed the input loss (Friis) and the stages after the DUT
    c = bench.config
    loss, t_loss = db_to_linear(0.7), callen_welton_temperature(F, STAGES["mxc"])
    g_dut = gain * loss / db_to_linear(c.hemt_gain_db + c.room_gain_db)
    t_dut = ((t_sys - (loss - 1) * t_loss) / loss - c.hemt_noise_temperature / g_dut
             - c.room_noise_temperature / (g_dut * db_to_linear(c.hemt_gain_db)))
    np.testing.assert_allclose(10 * np.log10(g_dut), 37.0, rtol=1e-12)
    np.testing.assert_allclose(t_dut, 1.7, rtol=1e-9)
    np.testing.assert_allclose(truth["n_added"], k * 1.7 / (h * F), rtol=1e-14)


def test_passive_loss_before_the_dut_adds_l_minus_1_t_cw():
    lossless, _ = chain(amplifier_chain={"input_loss_db": 0.0})
    lossy, _ = chain(amplifier_chain={"input_loss_db": 3.0})
    loss = db_to_linear(3.0)
    expected = ((loss - 1) * callen_welton_temperature(F, STAGES["mxc"])
                + loss * lossless.system_noise_temperature(F))
    np.testing.assert_allclose(lossy.system_noise_temperature(F), expected, rtol=1e-13)
    np.testing.assert_allclose(lossy.system_gain(F), lossless.system_gain(F) / loss, rtol=1e-13)


def test_twpa_ripple_is_peak_to_peak_with_its_period():
    bench, _ = chain(amplifier={"kind": "twpa", "gain_db": 20.0, "ripple_db": 1.5,
                                "ripple_period": 80e6, "p1db_dbm": 0.0})
    f = np.linspace(6e9, 6e9 + 80e6, 4001)
    gain = bench.amplifier.small_signal_gain_db(f)
    assert gain.max() - gain.min() == pytest.approx(1.5, rel=1e-5)
    assert gain.mean() == pytest.approx(20.0, abs=1e-3)
    np.testing.assert_allclose(bench.amplifier.small_signal_gain_db(f + 80e6), gain, atol=1e-9)
    twpa, _ = chain(amplifier={"kind": "twpa"})  # kind defaults: 1 dB ripple, -100 dBm P1dB
    assert twpa.amplifier.config.effective_ripple_db == 1.0
    assert twpa.amplifier.config.effective_p1db_dbm == -100.0
    hemt, _ = chain()
    assert np.ptp(hemt.dut_gain_db(f)) == 0.0 and hemt.compression() == 1.0


def test_twpa_compresses_by_1_db_when_the_input_noise_power_is_p1db():
    probe, _ = chain(amplifier={"kind": "twpa", "gain_db": 20.0, "noise_temperature": 0.3})
    band = probe.amplifier.band()
    density = probe.dut_input_temperature(band) + probe.amplifier.noise_temperature(band)
    p_in = k * np.trapezoid(density, band)  # ~ -102 dBm over 4-8 GHz
    p1db = 10 * np.log10(p_in / 1e-3)
    bench, clock = chain(amplifier={"kind": "twpa", "gain_db": 20.0, "noise_temperature": 0.3,
                                    "ripple_db": 0.0, "p1db_dbm": p1db})
    np.testing.assert_allclose(bench.dut_gain_db(F), 19.0, rtol=1e-12)
    bench.vt_load.set_heater_power(bench.vt_load.power_for(4.0))  # a hot load: more power
    clock.advance(1200)
    assert np.all(bench.dut_gain_db(F) < 18.0)
    assert np.all(bench.truth(F)["gain_db"] == 20.0)  # the small-signal truth is unchanged


# -- measurement statistics ------------------------------------------------------------------
@pytest.mark.parametrize("samples", [50.0, 1e4])
def test_radiometer_scatter_is_one_over_sqrt_b_tau(samples: float):
    rng = np.random.default_rng(7)
    draws = radiometer_power(np.full(40000, 2e-9), samples, rng)
    assert draws.mean() == pytest.approx(2e-9, rel=5 / np.sqrt(40000 * samples))
    assert draws.std() / draws.mean() == pytest.approx(1 / np.sqrt(samples), rel=0.02)
    again = radiometer_power(np.full(40000, 2e-9), samples, np.random.default_rng(7))
    np.testing.assert_array_equal(draws, again)  # seeded


def test_detectors_average_unbiased_log_low_peak_high():
    rng = np.random.default_rng(3)
    p = np.full(20000, 1e-9)
    assert detect(p, 100, 1, "AVER", "RMS", rng).mean() == pytest.approx(1e-9, rel=3e-3)
    log = detect(p, 100, 1, "AVER", "LOG", rng).mean()
    assert 10 * np.log10(log / 1e-9) == pytest.approx(-2.507, abs=0.02)
    assert 10 * np.log10(LOG_AVERAGE_BIAS) == pytest.approx(-2.507, abs=1e-3)
    harmonic = np.sum(1 / np.arange(1, 101))  # the largest of 100 exponentials
    assert detect(p, 100, 1, "POS", "RMS", rng).mean() == pytest.approx(harmonic * 1e-9,
                                                                       rel=0.02)
    assert detect(p, 100, 50, "NORM", "RMS", rng).mean() == pytest.approx(harmonic * 1e-9,
                                                                          rel=0.01)
    assert detect(p, 100, 1, "NEG", "RMS", rng).mean() == pytest.approx(1e-11, rel=0.03)
    sample = detect(p, 100, 4, "SAMP", "RMS", rng)
    assert sample.std() / sample.mean() == pytest.approx(0.5, rel=0.03)  # 4 traces


def test_swept_couplings():
    assert auto_sweep_time(10e6, 1e6, 1e6) == 1e-3  # the 1 ms floor
    assert auto_sweep_time(1e9, 1e5, 1e5) == pytest.approx(0.2)
    assert auto_sweep_time(1e9, 1e5, 1e4) == pytest.approx(2.0)  # a narrow VBW slows it
    # a swept analyser sees one RBW at a time: B_int x ENBW x T x M / span samples
    assert channel_samples(10e6, 10e6, 1e6, 0.01, 100, 1.0) == pytest.approx(1e6)
    assert channel_samples(2e6, 10e6, 1e6, 0.01, 1, 1.0) == pytest.approx(2e3)
