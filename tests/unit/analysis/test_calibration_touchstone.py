"""Touchstone export of a calibrated DUT and of the error terms (cryochar.reports.touchstone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skrf

from cryochar.analysis.calibration import UnknownThru, error_term_networks
from cryochar.reports.touchstone import write_calibrated_dut, write_error_terms
from tests.unit.analysis.calibration_synth import make_problem


@pytest.fixture
def cal_and_problem():
    p = make_problem(n=21, seed=31)
    cal = UnknownThru(measured=p.networks(p.raw), ideals=p.networks(p.ideals),
                      switch_terms=p.switch_networks)
    return cal, p


def test_calibrated_dut_round_trips(tmp_path: Path, cal_and_problem) -> None:
    cal, p = cal_and_problem
    dut = cal.apply_cal(skrf.Network(frequency=p.frequency, s=p.raw_dut))
    path = write_calibrated_dut(tmp_path / "out" / "attenuator.s2p", dut)
    assert path == tmp_path / "out" / "attenuator.s2p" and path.exists()
    back = skrf.Network(str(path))
    np.testing.assert_allclose(back.f, p.f)
    np.testing.assert_allclose(back.s, p.dut, atol=1e-12)
    from_array = write_calibrated_dut(tmp_path / "arr", p.dut, p.f)
    assert from_array.suffix == ".s2p"
    with pytest.raises(ValueError, match="frequency"):
        write_calibrated_dut(tmp_path / "x", p.dut)


def test_error_terms_round_trip(tmp_path: Path, cal_and_problem) -> None:
    cal, p = cal_and_problem
    paths = write_error_terms(tmp_path / "terms", cal)
    expected = set(error_term_networks(cal.coefs, cal.frequency))
    assert set(paths) == expected
    assert {"forward load match", "reverse transmission tracking",
            "forward error box"} <= expected
    back = skrf.Network(str(paths["forward directivity"]))
    np.testing.assert_allclose(back.s[:, 0, 0], cal.coefs["forward directivity"], atol=1e-13)
    box = skrf.Network(str(paths["reverse error box"]))
    assert box.nports == 2
    np.testing.assert_allclose(box.s[:, 1, 0], cal.coefs["reverse reflection tracking"],
                               atol=1e-13)
    with pytest.raises(ValueError, match="frequency"):
        write_error_terms(tmp_path, cal.coefs)
    again = write_error_terms(tmp_path / "dict", cal.coefs, p.f, prefix="cal")
    assert again["k"].name == "cal_k.s1p"
