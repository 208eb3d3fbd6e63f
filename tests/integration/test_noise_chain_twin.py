"""The amplifier-noise chain end to end: cryochar's drivers against the twin's wire
protocols, a simple Y-factor computed here (independent of cryochar.analysis), the
result checked against the twin's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from scipy.constants import e, h, k

from cryochar.core.config import load_station
from cryochar.drivers import check_station, connect
from cryochar.sim import Twin, load_testbed

pytestmark = pytest.mark.integration

FREQUENCIES = (5e9, 6e9, 7e9)
BANDWIDTH = 10e6  # Hz, integration bandwidth of the channel power
RBW = 1e6


def t_cw(frequency, temperature):
    """Callen-Welton temperature (h f / 2k) coth(h f / 2 k T), K."""
    half = h * np.asarray(frequency) / (2 * k)
    return half / np.tanh(half / np.asarray(temperature))


def y_factor(p_hot, p_cold, t_hot, t_cold):
    """Gain (linear) and noise temperature (K) from hot and cold powers over BANDWIDTH."""
    y = p_hot / p_cold
    return (p_hot - p_cold) / (k * BANDWIDTH * (t_hot - t_cold)), (t_hot - y * t_cold) / (y - 1)


@contextmanager
def bench(names: list[str], **overrides) -> Iterator[tuple[Twin, dict]]:
    """The twin with ``overrides`` and the named instruments of instruments/sim.yaml."""
    station = load_station("instruments/sim.yaml").model
    options = check_station(station, "instruments/sim.yaml")
    with Twin(load_testbed(overrides=overrides).model) as twin, \
            connect(station, options, twin.addresses, names=names) as opened:
        yield twin, opened


def de_embed(twin: Twin, f: np.ndarray, gain: np.ndarray, t_sys: np.ndarray):
    """DUT gain (dB) and noise temperature (K) from the system's, with the chain's truth."""
    c = twin.config.twin.amplifier_chain
    truth = twin.amplifier_truth(f)
    loss = 10 ** (truth["input_loss_db"] / 10)
    g_dut = gain * loss / 10 ** ((c.hemt_gain_db + c.room_gain_db) / 10)
    t_dut = ((t_sys - (loss - 1) * t_cw(f, truth["input_loss_temperature"])) / loss
             - c.hemt_noise_temperature / g_dut
             - c.room_noise_temperature / (g_dut * 10 ** (c.hemt_gain_db / 10)))
    return 10 * np.log10(g_dut), t_dut


def test_vt_load_y_factor_recovers_the_hemt_gain_and_noise_temperature():
    with bench(["spectrum_analyser", "vt_load"]) as (twin, instruments):
        analyser, load = instruments["spectrum_analyser"], instruments["vt_load"]
        f = np.array(FREQUENCIES)
        powers, temperatures = {}, {}
        for state, setpoint in (("cold", 0.05), ("hot", 3.0)):
            load.set_temperature(setpoint)
            twin.clock.sleep(10 * twin.config.twin.noise_source.vt_load.time_constant)
            temperatures[state] = load.temperature()
            assert temperatures[state] == pytest.approx(setpoint, rel=3e-3)
            powers[state] = np.array([analyser.noise_power(fc, BANDWIDTH, RBW, averages=100)
                                      for fc in FREQUENCIES])
        load.off()
        gain, t_sys = y_factor(powers["hot"], powers["cold"], t_cw(f, temperatures["hot"]),
                               t_cw(f, temperatures["cold"]))
        truth = twin.amplifier_truth(f)
        np.testing.assert_allclose(10 * np.log10(gain), truth["system_gain_db"], atol=0.1)
        np.testing.assert_allclose(t_sys, truth["system_noise_temperature"], rtol=0.05)
        gain_db, t_dut = de_embed(twin, f, gain, t_sys)
        np.testing.assert_allclose(gain_db, truth["gain_db"], atol=0.1)  # 40 dB
        np.testing.assert_allclose(t_dut, truth["noise_temperature"], rtol=0.05)  # 2 K
        assert twin.noise_chain.vt_load.heater_power == 0.0  # left in the safe state


def test_sntj_bias_sweep_calibrates_the_gain_absolutely():
    with bench(["spectrum_analyser", "sntj"], **{"twin.noise_source.kind": "sntj"}) as (
            twin, instruments):
        analyser, sntj = instruments["spectrum_analyser"], instruments["sntj"]
        biases = np.array([1.5e-3, 2e-3, 2.5e-3, 3e-3])
        powers = []
        for bias in biases:
            sntj.set_bias(-bias if bias == 2e-3 else bias)  # the noise is even in V
            assert abs(sntj.bias()) == pytest.approx(bias)
            assert sntj.current() == pytest.approx(sntj.bias() / sntj.resistance, rel=1e-3)
            powers.append(analyser.noise_power(6e9, BANDWIDTH, RBW, averages=2000))
        sntj.off()
        assert twin.noise_chain.sntj.voltage == 0.0
        # large bias: P = G k B (e V / 2k + T_sys): the slope gives G, the intercept T_sys
        slope, intercept = np.polyfit(biases, powers, 1)
        gain = slope / (k * BANDWIDTH * e / (2 * k))
        truth = twin.amplifier_truth(np.array([6e9]))
        assert 10 * np.log10(gain) == pytest.approx(truth["system_gain_db"][0], abs=0.1)
        t_sys = intercept / (gain * k * BANDWIDTH)
        assert t_sys == pytest.approx(truth["system_noise_temperature"][0], rel=0.05)


def test_diode_y_factor_through_the_analysers_28_v_drive():
    names = ["spectrum_analyser", "noise_diode"]  # the diode shares the analyser's address
    with bench(names, **{"twin.noise_source.kind": "diode"}) as (twin, instruments):
        analyser, diode = instruments["spectrum_analyser"], instruments["noise_diode"]
        f = np.array(FREQUENCIES)
        powers = {}
        for state in (True, False):
            diode.set_on(state)
            powers[state] = np.array([analyser.noise_power(fc, BANDWIDTH, RBW, averages=400)
                                      for fc in FREQUENCIES])
        # the diode's temperatures, referred down the input line to the DUT's source plane
        stages = twin.stage_temperatures()
        line = twin.config.twin.noise_source.diode.attenuators
        hot, cold = diode.hot_temperature(f), np.full(f.shape, diode.cold_temperature())
        for stage in ("pt1", "pt2", "still", "cold_plate", "mxc"):  # warm to cold
            if stage in line:
                a = 10 ** (line[stage] / 10)
                hot = hot / a + (1 - 1 / a) * t_cw(f, stages[stage])
                cold = cold / a + (1 - 1 / a) * t_cw(f, stages[stage])
        gain, t_sys = y_factor(powers[True], powers[False], hot, cold)
        truth = twin.amplifier_truth(f)
        np.testing.assert_allclose(10 * np.log10(gain), truth["system_gain_db"], atol=0.1)
        np.testing.assert_allclose(t_sys, truth["system_noise_temperature"], rtol=0.05)
        assert not twin.noise_chain.diode.on


def test_every_noise_bench_entry_of_the_station_connects():
    with bench(["spectrum_analyser", "smu", "vt_load"]) as (_twin, instruments):
        assert instruments["spectrum_analyser"].IDN()["model"] == "N9030B"
        assert instruments["smu"].IDN()["model"] == "2450"
        assert instruments["vt_load"].IDN()["model"] == "336"
    with bench(["sntj", "noise_diode"]) as (_twin, instruments):
        assert instruments["sntj"].kind == "sntj"
        assert instruments["noise_diode"].hot_temperature(np.array([6e9]))[0] > 9000
