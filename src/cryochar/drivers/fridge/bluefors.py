"""Bluefors temperature controller (HTTP + JSON API, port 5001).

A qcodes :class:`~qcodes.instrument.Instrument`, not a ``VisaInstrument``: the
controller speaks HTTP, so requests go through ``urllib.request`` with the
station's timeout. pyvisa-sim cannot serve HTTP, so this driver has no
pyvisa-sim file: its command surface is pinned by unit tests against a small
in-test HTTP double and against the twin's device object.

Reading a stage: the controller scans one channel at a time and
``GET /channel/measurement/latest`` answers with whichever channel was measured
last. The driver takes the device's clock from that answer (``datetime``) and
asks ``POST /channel/historical-data`` for the stage's channel over the last
``max_age`` seconds, keeping the newest point; none in the window means the
channel has gone stale (an :class:`InstrumentError`). The MXC heater
(``heater_nr``) is driven with ``POST /heater/update`` in PID mode with a hard
``max_power``; every update is read back from the reply.

Faults: a timeout, a dropped connection or an undecodable reply is retried once
(urllib opens a new connection per request, so the retry is the reconnect); a
second failure becomes :class:`InstrumentTimeout` or :class:`CommunicationError`
naming the instrument and the endpoint. An answer with ``status: "ERROR"`` (or
an HTTP error status) is the controller refusing: :class:`InstrumentError`, no
retry. Safety limits raise :class:`InterlockError` before anything is sent.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from qcodes.instrument import Instrument
from qcodes.validators import Bool

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    InstrumentError,
    InstrumentTimeout,
)
from cryochar.core.units import Duration, Power
from cryochar.drivers.base import LimitValidator, check_mxc_setpoint, closed_on_failure
from cryochar.drivers.temperature_control import (
    add_fridge_parameters,
    check_options_limits,
    check_stage_channels,
    readback_matches,
    safe_state_on_failure,
)

log = logging.getLogger(__name__)
TRANSIENT_HTTP = (OSError, http.client.HTTPException, ValueError)
"""Failures worth one retry: network errors, timeouts, undecodable replies."""


class BlueforsOptions(BaseModel):
    """Station ``options`` of a Bluefors temperature controller."""

    model_config = ConfigDict(extra="forbid")
    channels: dict[str, int] = Field(
        default_factory=lambda: {"pt1": 1, "pt2": 2, "still": 5, "mxc": 6, "cold_plate": 8},
        description="stage name -> channel (1..12); must include 'mxc'")
    heater_nr: int = Field(4, ge=1, le=4, description="heater wired to the MXC (1..4)")
    heater_max_power: Power = Field(1e-3, gt=0, le=1, description=(
        "hard power limit sent with every setpoint (the controller's max_power), W"))
    max_age: Duration = Field(300.0, gt=0, le=86400, description=(
        "oldest acceptable reading, s of device time (must exceed one scan cycle)"))

    def check_limits(self, limits: SafetyLimits) -> None:
        """Raise ``ValueError`` when ``heater_max_power`` exceeds ``max_heater_power``."""
        if limits.max_heater_power is not None \
                and self.heater_max_power > limits.max_heater_power:
            raise ValueError(
                f"heater_max_power {self.heater_max_power:.3g} W is above the station limit "
                f"max_heater_power {limits.max_heater_power:.3g} W")

    def model_post_init(self, _context: Any) -> None:
        """Check the channel map."""
        check_stage_channels(self.channels, lambda c: 1 <= c <= 12,
                             "Bluefors channels are numbered 1..12")


def convert_http_error(instrument: str, endpoint: str, exc: BaseException) -> InstrumentError:
    """The cryochar error for a transport failure on ``endpoint``."""
    where = f"{instrument}: {endpoint}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return InstrumentTimeout("no reply in time", where=where,
                                 fix="check the controller is on and the address is right")
    if isinstance(reason, ValueError | http.client.HTTPException) \
            and not isinstance(reason, ConnectionError):
        garbled = CommunicationError("garbled reply", where=where,
                                     fix="check the network between here and the controller")
        garbled.kind = "garbled"
        return garbled
    return CommunicationError(f"communication failed ({reason})", where=where,
                              fix="check the connection; the controller may have dropped it")


def api_time(timestamp: float) -> str:
    """UNIX time -> the API's ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_device_time(text: str) -> float:
    """The API's ``datetime`` string (``2024-01-31T13:04:43.060313Z``) -> UNIX time, s."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class BlueforsTC(Instrument):
    """Bluefors temperature controller as a
    :class:`~cryochar.drivers.protocols.TemperatureController`.

    ``address`` is the controller's URL (``http://192.168.1.10:5001``);
    ``timeout`` the per-request timeout, s. ``visalib`` is accepted and ignored
    (the registry passes it to every driver; HTTP needs no VISA library).
    """

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: BlueforsOptions | None = None, timeout: float = 5.0,
                 visalib: str | None = None, **kwargs: Any):
        limits = limits or SafetyLimits()
        options = options or BlueforsOptions()
        check_options_limits(name, options, limits, field="heater_max_power",
                             fix="lower heater_max_power or raise the station limit")
        if not address.lower().startswith(("http://", "https://")):
            raise ConfigError(f"address {address!r} is not an http:// URL", where=name,
                              fix="give the controller's URL, e.g. http://192.168.1.10:5001")
        super().__init__(name, **kwargs)
        self.address = address.rstrip("/")
        self.timeout = timeout
        self.limits = limits
        self.options = options
        self.faults: Counter[str] = Counter()
        with closed_on_failure(self):
            self._add_parameters()
            self.connect_message()

    def _add_parameters(self) -> None:
        add_fridge_parameters(
            self, {stage: partial(self._reading, channel)
                   for stage, channel in self.options.channels.items()},
            read_setpoint=partial(self._heater, "setpoint"),
            set_setpoint=self.set_mxc_temperature, max_setpoint=1000, limits=self.limits)
        self.add_parameter("heater_active", label="MXC heater on", vals=Bool(),
                           get_cmd=partial(self._heater, "active"))
        power = partial(LimitValidator, 0, 1, limit=self.limits.max_heater_power, unit="W")
        self.add_parameter(
            "heater_max_power", unit="W", label="MXC heater power limit",
            get_cmd=partial(self._heater, "max_power"), vals=power(what="heater power limit"),
            set_cmd=lambda value: self._update_heater(max_power=float(value)))
        self.add_parameter(
            "heater_power", unit="W", label="MXC heater manual power",
            get_cmd=partial(self._heater, "power"), vals=power(what="heater power"),
            set_cmd=lambda value: self._update_heater(pid_mode=0, power=float(value)))
        self.add_parameter("scan_channel", label="channel being measured",
                           get_cmd=lambda: int(self._call("/statemachine")["channel_nr"]))

    # -- transport ----------------------------------------------------------------------
    def _once(self, endpoint: str, body: dict[str, Any] | None) -> dict[str, Any]:
        request = urllib.request.Request(
            self.address + endpoint, method="GET" if body is None else "POST",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:  # the controller answered: no retry
            try:
                detail = exc.read()
            except OSError:
                detail = b""
            raise self._refused(endpoint, f"HTTP {exc.code}", detail) from exc
        reply = json.loads(raw.decode("utf-8"))
        if not isinstance(reply, dict):
            raise ValueError("the reply is not a JSON object")
        if reply.get("status") != "OK":
            raise self._refused(endpoint, f"status {reply.get('status')!r}", raw)
        return reply

    def _refused(self, endpoint: str, what: str, raw: bytes) -> InstrumentError:
        try:
            error = json.loads(raw.decode("utf-8")).get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        return InstrumentError(
            f"the controller refused the request ({what}: {error.get('message', 'no message')}"
            f"{', code ' + str(error['code']) if 'code' in error else ''})",
            where=f"{self.name}: {endpoint}", fix="check the value and the controller's state")

    def _call(self, endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request; on a transport failure retry once (a new connection)."""
        try:
            return self._once(endpoint, body)
        except TRANSIENT_HTTP as exc:
            first = convert_http_error(self.name, endpoint, exc)
        try:
            reply = self._once(endpoint, body)
        except TRANSIENT_HTTP as exc:
            raise convert_http_error(self.name, endpoint, exc) from exc
        self.faults[first.kind] += 1
        return reply

    # -- identity ------------------------------------------------------------------------
    def get_idn(self) -> dict[str, str | None]:
        """Vendor, model, serial and firmware from ``GET /system``."""
        system = self._call("/system")
        return {"vendor": "Bluefors", "model": system.get("type"),
                "serial": system.get("serial"), "firmware": system.get("software_version")}

    def connect_message(self, idn_param: str = "IDN", begin_time: float | None = None) -> None:
        """Log (not print) the connection; caches the IDN for snapshots."""
        log.info("connected to %s: %s", self.name, self.parameters[idn_param].get())

    # -- thermometry ---------------------------------------------------------------------
    def _reading(self, channel: int) -> float:
        return self._channel_reading(channel, self._call("/channel/measurement/latest"))

    def _channel_reading(self, channel: int, latest: dict[str, Any]) -> float:
        """Newest temperature of ``channel`` within ``max_age`` of device time, K."""
        endpoint = "/channel/historical-data"
        try:
            now = parse_device_time(latest["datetime"])
            if latest.get("channel_nr") == channel and latest.get("temperature") is not None \
                    and now - float(latest["timestamp"]) <= self.options.max_age:
                return float(latest["temperature"])
            reply = self._call(endpoint, {
                "channel_nr": channel, "start_time": api_time(now - self.options.max_age),
                "stop_time": api_time(math.floor(now) + 1),
                "fields": ["timestamp", "temperature"]})
            points = [(t, k) for t, k in zip(reply["measurements"]["timestamp"],
                                             reply["measurements"]["temperature"], strict=True)
                      if k is not None]
        except (KeyError, TypeError, ValueError) as exc:
            raise CommunicationError(f"unexpected reply ({exc!r})", where=f"{self.name}: "
                                     f"{endpoint}", fix="check the controller's API version") \
                from exc
        if not points:
            raise InstrumentError(
                f"no reading of channel {channel} in the last {self.options.max_age:g} s",
                where=f"{self.name}: {endpoint}",
                fix="check the channel is active in the scan, or raise options.max_age")
        return float(max(points)[1])

    def stage_temperatures(self) -> dict[str, float]:
        """Newest reading of each configured stage, K."""
        latest = self._call("/channel/measurement/latest")
        return {stage: self._channel_reading(channel, latest)
                for stage, channel in self.options.channels.items()}

    def mxc_temperature(self) -> float:
        """Newest mixing-chamber reading, K."""
        return self._reading(self.options.channels["mxc"])

    # -- MXC heater ----------------------------------------------------------------------
    def _heater(self, key: str) -> Any:
        return self._call("/heater", {"heater_nr": self.options.heater_nr})[key]

    def _update_heater(self, **fields: Any) -> dict[str, Any]:
        """``POST /heater/update`` and verify the reply echoes every field."""
        reply = self._call("/heater/update", {"heater_nr": self.options.heater_nr, **fields})
        for key, expected in fields.items():
            actual = reply.get(key)
            if not readback_matches(actual, expected, rel_tol=1e-9, abs_tol=1e-15):
                raise InstrumentError(
                    f"heater {self.options.heater_nr} reads back {key}={actual!r}, expected "
                    f"{expected!r}", where=f"{self.name}: /heater/update",
                    fix="check the controller's heater settings")
        return reply

    def set_mxc_temperature(self, temperature: float) -> None:
        """PID control of the MXC at ``temperature`` K (limit-checked first)."""
        check_mxc_setpoint(self.name, temperature, self.limits)
        with safe_state_on_failure(self.heater_off):
            self._update_heater(setpoint=float(temperature), pid_mode=1, active=True,
                                max_power=self.options.heater_max_power)

    def heater_off(self) -> None:
        """MXC heater inactive with zero manual power (the safe state), verified."""
        self._update_heater(active=False, power=0.0)


__all__ = ["BlueforsOptions", "BlueforsTC", "api_time", "convert_http_error",
           "parse_device_time"]
