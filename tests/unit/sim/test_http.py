"""HTTP + JSON serving of twin instruments."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from cryochar.sim import Twin, load_testbed


class Echo:
    """A minimal HTTP device."""

    def handle_http(self, method, path, query, body):
        if path != "/echo":
            return 404, {"error": "unknown path"}
        return 200, {"method": method, "query": query, "body": body}


@pytest.fixture
def url():
    twin = Twin(load_testbed().model)
    twin.devices["echo"] = Echo()
    twin.start()
    yield twin.addresses["echo"]
    twin.stop()


def test_get_post_and_unknown_path(url: str):
    assert url.startswith("http://127.0.0.1:")
    got = json.load(urllib.request.urlopen(f"{url}/echo?channel=6", timeout=5))
    assert got == {"method": "GET", "query": {"channel": ["6"]}, "body": None}
    request = urllib.request.Request(f"{url}/echo", data=b'{"a": 1}', method="POST",
                                     headers={"Content-Type": "application/json"})
    assert json.load(urllib.request.urlopen(request, timeout=5))["body"] == {"a": 1}
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{url}/nope", timeout=5)
    assert info.value.code == 404


def test_malformed_request_gets_400_and_the_server_lives_on(url: str):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    assert json.load(urllib.request.urlopen(f"{url}/echo", timeout=5))["method"] == "GET"
