"""Run reports and the archive page end to end: each sequence on the twin -> one
self-contained HTML file with the client's facts, numbers that match the run, and
``cryochar report`` / ``cryochar demo``. Rendering in Chromium: test_report_browser.py."""

from __future__ import annotations

import hashlib
import html
import os
import re
from pathlib import Path

import h5py
import pytest

from cryochar import api
from cryochar.reports.index import write_index
from cryochar.reports.report import build_report, write_report
from cryochar.storage import Catalog
from cryochar.storage.runfile import read_attrs
from tests.conftest import run_cli, run_each

pytestmark = pytest.mark.integration

QUICK = {
    "s21_sweep": {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None},
    "two_port_calibration": {"points": 41, "repeats": 2},
    "amplifier_noise": {},
    "attenuator_thermalisation": {},
    "coherence_monitor": {"repetitions": 30},
}
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?!data:|#)([^"']+)["']|url\((?!data:)|"""
                      r"""@import|<link\b""", re.I)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """One quick run per sequence and its report: sequence -> (run file, report)."""
    home, runs = run_each(tmp_path_factory, "reports-home", QUICK)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        made = {name: (run.path, api.report(run.summary["run_id"])[0])
                for name, run in runs.items()}
        api.report_index()
    return made


def _text(page: str) -> str:
    """The visible text of an HTML page, roughly (tags removed, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("sequence", list(QUICK))
def test_report_is_self_contained_and_complete(reports, sequence):
    run_file, report = reports[sequence]
    page = report.read_text(encoding="utf-8")
    attrs = read_attrs(run_file)
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    assert page.count("<img") >= 2 and "data:image/png;base64," in page
    text = _text(page)
    for fact in (attrs["run_id"], attrs["dut"], attrs["client"], attrs["operator"],
                 attrs["versions"]["numpy"], attrs["git_commit"]):
        assert str(fact) in text, fact
    assert hashlib.sha256(run_file.read_bytes()).hexdigest() in text
    for name, idn in attrs["idn"].items():
        assert idn["model"] in text and idn["firmware"] in text and idn["serial"] in text, name
    rows = {row["name"]: row["roles"] for row in build_report(run_file).instruments}
    for role, name in attrs["roles"].items():  # every role the sequence used, as resolved
        assert role in rows[name].split(", "), (role, name)
    for section in ("Results", "Quality of the fits", "Conditions", "Method and standards",
                    "Instruments", "Data and software"):
        assert section in text, section
    assert "simulated testbed" in text  # a twin run never passes for hardware


def test_conditions_come_from_the_run(reports):
    run_file, _ = reports["s21_sweep"]
    data = build_report(run_file)
    with h5py.File(run_file, "r") as handle:
        stages = [s.decode() if isinstance(s, bytes) else s for s in handle["stage"][...]]
        readings = handle["stage_temperature"][...]
    rows = {row["name"]: row for row in data.conditions}
    mxc = readings[:, stages.index("mxc")]
    assert rows["mxc"]["max"] == pytest.approx(mxc.max())
    assert rows["mxc"]["readings"] == mxc.size


def test_expanded_uncertainties_match_the_results(reports):
    run_file, _ = reports["two_port_calibration"]
    results = read_attrs(run_file)["results"]
    headline = build_report(run_file).content.quantities[0]
    assert headline.k == results["coverage_factor"] == 2
    assert headline.expanded == pytest.approx(results["median_uncertainty_db"])
    decimals = len(headline.uncertainty_text.split(".")[1])
    assert headline.value_text == f"{results['dut_s21_db_median']:.{decimals}f}"

    run_file, _ = reports["coherence_monitor"]
    results = read_attrs(run_file)["results"]
    mean = next(q for q in build_report(run_file).content.quantities
                if q.name.startswith("T1, mean"))
    assert mean.expanded == pytest.approx(2e6 * results["t1_mean_stderr"]) and mean.k == 2


def test_every_fit_has_its_flags(reports):
    run_file, _ = reports["coherence_monitor"]
    fits = {f.name: f for f in build_report(run_file).content.fits}
    assert set(fits) == {"T1", "Ramsey (T2*)", "Hahn echo (T2)"}
    assert all(f"of {QUICK['coherence_monitor']['repetitions']} fits ok" in f.detail
               for f in fits.values())
    run_file, _ = reports["attenuator_thermalisation"]
    names = [f.name for f in build_report(run_file).content.fits]
    assert any("hot-electron" in n for n in names) and any("leakage" in n for n in names)


def test_a_partial_run_says_so(reports, tmp_path):
    run_file, _ = reports["coherence_monitor"]
    partial = tmp_path / run_file.name
    partial.write_bytes(run_file.read_bytes())
    with h5py.File(partial, "r+") as handle:
        handle["completed"][20:] = 0
        handle.attrs["status"] = "interrupted"
    page = write_report(partial, tmp_path / "out")[0].read_text(encoding="utf-8")
    assert "run status interrupted: the results cover the 20 completed points of 30" in page


@pytest.mark.parametrize("sequence", list(QUICK))
def test_a_run_that_measured_nothing_still_reports(reports, sequence, tmp_path):
    run_file, _ = reports[sequence]
    empty = tmp_path / run_file.name
    empty.write_bytes(run_file.read_bytes())
    with h5py.File(empty, "r+") as handle:
        handle["completed"][:] = 0
        handle.attrs.update(status="failed", results="{}", message="vna: timeout")
    text = _text(write_report(empty, tmp_path / "out")[0].read_text(encoding="utf-8"))
    assert "run status failed: the results cover the 0 completed points" in text
    assert "no completed points to plot" in text and "vna: timeout" in text


def test_index_lists_every_run_and_links_reports(reports, tmp_path):
    index = reports["s21_sweep"][1].parent / "index.html"
    page = index.read_text(encoding="utf-8")
    assert not re.search(r"<link\b|\bsrc\s*=|https?://|@import", page)  # links only
    for sequence, (_run_file, report) in reports.items():
        assert f'href="{report.name}"' in page and sequence in page
    assert "outdated" not in page
    run_file, report = reports["coherence_monitor"]
    later = report.stat().st_mtime + 10
    os.utime(run_file, (later, later))  # as after a re-analysis or a resume
    rows = Catalog(run_file.parent.parent / "catalog.sqlite").list(limit=100)
    page = write_index(rows, report.parent, "catalog").read_text(encoding="utf-8")
    assert page.count("outdated") == 1
    rows = [{"run_id": "x1", "sequence": "s21_sweep", "dut": "<b>DUT</b>", "status": "failed",
             "results": None, "message": "timeout"}]
    escaped = write_index(rows, tmp_path, "catalog").read_text(encoding="utf-8")
    assert "&lt;b&gt;DUT&lt;/b&gt;" in escaped and "<b>DUT</b>" not in escaped
    assert "cryochar report x1" in escaped  # no report yet: how to make one


def test_cli_report_and_index(tmp_path):
    home = tmp_path / "home"
    run_cli("run", "coherence_monitor", "--set", "repetitions=10", home=home, check=True)
    done = run_cli("report", "latest", "--index", home=home, check=True)
    written = [Path(line) for line in done.stdout.split()]
    assert [p.suffix for p in written] == [".html", ".html"] and all(p.is_file() for p in written)
    assert written[1].name == "index.html" and written[0].parent == home / "reports"
    run_id = Catalog(home / "catalog.sqlite").get("latest")["run_id"]
    assert written[0].name == f"{run_id}.html"
    filtered = run_cli("report", "--index", "--sequence", "s21_sweep", "--out",
                       str(tmp_path / "f"), home=home, check=True)
    assert run_id not in Path(filtered.stdout.strip()).read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (("report", "no-such-run"), "no such run"),
    (("report", "--sequence", "s21_sweep"), "add --index"),
])
def test_cli_report_bad_input(tmp_path, args, message):
    done = run_cli(*args, home=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr and done.stderr.count("\n") == 1


def test_pdf_without_a_browser_keeps_the_html(tmp_path, monkeypatch):
    home = tmp_path / "home"
    run_cli("run", "coherence_monitor", "--set", "repetitions=5", home=home, check=True)
    monkeypatch.setenv("CRYOCHAR_CHROMIUM", str(tmp_path / "no-such-browser"))
    done = run_cli("report", "latest", "--pdf", home=home)
    assert done.returncode == 2 and "no Chromium found" in done.stderr
    assert len(list((home / "reports").glob("*.html"))) == 1


@pytest.mark.slow
def test_demo_writes_reports_and_the_archive_page(tmp_path):
    home = tmp_path / "home"
    done = run_cli("demo", home=home, timeout=300, check=True)
    reports = sorted((home / "reports").glob("2*.html"))
    assert len(reports) == 5
    index = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{p.name}"' in index for p in reports)
    assert str(home / "reports" / "index.html") in done.stdout.replace("\n", "")
