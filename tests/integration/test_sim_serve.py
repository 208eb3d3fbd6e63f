"""`cryochar sim serve --json`: the twin for other processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pyvisa

from tests.conftest import REPO


def test_sim_serve_names_its_instruments_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "cryochar", "sim", "serve", "--json",
         "--set", "twin.vna.serial=SERVE1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ})
    try:
        addresses = json.loads(process.stdout.readline())
        assert {"vna", "lakeshore372"} <= set(addresses)
        rm = pyvisa.ResourceManager("@py")
        vna = rm.open_resource(addresses["vna"], read_termination="\n",
                               write_termination="\n", timeout=5000)
        assert "SERVE1" in vna.query("*IDN?")
        vna.close()
        rm.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_sim_serve_rejects_bad_overrides():
    result = subprocess.run([sys.executable, "-m", "cryochar", "sim", "serve", "--set",
                             "twin.nothing=1"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "unknown key 'nothing'" in result.stderr
