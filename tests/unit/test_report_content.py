"""Report content builders, headlines and the CLI's one-line errors on edge cases:
verification failures, missing drift check or MXC reading, the attenuator's weights,
unwritable report folders and usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import xarray as xr

from cryochar.core.errors import ConfigError
from cryochar.core.paths import reports_dir
from cryochar.reports.headline import headline
from cryochar.reports.report_content import sequence_content
from tests.conftest import cli_in_process as run


def two_port_results(**changes: object) -> dict[str, object]:
    results = {
        "frequency": [4.0e9, 4.1e9], "dut_s21_db": [-20.0, -20.1],
        "dut_s21_db_uncertainty": [0.08, 0.08], "dut_s11_db": [-35.0, -34.0],
        "verification_s21_db": [-3.8, -3.9], "verification_reference_db": [-3.9, -3.9],
        "verification_s21_db_uncertainty": [0.08, 0.08], "dut_s21_db_median": -20.05,
        "median_uncertainty_db": 0.08, "max_uncertainty_db": 0.08, "coverage_factor": 2.0,
        "verification_pass": False, "verification_pass_fraction": 0.5,
        "verification_failures": [[4.02e9, 4.1e9]], "calibration_stale": False,
        "drift_p_value": 0.3, "drift_points_exceeding": 0,
        "calibration_mxc_temperature": 0.0101, "mxc_stable": True,
    }
    return {**results, **changes}


def test_verification_failures_are_bands_in_ghz():
    content = sequence_content("two_port_calibration", xr.Dataset(), two_port_results(), {})
    check = next(f for f in content.fits if f.name.startswith("verification"))
    assert not check.ok and "1 band" in check.detail and "frequencies" not in check.detail
    assert content.remarks == ("Verification fails (outside U) at 4.02-4.1 GHz.",)


def test_a_calibration_without_drift_check_is_not_called_valid():
    results = two_port_results(calibration_stale=None, drift_p_value=None)
    del results["calibration_mxc_temperature"]
    content = sequence_content("two_port_calibration", xr.Dataset(), results, {})
    quantities = {q.name: q for q in content.quantities}
    assert quantities["Calibration"].value_text == "not checked"
    assert not any("drift" in f.name for f in content.fits)
    assert quantities["MXC temperature at calibration"].value_text == "-"  # not "0"


def test_attenuator_weights_say_where_they_come_from():
    parameters = {"device": {"input_coupling": 0.9, "attenuator_db": 20.0}}
    content = sequence_content("attenuator_thermalisation", xr.Dataset(),
                               {"attenuator_weight": 0.968}, parameters)
    quantities = {q.name: q for q in content.quantities}
    fitted = quantities["Thermal weight w of the MXC-temperature baths"]
    assert fitted.value == pytest.approx(0.968) and "fitted" in fitted.note
    share = quantities["Attenuator's share of w, eta (1 - 1/A)"]
    assert share.value == pytest.approx(0.9 * (1 - 10 ** -2.0))


def test_headlines_quote_expanded_uncertainties_with_k():
    line = headline("attenuator_thermalisation",
                    {"sigma_v": 1.0e-4, "sigma_v_uncertainty": 2.0e-6, "n_leak": 5e-4})
    assert "+/- 4e-06 W/K^5 (k=2)" in line
    results = two_port_results(dut_s21_db=[-20.0, -20.5], dut_s21_db_median=-20.123,
                               dut_s21_db_uncertainty=[0.1, 0.2], median_uncertainty_db=0.075)
    line = headline("two_port_calibration", results)
    assert line.startswith("DUT S21 -20.123 dB +/- 0.075 dB (k=2)")


def test_an_unwritable_reports_folder_is_a_one_line_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot create the reports folder"):
        reports_dir(blocker / "reports")
    code, out, err = run(capsys, "report", "--index", "--out", str(blocker / "reports"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "internal error" not in err


@pytest.mark.parametrize("args", [("analyze",), ("analyze", "sequence=s21_sweep", "--workers",
                                                 "0"), ("report", "--no-such-option")])
def test_usage_errors_are_not_internal_errors(capsys, args):
    code, _out, err = run(capsys, *args)
    assert code == 2 and "internal error" not in err and "Error:" in err


def test_archive_page_status_filter_sees_interrupted_runs(cryochar_home):
    from cryochar import api
    from cryochar.storage import Catalog

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a run whose process is gone: stored 'running', shown 'interrupted'
    Catalog(cryochar_home / "catalog.sqlite").add(
        run_id="20260101-000000-dead", sequence="s21_sweep", started="2026-01-01T00:00:00",
        file="/x/dead.h5", points_planned=3, points_completed=1, pid=child.pid)
    page = api.report_index(status="interrupted").read_text(encoding="utf-8")
    assert "20260101-000000-dead" in page
    assert "20260101-000000-dead" not in api.report_index(status="running").read_text(
        encoding="utf-8")
