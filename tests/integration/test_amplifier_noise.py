"""amplifier_noise end to end: hidden amplifier settings recovered from each noise source."""

from __future__ import annotations

import numpy as np
import pytest

from cryochar import api
from cryochar.sim import Twin, load_testbed


def truth_for(overrides: dict, frequency: np.ndarray) -> dict:
    return Twin(load_testbed(overrides=overrides).model).amplifier_truth(frequency)


def check_hemt(run: api.Run, overrides: dict) -> None:
    r = run.results
    f = np.array(r["frequency"])
    truth = truth_for(overrides, f)
    gain, t_n = np.array(r["gain_db"]), np.array(r["noise_temperature"])
    np.testing.assert_allclose(gain, truth["gain_db"], atol=0.1)
    np.testing.assert_allclose(t_n, truth["noise_temperature"], rtol=0.05)
    inside_t = np.abs(t_n - truth["noise_temperature"]) <= np.array(
        r["noise_temperature_uncertainty"])
    inside_g = np.abs(gain - truth["gain_db"]) <= np.array(r["gain_db_uncertainty"])
    assert inside_t.mean() >= 0.9 and inside_g.mean() >= 0.9
    assert r["coverage_factor"] == 2


@pytest.mark.parametrize(("gain_db", "noise_temperature"), [(35.0, 3.5), (42.0, 1.5)])
def test_hemt_like_amplifier_with_the_vt_load(gain_db, noise_temperature):
    overrides = {"twin.amplifier.gain_db": gain_db,
                 "twin.amplifier.noise_temperature": noise_temperature}
    run = api.run("amplifier_noise", overrides=overrides)
    assert run.summary["status"] == "completed"
    check_hemt(run, overrides)


@pytest.mark.parametrize("kind", ["sntj", "diode"])
def test_other_noise_sources_agree(kind: str):
    overrides = {"twin.noise_source.kind": kind, "twin.amplifier.gain_db": 38.0,
                 "twin.amplifier.noise_temperature": 2.5}
    grid = [float(f) for f in np.linspace(4e9, 8e9, 21)]  # enough points for a 90 % rate
    run = api.run(f"sequences/amplifier_noise_{kind}.yaml",
                  overrides={**overrides, "frequencies": grid})
    check_hemt(run, overrides)
    if kind == "sntj":
        assert len(run.results["junction_temperature"]) == len(run.results["frequency"])


def test_twpa_like_added_noise_within_a_tenth_of_a_photon():
    # a TWPA measured well below compression (P1dB above the band's noise power) with
    # cold source steps; near P1dB the gain differs between hot and cold and any
    # Y-factor is biased, as on hardware
    overrides = {"twin.amplifier.kind": "twpa", "twin.amplifier.gain_db": 20.0,
                 "twin.amplifier.noise_temperature": 0.18, "twin.amplifier.p1db_dbm": -90.0}
    run = api.run("amplifier_noise", overrides={
        **overrides, "repeats": 8,
        "source": {"kind": "vt_load", "temperatures": [0.03, 0.1, 0.2, 0.3, 0.4]}})
    r = run.results
    f = np.array(r["frequency"])
    truth = truth_for(overrides, f)
    n_added = np.array(r["n_added"])
    np.testing.assert_allclose(n_added, truth["n_added"], atol=0.1)
    assert (n_added >= 0.4).all()  # near, not below, the quantum limit of 1/2
    np.testing.assert_allclose(r["gain_db"], truth["compressed_gain_db"], atol=0.1)
