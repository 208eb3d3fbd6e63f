"""The qubit-controller driver against the running twin: experiments recover the
twin's truth, the station's power limit holds, faults are survived or named."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from cryochar.analysis.coherence import fit_echo, fit_t1
from cryochar.core.config import load_station
from cryochar.core.errors import CommunicationError, InstrumentError, InterlockError
from cryochar.drivers import QubitController, check_station, connect
from cryochar.drivers.qubit import ExperimentCounts, TwinQubitController
from cryochar.sim import Twin, load_testbed

pytestmark = pytest.mark.integration
DELAYS = np.linspace(0, 400e-6, 41)


@pytest.fixture
def station_twin() -> Iterator[tuple[Twin, TwinQubitController]]:
    station = load_station("instruments/sim.yaml").model
    options = check_station(station, "instruments/sim.yaml")
    with Twin(load_testbed().model) as twin, connect(
            station, options, twin.addresses, names=["qubit_controller"]) as opened:
        yield twin, opened["qubit_controller"]


def test_the_driver_is_a_qubit_controller_with_an_identity(station_twin):
    _, qc = station_twin
    assert isinstance(qc, QubitController)
    assert qc.IDN() == {"vendor": "cryochar", "model": "QCT-1 twin qubit controller",
                        "serial": "QCT-0001", "firmware": "1.0.0"}


def test_t1_and_echo_through_the_driver_recover_the_twin_truth(station_twin):
    twin, qc = station_twin
    t1 = qc.run_t1(DELAYS, 3000)
    assert isinstance(t1, ExperimentCounts) and t1.kind == "t1" and t1.shots == 3000
    assert np.array_equal(t1.delays, DELAYS) and t1.counts.shape == DELAYS.shape
    fit = fit_t1(t1.delays, t1.populations, shots=t1.shots)
    truth = twin.qubit.t1(t1.started)  # TLS defects make T1 wander: compare at that time
    assert fit.ok and abs(fit.T1 - truth) < 4 * fit.T1_stderr
    assert twin.clock.now() == pytest.approx(t1.started + t1.duration)
    echo = qc.run_echo(DELAYS, 3000)
    fit = fit_echo(echo.delays, echo.populations, shots=echo.shots)
    assert fit.ok and abs(fit.T2_echo - twin.qubit.t2_echo(echo.started)) < 4 * fit.T2_echo_stderr
    ramsey = qc.run_ramsey(DELAYS[:5], 100, detuning=25e3)
    assert ramsey.kind == "ramsey" and ramsey.detuning == 25e3


def test_drive_power_above_the_station_limit_is_refused_before_sending(station_twin,
                                                                       monkeypatch):
    twin, qc = station_twin
    device = twin.devices["qubit_controller"]
    requests: list[tuple[str, str]] = []
    original = device.handle_http

    def counting(method, path, query, body):
        requests.append((method, path))
        return original(method, path, query, body)

    monkeypatch.setattr(device, "handle_http", counting)
    with pytest.raises(InterlockError) as info:
        qc.set_drive(6e9, 3.0, True)  # the station allows 0 dBm
    assert "exceeds the station limit 0 dBm" in info.value.message
    with pytest.raises(InterlockError):
        qc.drive_power(0.5)
    assert requests == [] and not twin.qubit.drive.on
    qc.set_drive(6e9, -20.0, True)
    assert requests == [("POST", "/drive")]
    assert twin.qubit.drive.on and twin.qubit.drive.power_dbm == -20.0
    assert 0.055 < twin.qubit.attenuator_temperature() < 0.07
    assert qc.drive_power.cache.get(get_if_invalid=False) == -20.0
    qc.drive_off()
    assert not twin.qubit.drive.on and qc.drive_on() is False


def test_refused_requests_are_instrument_errors_naming_the_endpoint(station_twin):
    _, qc = station_twin
    with pytest.raises(InstrumentError) as info:
        qc.run_t1([0.0, 1.0], 10)  # 1 s delay: beyond the controller's 10 ms
    assert info.value.where == "qubit_controller: POST /experiments/t1"
    assert "HTTP 400" in info.value.message and "0..0.01 s" in info.value.message
    assert not isinstance(info.value, CommunicationError)


def test_faults_on_the_wire_are_retried_once_and_counted():
    config = load_testbed(overrides={"twin.faults.garble_probability": 0.15,
                                     "twin.faults.disconnect_probability": 0.1}).model
    with Twin(config) as twin:
        qc = TwinQubitController("qc_faulty", twin.addresses["qubit_controller"], timeout=1)
        try:
            ok, named = 0, 0
            for _ in range(30):
                try:
                    ok += qc.run_t1([0.0, 50e-6], 20).counts.size == 2
                except CommunicationError as exc:  # two faults in a row
                    named += exc.where == "qc_faulty: POST /experiments/t1"
            assert ok >= 20 and ok + named == 30
            assert sum(qc.faults.values()) > 0
            assert set(qc.faults) <= {"garbled", "connection"}
        finally:
            qc.close()
