"""The command line's contract: version, help, one-line errors, --debug tracebacks."""

from __future__ import annotations

import json

import pytest

from cryochar import __version__
from cryochar.cli import main
from tests.conftest import cli_in_process as run


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"cryochar {__version__}"


def test_help_lists_the_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("run", "runs", "show", "sim", "drivers", "station", "demo"):
        assert command in out


def test_errors_are_one_line_and_tracebacks_need_debug(capsys):
    code, out, err = run(capsys, "show", "no-such-run")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no such run" in err and "fix:" in err
    with pytest.raises(Exception, match="no such run"):
        main(["--debug", "show", "no-such-run"])


def test_drivers_json(capsys):
    code, out, _ = run(capsys, "drivers", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 0
    assert rows["keysight_pna"]["protocol"] == "VNA"
    assert rows["lakeshore372"]["protocol"] == "TemperatureController"


def test_runs_on_an_empty_catalog(capsys):
    code, out, _ = run(capsys, "runs", "--json")
    assert code == 0 and json.loads(out) == []
