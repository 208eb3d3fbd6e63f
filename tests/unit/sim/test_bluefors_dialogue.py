"""Raw HTTP dialogues with the twin's Bluefors temperature controller.

Written from the Bluefors Temperature Controller API reference (HTTP on port
5001, JSON payloads, ``status``/``datetime`` in every response), with plain
``urllib``, not through cryochar's driver. Default twin: channels pt1:1 pt2:2
still:5 mxc:6 cold_plate:8, wait 2 s + measure 3 s per channel, MXC heater 4.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from cryochar.sim import Twin
from cryochar.sim.clock import EPOCH

DWELL = 5.0  # s per channel: wait_time 2 + meas_time 3
SCAN = (1, 2, 5, 6, 8)  # active channels, scanned in this order
STAGE = {1: "pt1", 2: "pt2", 5: "still", 6: "mxc", 8: "cold_plate"}


class Api:
    """A bare JSON-over-HTTP client: returns (HTTP status, decoded body)."""

    def __init__(self, url: str):
        self.url = url

    def call(self, path: str, body: Any = None, method: str | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                          method=method or ("GET" if data is None else "POST"),
                                          headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.load(error)

    def ok(self, path: str, body: Any = None) -> dict[str, Any]:
        status, reply = self.call(path, body)
        assert (status, reply["status"]) == (200, "OK"), reply
        return reply


@pytest.fixture
def api(twin: Twin) -> Api:
    return Api(twin.addresses["bluefors"])


def history(api: Api, channel: int, start: str = "2025-12-31", stop: str = "2026-01-02",
            fields: tuple[str, ...] = ("timestamp", "temperature")) -> dict[str, list]:
    reply = api.ok("/channel/historical-data", {"channel_nr": channel, "start_time": start,
                                                "stop_time": stop, "fields": list(fields)})
    assert reply["over_limit"] is False
    return reply["measurements"]


# -- identity and envelope ----------------------------------------------------------------
def test_system_identity_and_response_envelope(api: Api):
    reply = api.ok("/system")
    assert reply["type"] == "Bluefors TC"
    assert reply["api_version"] == 1
    assert reply["serial"] == "BFTC-TWIN-0001"
    assert reply["software_version"] == "2.0.0"
    assert reply["datetime"] == "2026-01-01T00:00:00.000000Z"  # testbed time, UTC
    device = api.ok("/system/device")
    assert device["device_id"] == "BFTC-TWIN-0001"


def test_sender_and_hash_are_echoed(api: Api):
    reply = api.ok("/heater", {"heater_nr": 4, "sender": "me", "hash": "42"})
    assert (reply["sender"], reply["hash"]) == ("me", "42")


def test_channels_and_heaters_are_listed(api: Api):
    channels = api.ok("/channels")["data"]
    assert [c["channel_nr"] for c in channels] == list(range(1, 13))
    assert [c["channel_nr"] for c in channels if c["active"]] == list(SCAN)
    assert channels[5]["name"] == "mxc" and channels[5]["coupled_heater_nr"] == 4
    heaters = api.ok("/heaters")["data"]
    assert [h["heater_nr"] for h in heaters] == [1, 2, 3, 4]
    assert all(h["active"] is False for h in heaters)
    assert api.ok("/channel", {"channel_nr": 6})["name"] == "mxc"


# -- the scanner --------------------------------------------------------------------------
def test_latest_rotates_through_the_channels_one_dwell_each(twin: Twin, api: Api):
    latest = api.ok("/channel/measurement/latest")
    assert latest["channel_nr"] == 8  # a running controller has read every channel once
    assert latest["timestamp"] == EPOCH
    for key in ("temperature", "resistance", "reactance", "rez", "imz", "magnitude", "angle",
                "settings_nr", "status_flags"):
        assert key in latest
    seen = []
    for _ in range(6):
        twin.clock.advance(DWELL)
        latest = api.ok("/channel/measurement/latest")
        seen.append(latest["channel_nr"])
        truth = twin.stage_temperatures()[STAGE[latest["channel_nr"]]]
        assert latest["temperature"] == pytest.approx(truth, rel=5e-3)  # 1e-3 noise
        assert latest["timestamp"] == pytest.approx(twin.clock.now())  # end of the visit
    assert seen == [1, 2, 5, 6, 8, 1]


def test_latest_stays_put_within_a_dwell_and_post_answers_like_get(twin: Twin, api: Api):
    twin.clock.advance(DWELL)
    first = api.ok("/channel/measurement/latest")
    twin.clock.advance(DWELL * 0.9)
    assert api.ok("/channel/measurement/latest")["timestamp"] == first["timestamp"]
    status, posted = api.call("/channel/measurement/latest", {"channel_nr": 6})
    assert status == 200 and posted["channel_nr"] == first["channel_nr"] == 1
    assert api.ok("/statemachine")["channel_nr"] == 2  # being measured now


def test_statemachine_reports_and_changes_the_dwell(twin: Twin, api: Api):
    state = api.ok("/statemachine")
    assert (state["wait_time"], state["meas_time"], state["measuring"]) == (2.0, 3.0, True)
    api.ok("/statemachine/update", {"wait_time": 10})
    twin.clock.advance(DWELL)
    assert api.ok("/channel/measurement/latest")["channel_nr"] == 8  # no visit done yet
    twin.clock.advance(13 - DWELL)
    assert api.ok("/channel/measurement/latest")["channel_nr"] == 1


def test_readings_are_as_old_as_the_last_visit(twin: Twin, api: Api):
    api.ok("/heater/update", {"heater_nr": 4, "active": True, "pid_mode": 1,
                              "setpoint": 0.1, "max_power": 0.01})
    twin.clock.advance(1000)  # the MXC is now at 100 mK
    latest = api.ok("/channel/measurement/latest")
    mxc = history(api, 6)
    assert mxc["timestamp"][-1] < latest["timestamp"] or latest["channel_nr"] == 6
    assert mxc["temperature"][-1] == pytest.approx(0.1, rel=0.01)


def test_historical_data_holds_one_point_per_visit(twin: Twin, api: Api):
    for _ in range(3 * len(SCAN)):
        twin.clock.advance(DWELL)
        api.ok("/channel/measurement/latest")  # the scanner catches up on every request
    mxc = history(api, 6, fields=("timestamp", "temperature", "resistance", "Imz",
                                  "status_flags", "channel_nr"))
    assert mxc["timestamp"] == [EPOCH - 5, EPOCH + 20, EPOCH + 45, EPOCH + 70]
    assert mxc["Imz"] == [0.0] * 4  # arrays keyed as requested
    assert mxc["status_flags"] == [[]] * 4
    assert mxc["channel_nr"] == [6] * 4
    assert all(r > 1e4 for r in mxc["resistance"])  # RuOx at 10 mK
    assert mxc["temperature"] == pytest.approx([0.01] * 4, rel=5e-3)


@pytest.mark.parametrize(("start", "stop", "count"), [
    ("2026-01-01", "2026-01-02", 1),
    ("2026-01-01 00:00", "2026-01-01 00:01", 1),
    ("2026-01-01 00:00:20", "2026-01-01 00:01:00", 1),
    ("2026-01-01T00:00:21Z", "2026-01-01T00:01:00Z", 0),
    ("2025-12-31T23:59:00Z", "2025-12-31T23:59:56Z", 1),
])
def test_historical_data_time_formats_and_range(twin: Twin, api: Api, start: str, stop: str,
                                                count: int):
    twin.clock.advance(30)  # mxc visited at 23:59:55 (pre-filled) and 00:00:20
    got = history(api, 6, start, stop)
    assert len(got["timestamp"]) == count


# -- the MXC heater -------------------------------------------------------------------------
def test_pid_heater_holds_the_setpoint_within_max_power(twin: Twin, api: Api):
    body = {"heater_nr": 4, "active": True, "pid_mode": 1, "setpoint": 0.05,
            "max_power": 0.001}
    reply = api.ok("/heater/update", body)
    assert {k: reply[k] for k in body} == body
    assert twin.mxc_heater_power() == pytest.approx(twin.fridge.power_for(0.05))
    twin.clock.advance(1800)
    assert twin.stage_temperatures()["mxc"] == pytest.approx(0.05, rel=1e-3)
    api.ok("/heater/update", {"heater_nr": 4, "setpoint": 0.5})  # needs 10 mW: capped
    assert twin.mxc_heater_power() == pytest.approx(0.001)
    api.ok("/heater/update", {"heater_nr": 4, "active": False})
    assert twin.mxc_heater_power() == 0.0
    assert api.ok("/heater", {"heater_nr": 4})["active"] is False


def test_manual_mode_dissipates_the_power_and_other_heaters_do_not_heat_the_mxc(
        twin: Twin, api: Api):
    api.ok("/heater/update", {"heater_nr": 4, "active": True, "pid_mode": 0, "power": 2e-4})
    assert twin.mxc_heater_power() == pytest.approx(2e-4)
    api.ok("/heater/update", {"heater_nr": 3, "active": False})  # still heater
    assert twin.mxc_heater_power() == pytest.approx(2e-4)


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "body", "status", "says"), [
    ("/heater/update", {"heater_nr": 4, "pid_mode": 2}, 400, "pid_mode must be one of 0, 1"),
    ("/heater/update", {"heater_nr": 4, "setpoint": -1}, 400, "setpoint must be a number"),
    ("/heater/update", {"heater_nr": 4, "active": 1}, 400, "active must be true or false"),
    ("/heater/update", {"heater_nr": 4, "setpiont": 0.1}, 400, "unknown field(s): setpiont"),
    ("/heater/update", {"heater_nr": 5, "active": True}, 400, "heater_nr must be one of 1..4"),
    ("/heater/update", {"active": True}, 400, "missing heater_nr"),
    ("/heater/update", [1, 2], 400, "JSON object"),
    ("/channel/update", {"channel_nr": 3, "active": True}, 400, "no sensor"),
    ("/channel/historical-data", {"channel_nr": 6, "start_time": "yesterday",
                                  "stop_time": "2026-01-02", "fields": ["temperature"]},
     400, "is not YYYY-MM-DD"),
    ("/channel/historical-data", {"channel_nr": 6, "start_time": "2026-01-01",
                                  "stop_time": "2026-01-02", "fields": ["colour"]},
     400, "fields must be"),
    ("/channel/historical-data", {"channel_nr": 6}, 400, "missing start_time"),
    ("/channel/measurements/latest", None, 404, "unknown endpoint"),
    ("/system/", None, 404, "unknown endpoint"),  # trailing slash: not supported
])
def test_bad_requests_get_an_error_status_and_change_nothing(twin: Twin, api: Api, path: str,
                                                             body: Any, status: int, says: str):
    before = (api.ok("/heaters")["data"], api.ok("/channels")["data"])
    got, reply = api.call(path, body)
    assert got == status
    assert reply["status"] == "ERROR"
    assert reply["error"]["code"] == status
    assert says in reply["error"]["message"]
    assert reply["datetime"].startswith("2026-01-01T")
    assert (api.ok("/heaters")["data"], api.ok("/channels")["data"]) == before
    assert twin.mxc_heater_power() == 0.0


def test_wrong_method_is_405(api: Api):
    status, reply = api.call("/heater/update", method="GET")
    assert status == 405 and "use POST" in reply["error"]["message"]
    status, _ = api.call("/system", {"x": 1})
    assert status == 405


def test_malformed_json_gets_400_and_the_server_lives_on(twin: Twin, api: Api):
    status, _ = api.call("/heater/update", raw=b"{not json")
    assert status == 400
    host, port = twin.addresses["bluefors"].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /heater HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    assert api.ok("/system")["type"] == "Bluefors TC"


def test_deactivated_channel_leaves_the_scan(twin: Twin, api: Api):
    assert api.ok("/channel/update", {"channel_nr": 5, "active": False})["active"] is False
    seen = []
    for _ in range(4):
        twin.clock.advance(DWELL)
        seen.append(api.ok("/channel/measurement/latest")["channel_nr"])
    assert seen == [1, 2, 6, 8]
