"""Instrument locks and the MXC temperature interlock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cryochar import api
from cryochar.core.locks import InstrumentBusy, instrument_lock
from cryochar.sim import Twin, load_testbed

REAL_STATION = """
name: lab
instruments:
  vna: {{driver: keysight_pna, address: '{vna}', timeout: 2}}
  fridge: {{driver: lakeshore372, address: '{fridge}', timeout: 2}}
"""


def _hold_lock_in_another_process(address: str) -> subprocess.Popen:
    code = ("import sys, time\nfrom cryochar.core.locks import instrument_lock\n"
            f"with instrument_lock({address!r}, 'vna'):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_an_instrument_in_use_refuses_a_second_run(tmp_path: Path):
    with Twin(load_testbed().model) as twin:
        station = tmp_path / "lab.yaml"
        station.write_text(REAL_STATION.format(vna=twin.addresses["vna"],
                                               fridge=twin.addresses["lakeshore372"]))
        seen: list[str] = []
        pna = twin.devices["vna"]
        original = pna.handle
        pna.handle = lambda line: (seen.append(line), original(line))[1]
        holder = _hold_lock_in_another_process(twin.addresses["vna"])
        try:
            with pytest.raises(InstrumentBusy) as info:
                api.run("s21_sweep", station=station, overrides={"mxc_temperatures": None})
        finally:
            holder.kill()
            holder.wait(10)
        assert "in use by process" in info.value.one_line()
        assert "no command sent" in info.value.message
        assert seen == []
        run = api.run("s21_sweep", station=station,
                      overrides={"mxc_temperatures": None, "points": 11})  # free again
        assert run.summary["status"] == "completed"


def test_mxc_excursion_pauses_the_run_until_it_recovers():
    run = api.run("s21_sweep", overrides={
        "points": 51, "mxc_temperatures": None, "powers_dbm": [-30.0] * 40,
        "settle_time": 10.0,
        "twin.faults.excursion_power": 0.05,  # 50 mW: the MXC heads for ~1.1 K
        "twin.faults.excursion_start": 20.0, "twin.faults.excursion_duration": 200.0})
    summary = run.summary
    assert summary["status"] == "completed"
    assert summary["points_completed"] == 40
    assert summary["faults_survived"]["interlock_pause"] >= 1
    mxc = run.data.stage_temperature.sel(stage="mxc").values
    # checked before each point; read ~10 s later, after the settle and the sweep
    assert (mxc < 0.65).all() and mxc.max() > 0.3  # the excursion was seen, not measured in

    gap = np.diff(run.data.time.values).max() / np.timedelta64(1, "s")
    assert gap > 100  # a pause, where points are otherwise ~10 s apart


def test_locks_are_reentrant_within_a_process_but_exclusive_across(tmp_path: Path):
    address = "TCPIP0::127.0.0.1::1::SOCKET"
    with instrument_lock(address, "analyser"), instrument_lock(address, "noise_diode"):
        probe = ("from cryochar.core.locks import instrument_lock\n"
                 "try:\n"
                 f"    with instrument_lock({address!r}, 'other'): print('free')\n"
                 "except Exception as exc: print(type(exc).__name__)\n")
        other = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                               timeout=60)
        assert other.stdout.strip() == "InstrumentBusy"
    with instrument_lock(address, "again"):  # released: free again
        pass
