"""Qubit-controller driver: transport failures become named errors; registry entry;
the SDK adapter point refuses clearly and checks limits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    InstrumentTimeout,
    InterlockError,
)
from cryochar.drivers import DRIVERS, QubitController
from cryochar.drivers.qubit import (
    ADAPTERS,
    AdapterNotImplemented,
    ExperimentCounts,
    SdkQubitController,
    TwinQubitController,
    TwinQubitControllerOptions,
)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_controller_that_never_answers_is_a_timeout_naming_the_endpoint(silent_server: str):
    start = time.monotonic()
    with pytest.raises(InstrumentTimeout) as info:
        TwinQubitController("qc_silent", silent_server, timeout=0.2)
    assert time.monotonic() - start < 2  # one retry, no more
    assert info.value.where == "qc_silent: GET /status"


def test_nothing_listening_is_a_communication_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CommunicationError) as info:
        TwinQubitController("qc_dead", f"http://127.0.0.1:{port}", timeout=0.5)
    assert info.value.where == "qc_dead: GET /status" and info.value.kind == "connection"


def test_a_visa_address_is_refused_before_connecting():
    with pytest.raises(ConfigError, match="not an HTTP URL"):
        TwinQubitController("qc_visa", "TCPIP0::127.0.0.1::5025::SOCKET")


def test_registry_entry():
    info = DRIVERS["qubit_twin"]
    assert (info.kind, info.protocol) == ("qubit", QubitController)
    assert info.load() is TwinQubitController
    assert info.options_model() is TwinQubitControllerOptions


def test_experiment_counts_are_checked_and_read_only():
    counts = ExperimentCounts("t1", [0.0, 1e-6], [10, 5], 20, 0.0, 1.0)
    assert counts.populations.tolist() == [0.5, 0.25]
    with pytest.raises(ValueError):
        counts.counts[0] = 3
    with pytest.raises(ValueError, match="2 delays but 3 counts"):
        ExperimentCounts("t1", [0.0, 1e-6], [1, 2, 3], 20, 0.0, 1.0)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_sdk_skeletons_refuse_with_a_config_error_naming_the_sdk(name: str):
    cls = ADAPTERS[name]
    with pytest.raises(AdapterNotImplemented) as info:
        cls("qc", "TCPIP0::192.0.2.1::inst0::INSTR")
    error = info.value
    assert isinstance(error, ConfigError) and isinstance(error, NotImplementedError)
    assert cls.sdk in error.message and cls.package in error.fix
    assert error.exit_code == 2


class FakeSdk(SdkQubitController):
    """What a lab's adapter looks like: the two hooks on top of its SDK (here a stub)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tones: list[tuple[float, float, bool]] = []

    def _acquire(self, kind, delays, shots, detuning):
        return np.full(delays.size, shots // 2)

    def _set_tone(self, frequency, power_dbm, on):
        self.tones.append((frequency, power_dbm, on))


def test_the_adapter_base_satisfies_the_protocol_and_checks_limits():
    adapter = FakeSdk("lab_qc", "sdk://cluster", limits=SafetyLimits(max_source_power_dbm=-10))
    assert isinstance(adapter, QubitController)
    result = adapter.run_ramsey([0.0, 1e-6, 2e-6], 100, detuning=1e5)
    assert result.kind == "ramsey" and result.counts.tolist() == [50, 50, 50]
    assert result.detuning == 1e5
    with pytest.raises(InterlockError):
        adapter.set_drive(6e9, 0.0, True)
    adapter.set_drive(6e9, -20.0, True)
    adapter.drive_off()
    assert adapter.tones == [(6e9, -20.0, True), (0.0, -130.0, False)]
    with pytest.raises(ValueError):
        adapter.run_t1([], 10)
