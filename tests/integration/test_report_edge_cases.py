"""A run's report on awkward inputs: catalog results that differ from the file's, a
content builder that cannot read the run, a recipe with non-ASCII text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import h5py
import pytest
import yaml

from cryochar import api
from cryochar.reports import report_content
from cryochar.reports.report import build_report, write_report
from cryochar.storage.runfile import read_attrs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("edge-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        run = api.run("coherence_monitor", overrides={"repetitions": 4})
    assert run.summary["status"] == "completed"
    return Path(run.summary["file"])


def _copy(run_file: Path, folder: Path) -> Path:
    copy = folder / run_file.name
    copy.write_bytes(run_file.read_bytes())
    return copy


def test_numbers_come_from_the_hashed_file_not_the_catalog(run_file):
    stored = read_attrs(run_file)["results"]
    row = {"status": "completed", "results": {**stored, "t1_median": 1.0}}
    median = next(q for q in build_report(run_file, row).content.quantities
                  if q.name.startswith("T1, median"))
    assert median.value == pytest.approx(stored["t1_median"] * 1e6)


def test_a_builder_failure_still_gives_the_report(run_file, tmp_path, monkeypatch):
    def broken(*_args: object) -> None:
        raise KeyError("t1_counts")

    monkeypatch.setitem(report_content.BUILDERS, "coherence_monitor", broken)
    page = write_report(run_file, tmp_path)[0].read_text(encoding="utf-8")
    assert "results could not be laid out: KeyError" in page
    assert read_attrs(run_file)["run_id"] in page


def test_the_recipe_keeps_non_ascii_text(run_file, tmp_path):
    copy = _copy(run_file, tmp_path)
    recipe = yaml.safe_load(read_attrs(copy)["recipe"])
    recipe["dut"] = "Qubit β–µ <b>"
    with h5py.File(copy, "r+") as handle:
        handle.attrs["recipe"] = yaml.safe_dump(recipe, sort_keys=False)  # as runs store it
    page = write_report(copy, tmp_path / "out")[0].read_text(encoding="utf-8")
    block = html.unescape(re.search(r"Recipe as run</summary>\s*<pre>(.*?)</pre>", page,
                                    re.S).group(1))
    assert "dut: Qubit β–µ <b>" in block and "\\u03B2" not in block
