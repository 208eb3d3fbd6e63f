"""BlueforsTC against an in-test HTTP double: the command surface, limits and faults.

pyvisa-sim cannot serve HTTP, so the double is the twin's own
:class:`BlueforsDevice` (on a private stepped clock and fridge) behind a
``http.server`` that records every request and can be scripted to drop a
connection, garble, delay, refuse or alter a reply.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import qcodes
from pydantic import ValidationError

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    InstrumentError,
    InstrumentTimeout,
    InterlockError,
)
from cryochar.drivers import DRIVERS, TemperatureController
from cryochar.drivers.fridge.bluefors import BlueforsOptions, BlueforsTC, api_time
from cryochar.sim.clock import EPOCH, SimClock
from cryochar.sim.config import BlueforsConfig, FridgeConfig
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.servers.bluefors import BlueforsDevice

LIMITS = SafetyLimits(max_mxc_temperature=0.5, max_heater_power=0.005)
LATEST = ("GET", "/channel/measurement/latest", None)


class Double:
    """The twin's controller behind a recording, scriptable HTTP server."""

    def __init__(self) -> None:
        self.clock = SimClock("stepped")
        self.fridge = Fridge(FridgeConfig(), self.clock, np.random.default_rng(7))
        self.device = BlueforsDevice(BlueforsConfig(), self.fridge, self.clock)
        self.requests: list[tuple[str, str, Any]] = []
        self.script: list[str] = []  # next replies: drop, garble, slow, refuse, error, alter
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                double.answer(self, "GET")

            def do_POST(self) -> None:
                double.answer(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.01,),
                                        daemon=True)
        self._thread.start()

    def answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        self.requests.append((method, handler.path, body))
        action = self.script.pop(0) if self.script else ""
        if action == "drop":
            handler.close_connection = True
            return  # no response at all
        status, payload = self.device.handle_http(method, handler.path, {}, body)
        if action == "refuse":
            status, payload = 400, {"status": "ERROR", "error": {"code": 7,
                                                                 "message": "not today"}}
        elif action == "error":
            payload = {**payload, "status": "ERROR", "error": {"code": 200, "message": "No data"}}
        elif action == "alter":
            payload = {**payload, "setpoint": 0.07}
        data = b"\x15#\xfe?garbled" if action == "garble" else json.dumps(payload).encode()
        if action == "slow":
            time.sleep(0.5)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout)

    def sent(self) -> list[tuple[str, str, Any]]:
        """Requests since the last call."""
        sent, self.requests = self.requests, []
        return sent

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def double() -> Iterator[Double]:
    server = Double()
    yield server
    server.close()


def connect(double: Double, **kwargs: Any) -> BlueforsTC:
    kwargs.setdefault("limits", LIMITS)
    instrument = BlueforsTC("bftc", double.url, timeout=kwargs.pop("timeout", 2),
                            visalib="@py", **kwargs)
    double.sent()
    return instrument


@pytest.fixture
def bftc(double: Double) -> Iterator[BlueforsTC]:
    instrument = connect(double)
    yield instrument
    instrument.close()


# -- identity, registry, qcodes ------------------------------------------------------------
def test_connect_reads_the_identity_from_system(double: Double):
    instrument = BlueforsTC("bftc", double.url, timeout=2)
    try:
        idn = {"vendor": "Bluefors", "model": "Bluefors TC", "serial": "BFTC-TWIN-0001",
               "firmware": "2.0.0"}
        assert double.sent() == [("GET", "/system", None)]
        assert instrument.snapshot(update=False)["parameters"]["IDN"]["value"] == idn
        assert instrument.IDN() == idn
    finally:
        instrument.close()


def test_driver_is_a_registered_qcodes_temperature_controller(bftc: BlueforsTC):
    assert isinstance(bftc, TemperatureController)
    assert isinstance(bftc, qcodes.instrument.Instrument)
    assert DRIVERS["bluefors"].load() is BlueforsTC
    assert DRIVERS["bluefors"].options_model() is BlueforsOptions
    assert DRIVERS["bluefors"].protocol is TemperatureController
    assert bftc.temperature_mxc.unit == "K"
    assert bftc.mxc_setpoint.unit == "K"
    assert (bftc.heater_power.unit, bftc.heater_max_power.unit) == ("W", "W")
    station = qcodes.Station(bftc)
    assert station.snapshot()["instruments"]["bftc"]["parameters"]["IDN"]["value"]["model"] \
        == "Bluefors TC"


# -- thermometry -----------------------------------------------------------------------------
def test_stage_temperatures_read_each_channel_from_its_history(double: Double,
                                                               bftc: BlueforsTC):
    temperatures = bftc.stage_temperatures()
    sent = double.sent()
    assert sent[0] == LATEST
    window = {"start_time": api_time(EPOCH - 300), "stop_time": api_time(EPOCH + 1),
              "fields": ["timestamp", "temperature"]}
    # the latest measurement is channel 8 (cold plate): no history needed for it
    assert sent[1:] == [("POST", "/channel/historical-data", {"channel_nr": n, **window})
                        for n in (1, 2, 5, 6)]
    assert window["start_time"] == "2025-12-31T23:55:00Z"
    assert list(temperatures) == ["pt1", "pt2", "still", "mxc", "cold_plate"]
    for stage, channel in BlueforsOptions().channels.items():
        assert temperatures[stage] == double.device.scanner.history[channel][-1][1]
    assert temperatures["mxc"] == pytest.approx(0.010, rel=5e-3)


def test_mxc_reading_straight_from_latest_when_it_is_the_mxc(double: Double, bftc: BlueforsTC):
    double.clock.advance(20)  # visits 1, 2, 5, 6 done: the MXC was measured last
    assert bftc.mxc_temperature() == pytest.approx(0.010, rel=5e-3)
    assert double.sent() == [LATEST]
    assert bftc.temperature_mxc() == pytest.approx(0.010, rel=5e-3)


def test_a_channel_not_visited_within_max_age_is_stale(double: Double):
    instrument = connect(double, options=BlueforsOptions(max_age=10))
    try:
        double.clock.advance(100)
        double.device.handle_http("POST", "/channel/update", {}, {"channel_nr": 6,
                                                                  "active": False})
        double.clock.advance(15)
        with pytest.raises(InstrumentError) as info:
            instrument.mxc_temperature()
        assert "no reading of channel 6 in the last 10 s" in info.value.message
        assert info.value.where == "bftc: /channel/historical-data"
    finally:
        instrument.close()


def test_channel_map_comes_from_the_options(double: Double):
    instrument = connect(double, options=BlueforsOptions(channels={"mxc": 5, "still": 1}))
    try:
        temperatures = instrument.stage_temperatures()
        assert temperatures["mxc"] == pytest.approx(0.8, rel=5e-3)
        assert temperatures["still"] == pytest.approx(45, rel=5e-3)
    finally:
        instrument.close()


# -- the MXC heater --------------------------------------------------------------------------
def test_set_mxc_temperature_is_one_pid_update_with_the_power_limit(double: Double,
                                                                    bftc: BlueforsTC):
    bftc.set_mxc_temperature(0.05)
    assert double.sent() == [("POST", "/heater/update", {
        "heater_nr": 4, "setpoint": 0.05, "pid_mode": 1, "active": True, "max_power": 0.001})]
    heater = double.device.heaters[4]
    assert (heater["active"], heater["pid_mode"], heater["setpoint"]) == (True, 1, 0.05)
    assert double.fridge.heater_power == pytest.approx(double.fridge.power_for(0.05))
    assert bftc.mxc_setpoint() == 0.05
    assert bftc.heater_active() is True
    assert double.sent() == [("POST", "/heater", {"heater_nr": 4})] * 2


def test_heater_number_and_power_limit_come_from_the_options(double: Double):
    instrument = connect(double, options=BlueforsOptions(heater_nr=3,
                                                         heater_max_power="2 mW"))
    try:
        instrument.set_mxc_temperature(0.1)
        assert double.sent()[0][2] == {"heater_nr": 3, "setpoint": 0.1, "pid_mode": 1,
                                       "active": True, "max_power": 0.002}
    finally:
        instrument.close()


def test_heater_off_deactivates_and_zeroes_the_manual_power(double: Double, bftc: BlueforsTC):
    bftc.set_mxc_temperature(0.05)
    double.sent()
    bftc.heater_off()
    assert double.sent() == [("POST", "/heater/update",
                              {"heater_nr": 4, "active": False, "power": 0.0})]
    assert double.fridge.heater_power == 0.0


def test_manual_power_and_power_limit_parameters(double: Double, bftc: BlueforsTC):
    bftc.heater_max_power(0.002)
    bftc.heater_power(1e-4)
    assert double.sent() == [
        ("POST", "/heater/update", {"heater_nr": 4, "max_power": 0.002}),
        ("POST", "/heater/update", {"heater_nr": 4, "pid_mode": 0, "power": 1e-4})]
    assert bftc.heater_power() == 1e-4


def test_a_reply_that_does_not_echo_the_setting_fails_and_leaves_the_heater_off(
        double: Double, bftc: BlueforsTC):
    double.script = ["alter"]
    with pytest.raises(InstrumentError) as info:
        bftc.set_mxc_temperature(0.05)
    assert "reads back setpoint=0.07, expected 0.05" in info.value.message
    assert double.sent()[-1] == ("POST", "/heater/update",
                                 {"heater_nr": 4, "active": False, "power": 0.0})
    assert double.device.heaters[4]["active"] is False


# -- safety limits ----------------------------------------------------------------------------
@pytest.mark.parametrize(("setpoint", "says"), [
    (0.6, "exceeds the station limit 0.5 K"), (0.0, "not a temperature above 0 K"),
    (-0.1, "not a temperature above 0 K")])
def test_setpoints_outside_the_limits_are_interlocks_not_sent(double: Double, bftc: BlueforsTC,
                                                               setpoint: float, says: str):
    with pytest.raises(InterlockError, match=says):
        bftc.set_mxc_temperature(setpoint)
    with pytest.raises(InterlockError):
        bftc.mxc_setpoint(0.6)
    assert double.sent() == []
    assert double.device.heaters[4]["active"] is False


@pytest.mark.parametrize("parameter", ["heater_power", "heater_max_power"])
def test_power_above_the_limit_is_an_interlock_not_sent(double: Double, bftc: BlueforsTC,
                                                        parameter: str):
    with pytest.raises(InterlockError, match="exceeds the station limit"):
        getattr(bftc, parameter)(0.01)
    assert double.sent() == []


def test_power_limit_option_above_the_station_limit_fails_before_connecting():
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConfigError) as info:
        BlueforsTC("bftc", f"http://127.0.0.1:{port}", limits=LIMITS,
                   options=BlueforsOptions(heater_max_power=0.01))
    assert info.value.where == "bftc: options.heater_max_power"
    assert info.value.exit_code == 2


def test_address_must_be_a_url():
    with pytest.raises(ConfigError, match="not an http:// URL"):
        BlueforsTC("bftc", "TCPIP0::10.0.0.1::5001::SOCKET")


@pytest.mark.parametrize(("options", "says"), [
    ({"channels": {"still": 5}}, "must include 'mxc'"),
    ({"channels": {"mxc": 13}}, "numbered 1..12"),
    ({"heater_nr": 5}, "less than or equal to 4"),
    ({"heater_max_power": "3 K"}, "expected a power"),
    ({"max_age": 0}, "greater than 0"),
])
def test_bad_options_are_refused(options: dict, says: str):
    with pytest.raises(ValidationError, match=says):
        BlueforsOptions(**options)


# -- refusals and faults ------------------------------------------------------------------------
@pytest.mark.parametrize(("action", "says"), [
    ("refuse", "HTTP 400: not today, code 7"), ("error", "status 'ERROR': No data, code 200")])
def test_a_refusal_is_an_instrument_error_without_retry(double: Double, bftc: BlueforsTC,
                                                        action: str, says: str):
    double.script = [action]
    with pytest.raises(InstrumentError) as info:
        bftc.heater_active()
    assert not isinstance(info.value, CommunicationError)
    assert says in info.value.message
    assert info.value.where == "bftc: /heater"
    assert len(double.sent()) == 1


@pytest.mark.parametrize(("action", "kind"), [("drop", "connection"), ("garble", "garbled")])
def test_one_transport_fault_is_survived_by_one_retry(double: Double, bftc: BlueforsTC,
                                                      action: str, kind: str):
    double.script = [action]
    assert bftc.heater_active() is False
    assert double.sent() == [("POST", "/heater", {"heater_nr": 4})] * 2
    assert bftc.faults == {kind: 1}


def test_two_faults_in_a_row_name_the_instrument_and_endpoint(double: Double, bftc: BlueforsTC):
    double.script = ["drop", "garble"]
    with pytest.raises(CommunicationError) as info:
        bftc.mxc_temperature()
    assert info.value.where == "bftc: /channel/measurement/latest"
    assert info.value.kind == "garbled"
    assert bftc.faults == {}


def test_no_reply_in_time_is_an_instrument_timeout(double: Double):
    instrument = connect(double, timeout=0.2)
    try:
        double.script = ["slow", "slow"]
        with pytest.raises(InstrumentTimeout) as info:
            instrument.heater_active()
        assert info.value.where == "bftc: /heater"
    finally:
        instrument.close()


def test_nobody_listening_is_a_communication_error_at_connect():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CommunicationError) as info:
        BlueforsTC("bftc", f"http://127.0.0.1:{port}", timeout=1)
    assert info.value.where == "bftc: /system"
    assert not qcodes.instrument.Instrument.exist("bftc")
