"""Seeded fault injection on the twin's wire."""

from __future__ import annotations

import socket

import pytest

from cryochar.sim import Twin, load_testbed
from cryochar.sim.config import FaultsConfig
from cryochar.sim.faults import GARBLED, Fault, FaultInjector


def test_fault_rates_follow_the_configured_probabilities_and_the_seed():
    config = FaultsConfig(timeout_probability=0.1, garble_probability=0.05,
                          disconnect_probability=0.02)
    a, b = FaultInjector(config, seed=1), FaultInjector(config, seed=1)
    draws = [a.next_fault() for _ in range(20000)]
    assert draws == [b.next_fault() for _ in range(20000)]
    for fault, p in ((Fault.TIMEOUT, 0.1), (Fault.GARBLE, 0.05), (Fault.DISCONNECT, 0.02)):
        assert draws.count(fault) / len(draws) == pytest.approx(p, rel=0.1)
    assert a.injected["timeout"] == draws.count(Fault.TIMEOUT)
    assert not FaultInjector(FaultsConfig(), seed=1).active


def _ask(sock: socket.socket, line: bytes) -> bytes:
    sock.sendall(line)
    return sock.recv(4096)


def test_server_garbles_swallows_and_drops_but_keeps_serving():
    config = load_testbed(overrides={"twin.faults.garble_probability": 0.5}).model
    with Twin(config) as twin:
        port = int(twin.addresses["vna"].split("::")[2])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            replies = [_ask(sock, b"*IDN?\n") for _ in range(40)]
        assert any(r.startswith(GARBLED) for r in replies)
        assert any(r.startswith(b"Keysight") for r in replies)
    config = load_testbed(overrides={"twin.faults.disconnect_probability": 0.5}).model
    with Twin(config) as twin:
        port = int(twin.addresses["vna"].split("::")[2])
        dropped = 0
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                try:
                    dropped += _ask(sock, b"*IDN?\n") == b""
                except ConnectionResetError:
                    dropped += 1
        assert 0 < dropped < 20 and twin.faults.injected["disconnect"] == dropped


def test_spurious_error_queue_entries():
    config = load_testbed(overrides={"twin.faults.error_probability": 0.5}).model
    with Twin(config) as twin:
        port = int(twin.addresses["vna"].split("::")[2])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            for _ in range(20):
                _ask(sock, b"*IDN?\n")
        assert len(twin.devices["vna"].errors) == twin.faults.injected["error_queue"] > 0
