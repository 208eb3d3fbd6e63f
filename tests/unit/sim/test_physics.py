"""Physics models of the twin against their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import skrf

from cryochar.sim.clock import SimClock
from cryochar.sim.config import AttenuatorConfig, FridgeConfig, LineConfig, VNAConfig
from cryochar.sim.physics.fridge import Fridge, mxc_power_for, mxc_steady_temperature
from cryochar.sim.physics.vna import VNAPhysics, attenuator_s, error_box_s


def test_mxc_steady_state_matches_cooling_power_formula():
    # PHYSICS.md: cooling ~ 84 ndot T^2; ndot = 500 umol/s gives ~17 uW at 20 mK
    assert pytest.approx(16.8e-6) == 84 * 500e-6 * 0.02**2
    t = mxc_steady_temperature(0.010, 100e-6, 500e-6)
    assert t == pytest.approx(math.sqrt(0.01**2 + 100e-6 / (84 * 500e-6)))
    assert mxc_steady_temperature(0.01, mxc_power_for(0.07, 0.01, 5e-4), 5e-4) == \
        pytest.approx(0.07)


def test_mxc_relaxes_with_one_time_constant():
    clock = SimClock("stepped")
    config = FridgeConfig(thermometer_noise=0.0)
    fridge = Fridge(config, clock, np.random.default_rng(0))
    target = 0.05
    fridge.set_heater_power(fridge.power_for(target))
    clock.advance(config.mxc_time_constant)
    expected = target + (config.base_temperature - target) * math.exp(-1)
    assert fridge.temperature("mxc") == pytest.approx(expected, rel=1e-9)
    clock.advance(20 * config.mxc_time_constant)
    assert fridge.temperature("mxc") == pytest.approx(target, rel=1e-6)
    assert fridge.read_thermometer("still") == config.still_temperature
    with pytest.raises(KeyError):
        fridge.temperature("attic")


def test_thermometer_noise_is_seeded_and_relative():
    clock = SimClock()
    a = Fridge(FridgeConfig(thermometer_noise=0.01), clock, np.random.default_rng(5))
    b = Fridge(FridgeConfig(thermometer_noise=0.01), clock, np.random.default_rng(5))
    ra = [a.read_thermometer("mxc") for _ in range(2000)]
    assert ra == [b.read_thermometer("mxc") for _ in range(2000)]
    assert np.std(ra) / 0.01 == pytest.approx(0.01, rel=0.1)


def test_error_boxes_and_embedding_match_scikit_rf_cascade():
    f = np.linspace(1e9, 10e9, 51)
    rng = np.random.default_rng(1)
    box = error_box_s(f, LineConfig(loss_db=6, mismatch_db=-20), rng)
    assert np.allclose(np.abs(box[:, 0, 1]), np.abs(box[:, 1, 0]))  # reciprocal
    assert np.median(20 * np.log10(np.abs(box[:, 1, 0]))) == pytest.approx(-6, abs=0.5)
    assert np.all(np.abs(box[:, 0, 0]) < 0.3)
    dut = attenuator_s(f, AttenuatorConfig(attenuation_db=20, match_db=-40))
    assert np.allclose(20 * np.log10(np.abs(dut[:, 1, 0])), -20)
    physics = VNAPhysics(VNAConfig(), AttenuatorConfig(attenuation_db=20), seed=3)
    embedded = physics.expected(f)
    # de-embedding with the same boxes must give the DUT back
    boxes = np.random.default_rng([3, 2])
    freq = skrf.Frequency.from_f(f, unit="Hz")
    b1 = skrf.Network(frequency=freq, s=error_box_s(f, VNAConfig().port1, boxes))
    b2 = skrf.Network(frequency=freq, s=error_box_s(f, VNAConfig().port2, boxes))
    measured = skrf.Network(frequency=freq, s=embedded)
    recovered = b1.inv ** measured ** b2.flipped().inv
    np.testing.assert_allclose(recovered.s, attenuator_s(f, AttenuatorConfig()), atol=1e-9)


def test_receiver_noise_scales_with_bandwidth_power_and_averages():
    physics = VNAPhysics(VNAConfig(receiver_noise_dbm=-100), AttenuatorConfig(), seed=0)
    f = np.linspace(4e9, 8e9, 4001)
    base = physics.noise_sigma(-20, 1e3, 1)
    assert base == pytest.approx(10 ** (-80 / 20) / math.sqrt(2))
    assert physics.noise_sigma(-20, 100e3, 1) == pytest.approx(10 * base)
    assert physics.noise_sigma(0, 1e3, 1) == pytest.approx(base / 10)
    assert physics.noise_sigma(-20, 1e3, 100) == pytest.approx(base / 10)
    trace = physics.measure(f, -20, 1e3, 1)["S21"] - physics.expected(f)[:, 1, 0]
    assert np.std(trace.real) == pytest.approx(base, rel=0.05)
