"""Reports and the archive page rendered in headless Chromium (Debian's ``chromium``,
driven by Playwright without a browser download): visible content, every figure
loaded, no console errors, no request leaving the file, working filters; the PDF.

``make test`` installs Chromium where it is missing and can be installed
(tools/ensure-chromium); only where it cannot are these tests skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cryochar import api
from cryochar.reports.pdf import HEADLESS_FLAGS, find_chromium
from tests.conftest import run_each

pytestmark = pytest.mark.integration

CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip("Chromium is not installed and could not be installed here (needs root and "
                "apt-get: run tools/ensure-chromium, or set CRYOCHAR_CHROMIUM)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra: "
                               "pip install -e '.[test]'")

SEQUENCES = {
    "s21_sweep": {"points": 51, "powers_dbm": [-30, -20], "mxc_temperatures": None},
    "two_port_calibration": {"points": 41, "repeats": 2},
    "amplifier_noise": {},
    "attenuator_thermalisation": {},
    "coherence_monitor": {"repetitions": 20},
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A catalog with one run of every sequence, their reports (one with a PDF), the index."""
    home, runs = run_each(tmp_path_factory, "browser-home", SEQUENCES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        reports = {name: api.report(run.summary["run_id"],
                                    pdf=name == "two_port_calibration")
                   for name, run in runs.items()}
        return {"reports": reports, "index": api.report_index()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=list(HEADLESS_FLAGS[1:]))
        yield launched
        launched.close()


class Page:
    """A page opened from a file, recording console messages, page errors and requests."""

    def __init__(self, browser: Any, path: Path, query: str = ""):
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri() + query, wait_until="load")

    def assert_clean(self) -> None:
        problems = [m for m in self.console if m[0] in ("error", "warning")]
        assert not problems and not self.errors, (problems, self.errors)
        outside = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert not outside, outside


@pytest.mark.parametrize("sequence", list(SEQUENCES))
def test_report_renders_with_visible_content(browser, archive, sequence):
    report = archive["reports"][sequence][0]
    page = Page(browser, report)
    p = page.page
    assert p.locator("h1#title").is_visible() and p.locator("h1#title").inner_text()
    assert p.locator("#dut").inner_text().strip()
    assert p.locator("#results table tbody tr").count() >= 1 or sequence == "s21_sweep"
    assert p.locator("#fits").is_visible() and p.locator("#instruments tbody tr").count() >= 1
    images = p.locator("img")
    assert images.count() >= 2
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.is_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 100"), i
    sha = p.locator("#sha256").inner_text()
    assert len(sha) == 64 and int(sha, 16) >= 0
    page.assert_clean()
    p.close()


def test_index_filters_and_links(browser, archive):
    page = Page(browser, archive["index"])
    p = page.page
    rows = p.locator("#runs tbody tr")
    assert rows.count() == len(SEQUENCES)
    p.select_option("#filter-sequence", "coherence_monitor")
    visible = p.locator("#runs tbody tr:not([hidden])")
    assert visible.count() == 1 and "coherence_monitor" in visible.inner_text()
    assert p.locator("#shown").inner_text().startswith("1 of 5")
    p.select_option("#filter-sequence", "")
    p.fill("#filter-text", "verification passed")
    assert p.locator("#runs tbody tr:not([hidden])").count() == 1
    p.fill("#filter-text", "")
    p.select_option("#filter-status", "completed")
    assert p.locator("#runs tbody tr:not([hidden])").count() == len(SEQUENCES)
    page.assert_clean()
    p.locator("#runs tbody tr a", has_text="HTML").first.click()
    p.wait_for_load_state("load")
    assert p.locator("h1#title").is_visible()
    page.assert_clean()
    p.close()


def test_index_sorts_by_a_column(browser, archive):
    page = Page(browser, archive["index"])
    p = page.page
    sequences = p.locator("#runs tbody tr td:nth-child(3)")
    p.locator("#runs thead th", has_text="Sequence").click()
    assert sequences.all_inner_texts() == sorted(SEQUENCES, reverse=True)
    p.locator("#runs thead th", has_text="Sequence").click()
    assert sequences.all_inner_texts() == sorted(SEQUENCES)
    page.assert_clean()
    p.close()


def test_index_filter_from_the_address(browser, archive):
    page = Page(browser, archive["index"], "?sequence=amplifier_noise")
    assert page.page.locator("#runs tbody tr:not([hidden])").count() == 1
    page.assert_clean()
    page.page.close()


def test_pdf_is_printed(archive):
    html, pdf = archive["reports"]["two_port_calibration"]
    data = pdf.read_bytes()
    assert pdf.suffix == ".pdf" and data.startswith(b"%PDF-")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2  # several pages
    assert pdf.stat().st_size > 50_000  # the figures are in it
    assert html.with_suffix(".pdf") == pdf
