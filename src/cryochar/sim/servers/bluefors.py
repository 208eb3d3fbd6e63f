"""Bluefors temperature controller emulation (HTTP + JSON; port 5001 on the real device).

Endpoints, fields and envelopes follow the Bluefors Temperature Controller API
technical reference (HTTP interface, request-response mode). Every response
carries ``status`` (``"OK"``/``"ERROR"``) and ``datetime`` (UTC, testbed time);
``sender``/``hash`` of a request are echoed. Query strings are ignored and a
trailing slash is an unknown endpoint, as on the device.

=========================================  ======  =======================================
endpoint                                   method  what
=========================================  ======  =======================================
``/system``, ``/system/device``            GET     identity (``serial``, ``software_version``)
``/statemachine``                          GET     scanner: ``channel_nr`` being measured
``/statemachine/update``                   POST    ``wait_time``, ``meas_time`` (s)
``/channels``                              GET     every channel's settings (``data``)
``/channel``, ``/channel/update``          POST    one channel's settings by ``channel_nr``
``/channel/measurement/latest``            GET     the newest measurement of ANY channel
``/channel/historical-data``               POST    a channel's stored measurements in a range
``/heaters``                               GET     every heater's settings (``data``)
``/heater``, ``/heater/update``            POST    one heater's settings by ``heater_nr``
=========================================  ======  =======================================

The scanner measures one active channel at a time for ``wait_time +
meas_time`` testbed-seconds, round robin, so ``measurement/latest`` rotates
through the channels and a reading is as old as its channel's last visit.
A channel-specific reading is therefore a ``POST /channel/historical-data``
with ``channel_nr`` and a time range (the API's own way; ``measurement/latest``
takes no channel argument, so a ``POST`` to it answers like ``GET``). A
visit stores the thermometer's reading at the moment the twin catches up
(the twin cannot read the past), stamped with the visit's end time. Channel
settings are stored and echoed, but only ``active`` changes the scan (a
channel's own ``wait_time``/``meas_time`` are not modelled), and only channels
with a stage in ``channels`` have a sensor.

Heater ``mxc_heater`` (4 by default) heats the MXC: ``active`` with
``pid_mode`` 1 holds the setpoint within ``max_power``; ``pid_mode`` 0
dissipates ``power`` (capped by ``max_power``). Bad requests get an HTTP
4xx status and ``{"status": "ERROR", "error": {"code", "message"}}`` (the
twin uses the HTTP status as the error code); nothing is applied.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from cryochar.sim.clock import SimClock
from cryochar.sim.config import BlueforsConfig
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.servers.lakeshore372 import ruox_resistance

MAX_POINTS = 100_000  # historical-data answers no more than this many points (over_limit)
HISTORY_LENGTH = 50_000  # measurements kept per channel
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_FIELDS = ("temperature", "resistance", "reactance", "rez", "imz", "magnitude", "angle",
           "timestamp", "status_flags", "channel_nr")


class ApiError(Exception):
    """A request the controller refuses: HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def iso_time(timestamp: float) -> str:
    """UTC datetime string as the API writes it: ``2026-01-01T00:00:00.000000Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_api_time(text: Any) -> float:
    """A ``start_time``/``stop_time`` string (UTC) -> UNIX time, s."""
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(str(text), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ApiError(400, f"time {text!r} is not YYYY-MM-DD[ HH:MM[:SS]] or YYYY-MM-DDTHH:MM:SSZ")


# -- request field checks ---------------------------------------------------------------
def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"a number in {low:g}..{high:g}")
        return float(value)
    return check


def _integer(*allowed: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise ValueError(f"one of {', '.join(map(str, allowed))}")
        return value
    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 50:
        raise ValueError("a string of at most 50 characters")
    return value


def _pid(value: Any) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) - {"proportional", "integral", "derivative"}:
        raise ValueError("an object with proportional, integral, derivative")
    return {key: _number(0, 1e6)(item) for key, item in value.items()}


HEATER_FIELDS: dict[str, Callable[[Any], Any]] = {
    "active": _boolean, "name": _text, "pid_mode": _integer(0, 1),
    "resistance": _number(0, 1000), "power": _number(0, 1), "max_power": _number(0, 1),
    "target_temperature": _number(0, 1000), "target_temperature_shown": _boolean,
    "control_algorithm": _integer(1), "control_algorithm_settings": _pid,
    "setpoint": _number(0, 1000)}
CHANNEL_FIELDS: dict[str, Callable[[Any], Any]] = {
    "active": _boolean, "name": _text, "excitation_mode": _integer(0, 1, 2),
    "excitation_current_range": _integer(*range(1, 23)), "excitation_cmn_range": _integer(1, 2),
    "excitation_vmax_range": _integer(1, 2), "use_non_default_timeconstants": _boolean,
    "wait_time": _number(1, 100), "meas_time": _number(1, 100),
    "calib_curve_nr": _integer(*range(1, 101))}
STATEMACHINE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "wait_time": _number(1, 100), "meas_time": _number(1, 100), "control_algorithm": _integer(1)}


def checked(body: Any, index: str | None, fields: dict[str, Callable[[Any], Any]],
            ) -> dict[str, Any]:
    """Validate a request body: the index key (if any) and known fields only."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request needs a JSON object body")
    allowed = set(fields) | {"sender", "hash"} | ({index} if index else set())
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}")
    if index and index not in body:
        raise ApiError(400, f"missing {index}")
    clean = {}
    for key, value in body.items():
        if key in fields:
            try:
                clean[key] = fields[key](value)
            except ValueError as exc:
                raise ApiError(400, f"{key} must be {exc}") from None
    return clean


# -- scanner ----------------------------------------------------------------------------
class Scanner:
    """Round-robin measurement of the active channels, one ``dwell`` each.

    Slot k (k = 0, 1, ...) measures ``channels[k % n]`` and completes at
    ``t0 + (k + 1) dwell``. At start the last visit of every channel is
    pre-filled (a controller that has been running has read them all).
    """

    def __init__(self, read: Callable[[int], float], now: float):
        self.read = read
        self.history: dict[int, deque[tuple[float, float, float]]] = {}
        self.latest: tuple[int, float, float, float] | None = None  # channel, t, K, ohm
        self.channels: list[int] = []
        self.dwell = 1.0
        self._t0 = now
        self._done = 0

    def restart(self, channels: list[int], dwell: float, now: float, prefill: bool = False,
                ) -> None:
        """Start a new round at ``now`` (after a settings change)."""
        self.update(now)
        self.channels, self.dwell, self._t0 = sorted(channels), dwell, now
        self._done = -len(self.channels) if prefill else 0
        self.update(now)

    def current(self, now: float) -> int:
        """The channel being measured at ``now`` (the last one when idle)."""
        if not self.channels:
            return self.latest[0] if self.latest else 1
        return self.channels[self._completed(now) % len(self.channels)]

    def _completed(self, now: float) -> int:
        return math.floor((now - self._t0) / self.dwell + 1e-9)

    def update(self, now: float) -> None:
        """Record the visits completed up to ``now`` (at most one per channel)."""
        n = len(self.channels)
        if not n:
            return
        completed = self._completed(now)
        for slot in range(max(self._done, completed - n), completed):
            channel = self.channels[slot % n]
            when = self._t0 + (slot + 1) * self.dwell
            kelvin = self.read(channel)
            record = (when, kelvin, ruox_resistance(kelvin))
            self.history.setdefault(channel, deque(maxlen=HISTORY_LENGTH)).append(record)
            self.latest = (channel, *record)
        self._done = max(self._done, completed)

    def between(self, channel: int, start: float, stop: float) -> np.ndarray:
        """Stored (time, K, ohm) rows of ``channel`` with start <= time <= stop, shape (m, 3)."""
        rows = np.array(self.history.get(channel, ()), dtype=float).reshape(-1, 3)
        return rows[(rows[:, 0] >= start) & (rows[:, 0] <= stop)]


def columns(rows: np.ndarray, channel: int, fields: list[str]) -> dict[str, list]:
    """``historical-data`` arrays of (time, K, ohm) ``rows``, keyed as requested."""
    zeros = np.zeros(len(rows))
    data = {"timestamp": rows[:, 0], "temperature": rows[:, 1], "resistance": rows[:, 2],
            "rez": rows[:, 2], "magnitude": rows[:, 2], "reactance": zeros, "imz": zeros,
            "angle": zeros, "channel_nr": np.full(len(rows), channel)}
    return {f: ([[]] * len(rows) if f.lower() == "status_flags" else data[f.lower()].tolist())
            for f in fields}


def measurement(channel: int, timestamp: float, kelvin: float, ohm: float) -> dict[str, Any]:
    """One measurement as ``/channel/measurement/latest`` reports it (purely resistive)."""
    return {"channel_nr": channel, "temperature": kelvin, "resistance": ohm, "reactance": 0.0,
            "rez": ohm, "imz": 0.0, "magnitude": ohm, "angle": 0.0, "timestamp": timestamp,
            "settings_nr": channel, "status_flags": []}


class BlueforsDevice:
    """The twin's Bluefors temperature controller reading the fridge's thermometers."""

    def __init__(self, config: BlueforsConfig, fridge: Fridge, clock: SimClock):
        self.config = config
        self.fridge = fridge
        self.clock = clock
        self.stage_of = {channel: stage for stage, channel in config.channels.items()}
        self.statemachine = {"wait_time": config.wait_time, "meas_time": config.meas_time,
                             "control_algorithm": 1}
        self.channels = {n: self._channel_defaults(n) for n in range(1, 13)}
        self.heaters = {n: self._heater_defaults(n) for n in range(1, 5)}
        self.scanner = Scanner(lambda n: fridge.read_thermometer(self.stage_of[n]), clock.now())
        self._restart_scan(prefill=True)
        self._routes: dict[str, dict[str, Callable[[Any], dict[str, Any]]]] = {
            "/system": {"GET": lambda b: self._system()},
            "/system/device": {"GET": lambda b: {"device_id": self.config.serial,
                                                 "device_firmware": self.config.software_version}},
            "/statemachine": {"GET": lambda b: self._statemachine()},
            "/statemachine/update": {"POST": self._update_statemachine},
            "/channels": {"GET": lambda b: {"data": list(self.channels.values())}},
            "/channel": {"POST": lambda b: self._channel(checked(b, "channel_nr", {}), b)},
            "/channel/update": {"POST": self._update_channel},
            "/channel/measurement/latest": {"GET": self._latest, "POST": self._latest},
            "/channel/historical-data": {"POST": self._historical},
            "/heaters": {"GET": lambda b: {"data": list(self.heaters.values())}},
            "/heater": {"POST": lambda b: self._heater(checked(b, "heater_nr", {}), b)},
            "/heater/update": {"POST": self._update_heater},
        }

    # -- state ------------------------------------------------------------------------
    def _channel_defaults(self, number: int) -> dict[str, Any]:
        stage = self.stage_of.get(number)
        return {"channel_nr": number, "active": stage is not None,
                "name": stage or f"Channel {number}", "excitation_mode": 1,
                "excitation_current_range": 1, "excitation_cmn_range": 1,
                "excitation_vmax_range": 1, "use_non_default_timeconstants": False,
                "wait_time": self.config.wait_time, "meas_time": self.config.meas_time,
                "calib_curve_nr": number,
                "coupled_heater_nr": self.config.mxc_heater if stage == "mxc" else 0}

    def _heater_defaults(self, number: int) -> dict[str, Any]:
        mxc = number == self.config.mxc_heater
        return {"heater_nr": number, "active": False,
                "name": "MXC heater" if mxc else f"Heater {number}", "pid_mode": 0,
                "resistance": self.config.heater_resistance, "power": 0.0, "max_power": 1e-3,
                "target_temperature": 0.0, "target_temperature_shown": False,
                "control_algorithm": 1, "control_algorithm_settings": {
                    "proportional": 0.05, "integral": 60.0, "derivative": 0.0},
                "setpoint": 0.0, "relay_mode": 1, "relay_status": 1}

    @property
    def dwell(self) -> float:
        """Time per scanned channel, s."""
        return self.statemachine["wait_time"] + self.statemachine["meas_time"]

    def _restart_scan(self, prefill: bool = False) -> None:
        active = [n for n, ch in self.channels.items() if ch["active"]]
        self.scanner.restart(active, self.dwell, self.clock.now(), prefill=prefill)

    def _apply_heater(self) -> None:
        heater = self.heaters[self.config.mxc_heater]
        if not heater["active"]:
            power = 0.0
        elif heater["pid_mode"] == 1:
            power = min(self.fridge.power_for(heater["setpoint"]), heater["max_power"])
        else:
            power = min(heater["power"], heater["max_power"])
        self.fridge.set_heater_power(power)

    # -- HTTP -------------------------------------------------------------------------
    def handle_http(self, method: str, path: str, query: dict[str, list[str]],
                    body: Any) -> tuple[int, dict[str, Any]]:
        """Answer one request (query strings are ignored, as on the device)."""
        now = self.clock.now()
        echo = {k: body[k] for k in ("sender", "hash") if isinstance(body, dict) and k in body}
        try:
            methods = self._routes.get(path)
            if methods is None:
                raise ApiError(404, f"unknown endpoint {path!r}")
            handler = methods.get(method)
            if handler is None:
                raise ApiError(405, f"{path} does not take {method}; use {', '.join(methods)}")
            self.scanner.update(now)
            payload = handler(body)
        except ApiError as exc:
            return exc.status, {**echo, "datetime": iso_time(now), "status": "ERROR",
                                "error": {"code": exc.status, "message": exc.message}}
        except Exception as exc:  # never crash the server: report it like the device would
            return 500, {**echo, "datetime": iso_time(now), "status": "ERROR",
                         "error": {"code": 500, "message": f"internal error: {exc}"}}
        return 200, {**echo, **payload, "datetime": iso_time(now), "status": "OK"}

    # -- endpoints --------------------------------------------------------------------
    def _system(self) -> dict[str, Any]:
        return {"api_version": 1, "type": "Bluefors TC", "serial": self.config.serial,
                "label": "cryochar twin", "addinfo": "simulated",
                "software_version": self.config.software_version}

    def _statemachine(self) -> dict[str, Any]:
        return {**self.statemachine, "state": "measuring" if self.scanner.channels else "idle",
                "measuring": bool(self.scanner.channels),
                "channel_nr": self.scanner.current(self.clock.now())}

    def _update_statemachine(self, body: Any) -> dict[str, Any]:
        self.statemachine.update(checked(body, None, STATEMACHINE_FIELDS))
        self._restart_scan()
        return self._statemachine()

    @staticmethod
    def _number(body: Any, key: str, table: dict[int, Any]) -> int:
        number = body.get(key) if isinstance(body, dict) else None
        if isinstance(number, bool) or not isinstance(number, int) or number not in table:
            raise ApiError(400, f"{key} must be one of {min(table)}..{max(table)}")
        return number

    def _channel(self, _fields: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        return self.channels[self._number(body, "channel_nr", self.channels)]

    def _update_channel(self, body: Any) -> dict[str, Any]:
        fields = checked(body, "channel_nr", CHANNEL_FIELDS)
        number = self._number(body, "channel_nr", self.channels)
        if fields.get("active") and number not in self.stage_of:
            raise ApiError(400, f"channel {number} has no sensor connected")
        self.channels[number].update(fields)
        self._restart_scan()
        return self.channels[number]

    def _latest(self, _body: Any) -> dict[str, Any]:
        if self.scanner.latest is None:
            raise ApiError(400, "no measurement yet")
        return measurement(*self.scanner.latest)

    def _historical(self, body: Any) -> dict[str, Any]:
        number = self._number(body, "channel_nr", self.channels)
        for key in ("start_time", "stop_time", "fields"):
            if key not in body:
                raise ApiError(400, f"missing {key}")
        fields = body["fields"]
        if not isinstance(fields, list) or not all(
                isinstance(f, str) and f.lower() in _FIELDS for f in fields):
            raise ApiError(400, f"fields must be a list of: {', '.join(_FIELDS)}")
        rows = self.scanner.between(number, parse_api_time(body["start_time"]),
                                    parse_api_time(body["stop_time"]))
        over = len(rows) > MAX_POINTS
        return {"channel_nr": number, "start_time": body["start_time"],
                "stop_time": body["stop_time"], "fields": fields, "over_limit": over,
                "measurements": {} if over else columns(rows, number, fields)}

    def _heater(self, _fields: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        return self.heaters[self._number(body, "heater_nr", self.heaters)]

    def _update_heater(self, body: Any) -> dict[str, Any]:
        fields = checked(body, "heater_nr", HEATER_FIELDS)
        number = self._number(body, "heater_nr", self.heaters)
        self.heaters[number].update(fields)
        if number == self.config.mxc_heater:  # the other heaters have no physics here
            self._apply_heater()
        return self.heaters[number]


__all__ = ["ApiError", "BlueforsDevice", "Scanner", "columns", "iso_time", "measurement",
           "parse_api_time"]
