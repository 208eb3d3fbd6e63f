"""Raw HTTP + JSON dialogues with the twin's qubit controller, written from its API
description (cryochar.sim.servers.qubit_controller), not through the driver."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from cryochar.sim import Twin, load_testbed


@pytest.fixture(scope="module")
def served() -> Iterator[Twin]:
    with Twin(load_testbed(overrides={"twin.qubit.tls_count": 0}).model) as twin:
        yield twin


def call(twin: Twin, method: str, path: str, body: Any = None,
         raw: bytes | None = None) -> tuple[int, dict]:
    """One request on a fresh connection; returns (status, decoded JSON)."""
    host, port = twin.addresses["qubit_controller"].removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, path, body=data, headers=headers)
        reply = connection.getresponse()
        assert reply.getheader("Content-Type") == "application/json"
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def test_identity_and_status(served: Twin):
    status, identity = call(served, "GET", "/identity")
    assert status == 200
    assert identity["vendor"] == "cryochar" and identity["serial"] == "QCT-0001"
    assert identity["api"] == 1
    status, state = call(served, "GET", "/status")
    assert status == 200
    assert state["repetition_time"] == 500e-6 and state["experiment_overhead"] == 0.1
    assert state["resonator_frequency"] == 7e9 and state["qubit_frequency"] == 5e9
    assert state["drive"] == {"frequency": 6e9, "power_dbm": -60.0, "on": False}
    assert state["time"] == pytest.approx(served.clock.now())


def test_t1_experiment_reply_and_clock(served: Twin):
    delays = [0.0, 20e-6, 50e-6, 100e-6, 200e-6]
    before = call(served, "GET", "/status")[1]["time"]
    status, reply = call(served, "POST", "/experiments/t1", {"delays": delays, "shots": 300})
    assert status == 200
    assert set(reply) == {"experiment", "delays", "counts", "shots", "started", "duration"}
    assert reply["experiment"] == "t1" and reply["delays"] == delays and reply["shots"] == 300
    assert all(isinstance(c, int) and 0 <= c <= 300 for c in reply["counts"])
    assert reply["counts"][0] > 240 and reply["counts"][-1] < reply["counts"][0]
    assert reply["started"] == pytest.approx(before)
    assert reply["duration"] == pytest.approx(300 * (5 * 500e-6 + sum(delays)) + 0.1)
    after = call(served, "GET", "/status")[1]
    assert after["time"] == pytest.approx(before + reply["duration"])


def test_ramsey_and_echo_experiments(served: Twin):
    status, ramsey = call(served, "POST", "/experiments/ramsey",
                          {"delays": [0, 10e-6, 20e-6], "shots": 100, "detuning": 50e3})
    assert status == 200 and ramsey["experiment"] == "ramsey" and ramsey["detuning"] == 50e3
    status, default = call(served, "POST", "/experiments/ramsey",
                           {"delays": [1e-6], "shots": 10})
    assert status == 200 and default["detuning"] == 0.0
    status, echo = call(served, "POST", "/experiments/echo/", {"delays": [0, 50e-6], "shots": 100})
    assert status == 200 and echo["experiment"] == "echo" and "detuning" not in echo


def test_drive_updates_whole_or_in_part(served: Twin):
    status, state = call(served, "POST", "/drive",
                         {"frequency": 6.5e9, "power_dbm": -25.5, "on": True})
    assert status == 200 and state == {"frequency": 6.5e9, "power_dbm": -25.5, "on": True}
    assert served.qubit.drive.on and served.qubit.attenuator_temperature() > 0.04
    status, state = call(served, "POST", "/drive", {"on": False})
    assert state == {"frequency": 6.5e9, "power_dbm": -25.5, "on": False}
    assert call(served, "GET", "/drive") == (200, state)
    call(served, "POST", "/drive", {"frequency": 6e9, "power_dbm": -60.0})  # as found


@pytest.mark.parametrize(("path", "body", "field", "says"), [
    ("/experiments/t1", {"delays": [0, 1e-6]}, "shots", "'shots' must be an integer"),
    ("/experiments/t1", {"delays": [0], "shots": True}, "shots", "'shots' must be an integer"),
    ("/experiments/t1", {"delays": [0], "shots": 0}, "shots", "1..100000"),
    ("/experiments/t1", {"delays": [], "shots": 5}, "delays", "list of 1..2001"),
    ("/experiments/t1", {"delays": [0, 0.5], "shots": 5}, "delays", "0..0.01 s"),
    ("/experiments/t1", {"delays": [-1e-6], "shots": 5}, "delays", "0..0.01 s"),
    ("/experiments/t1", {"delays": ["1us"], "shots": 5}, "delays", "must hold numbers"),
    ("/experiments/t1", {"delays": [0], "shots": 5, "detuning": 1e3}, "detuning",
     "unknown field(s) detuning"),
    ("/experiments/ramsey", {"delays": [0], "shots": 5, "detuning": 1e9}, "detuning",
     "outside -5e+07..5e+07"),
    ("/experiments/echo", [0, 1e-6], None, "must be a JSON object"),
    ("/drive", {"power_dbm": 40}, "power_dbm", "outside -130..20"),
    ("/drive", {"frequency": "6 GHz"}, "frequency", "finite number"),
    ("/drive", {"on": "yes"}, "on", "true or false"),
])
def test_bad_requests_get_400_naming_the_field(served: Twin, path: str, body: Any,
                                               field: str | None, says: str):
    drive_before = served.qubit.drive
    status, reply = call(served, "POST", path, body)
    assert status == 400
    assert says in reply["error"] and reply["field"] == field
    assert served.qubit.drive == drive_before  # a refused request changes nothing


def test_unknown_endpoint_and_wrong_method(served: Twin):
    status, reply = call(served, "GET", "/experiments/rabi")
    assert status == 404 and reply["error"] == "no endpoint GET /experiments/rabi"
    status, reply = call(served, "GET", "/experiments/t1")
    assert status == 405 and "use POST" in reply["error"]
    status, reply = call(served, "DELETE", "/drive")
    assert status == 405 and "GET or POST" in reply["error"]


def test_malformed_json_gets_400_and_keep_alive_works(served: Twin):
    host, port = served.addresses["qubit_controller"].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /drive HTTP/1.1\r\nContent-Length: 7\r\n\r\n{broken")
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(2):  # two requests on one connection
            sock.sendall(b"GET /identity HTTP/1.1\r\nHost: x\r\n\r\n")
            assert stream.readline().startswith(b"HTTP/1.1 200")
            headers = {}
            while (line := stream.readline().strip()):
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = json.loads(stream.read(int(headers["content-length"])))
            assert body["model"].startswith("QCT-1")
    assert call(served, "GET", "/identity")[0] == 200
