"""Shared fixtures: an isolated data home per test, the twin, and CLI helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cryochar.sim import Twin, load_testbed

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parent.parent
BAD = REPO / "tests" / "data" / "bad"


@pytest.fixture(autouse=True)
def cryochar_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CRYOCHAR_HOME (catalog + runs): no global state."""
    home = tmp_path / "cryochar-home"
    monkeypatch.setenv("CRYOCHAR_HOME", str(home))
    return home


@pytest.fixture
def twin() -> Iterator[Twin]:
    """The default simulated testbed, serving on free 127.0.0.1 ports."""
    with Twin(load_testbed().model) as running:
        yield running


def run_cli(*args: str, home: Path, timeout: float = 120, check: bool = False,
            ) -> subprocess.CompletedProcess[str]:
    """Run ``cryochar ARGS`` in a subprocess with ``CRYOCHAR_HOME=home``."""
    env = {**os.environ, "CRYOCHAR_HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "cryochar", *args], capture_output=True,
                            text=True, timeout=timeout, env=env, cwd=REPO, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"cryochar {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def run_each(factory: pytest.TempPathFactory, label: str,
             recipes: dict[str, dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """Run every recipe (name -> overrides) on the twin in a fresh CRYOCHAR_HOME of its own
    (for module-scoped fixtures); return the home and name -> :class:`cryochar.api.Run`."""
    from cryochar import api

    home = factory.mktemp(label)
    runs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRYOCHAR_HOME", str(home))
        for name, overrides in recipes.items():
            runs[name] = api.run(name, overrides=overrides)
            assert runs[name].summary["status"] == "completed", runs[name].summary
    return home, runs


def cli_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``cryochar ARGS`` in this process: (exit code, stdout, stderr)."""
    from cryochar.cli import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err
