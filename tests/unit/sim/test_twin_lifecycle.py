"""The twin starts and stops cleanly and quickly, leaving no ports or threads."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
import pyvisa

from cryochar.sim import Twin, load_testbed


def test_twin_starts_and_stops_in_under_a_second_without_leaks():
    threads_before = set(threading.enumerate())
    started = time.perf_counter()
    twin = Twin(load_testbed().model)
    addresses = twin.start()
    assert all(a.startswith(("TCPIP0::127.0.0.1::", "http://127.0.0.1:"))
               for a in addresses.values())
    rm = pyvisa.ResourceManager("@py")
    clients = [rm.open_resource(a, read_termination="\n", write_termination="\n")
               for a in addresses.values() if a.startswith("TCPIP0::")]
    for client in clients:
        assert client.query("*IDN?")
    for url in (a for a in addresses.values() if a.startswith("http://")):
        try:  # any HTTP answer (404 included) shows the server is up
            urllib.request.urlopen(f"{url}/", timeout=2).close()
        except urllib.error.HTTPError as answer:
            answer.close()
    twin.stop()
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    rm.close()
    assert elapsed < 1.0
    assert set(threading.enumerate()) <= threads_before
    for address in addresses.values():
        port = int(address.split("::")[2] if "::" in address else address.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5)


def test_same_seed_same_measurement():
    import numpy as np

    def sweep(seed: int) -> np.ndarray:
        with Twin(load_testbed(overrides={"seed": seed}).model) as twin:
            return twin.vna.measure(np.linspace(4e9, 5e9, 11), -20, 1e3, 1)["S21"]

    assert np.array_equal(sweep(4), sweep(4))
    assert not np.array_equal(sweep(4), sweep(5))
