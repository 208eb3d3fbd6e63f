"""Driver for the twin's qubit controller (HTTP + JSON, see
``cryochar.sim.servers.qubit_controller`` for the API).

A qcodes ``Instrument`` whose transport is plain HTTP through urllib, with
an I/O timeout per request. Transient failures (timeouts, dropped
connections, undecodable replies) are retried once on a new connection; a
second failure becomes :class:`InstrumentTimeout` or
:class:`CommunicationError` naming the instrument and the endpoint, and
survived faults are counted in ``faults``. A refused request (HTTP 4xx/5xx)
is an :class:`InstrumentError` carrying the controller's message. The drive
power is a qcodes parameter whose validator is the station's
``max_source_power_dbm``: exceeding it raises :class:`InterlockError` before
anything is sent.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from qcodes.instrument import Instrument
from qcodes.validators import Bool, Numbers

from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    ConfigError,
    InstrumentError,
    InstrumentTimeout,
)
from cryochar.drivers.base import LimitValidator, closed_on_failure
from cryochar.drivers.qubit.experiment import ExperimentCounts

log = logging.getLogger(__name__)
TRANSIENT = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)
"""Failures worth one retry (HTTPError, a refusal, is handled before these)."""
EXPERIMENT_MARGIN = 1.5
"""An experiment's reply may take this many times its expected duration (+ the I/O timeout)."""


class TwinQubitControllerOptions(BaseModel):
    """Station ``options`` of the twin's qubit controller (none yet)."""

    model_config = ConfigDict(extra="forbid")


def convert_http_error(instrument: str, endpoint: str, exc: BaseException) -> InstrumentError:
    """The cryochar error for a transport failure on ``endpoint`` (e.g. ``POST /drive``)."""
    where = f"{instrument}: {endpoint}"
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError):
        return InstrumentTimeout("no reply in time", where=where,
                                 fix="check the controller is on and the address is right")
    if isinstance(exc, ValueError) and not isinstance(exc, urllib.error.URLError):
        garbled = CommunicationError("garbled reply (not JSON)", where=where,
                                     fix="check the address points at the qubit controller")
        garbled.kind = "garbled"
        return garbled
    return CommunicationError(f"communication failed ({reason})", where=where,
                              fix="check the connection; the controller may have dropped it")


class TwinQubitController(Instrument):
    """The twin's qubit controller as a :class:`~cryochar.drivers.protocols.QubitController`."""

    def __init__(self, name: str, address: str, *, limits: SafetyLimits | None = None,
                 options: TwinQubitControllerOptions | None = None, timeout: float = 5.0,
                 **kwargs: Any):
        kwargs.pop("visalib", None)  # HTTP, not VISA: the registry's VISA backend is unused
        if not address.startswith(("http://", "https://")):
            raise ConfigError(f"address {address!r} is not an HTTP URL", where=name,
                              fix="give the controller's URL, e.g. http://192.0.2.10:8080")
        super().__init__(name, **kwargs)
        self.address = address.rstrip("/")
        self.timeout = float(timeout)
        self.limits = limits or SafetyLimits()
        self.options = options or TwinQubitControllerOptions()
        self.faults: Counter[str] = Counter()
        self.add_parameter("drive_frequency", unit="Hz", label="Drive frequency",
                           vals=Numbers(100e6, 20e9), get_cmd=lambda: self._drive()["frequency"],
                           set_cmd=lambda v: self._post("/drive", {"frequency": float(v)}))
        self.add_parameter("drive_power", unit="dBm", label="Drive power at the source",
                           vals=LimitValidator(-130, 20, limit=self.limits.max_source_power_dbm,
                                               what="drive power", unit="dBm"),
                           get_cmd=lambda: self._drive()["power_dbm"],
                           set_cmd=lambda v: self._post("/drive", {"power_dbm": float(v)}))
        self.add_parameter("drive_on", label="Drive on", vals=Bool(),
                           get_cmd=lambda: self._drive()["on"],
                           set_cmd=lambda v: self._post("/drive", {"on": bool(v)}))
        with closed_on_failure(self):
            self._timing = self._get("/status")
            self.connect_message()

    def connect_message(self, idn_param: str = "IDN", begin_time: float | None = None) -> None:
        """Log (not print) the connection, so ``--json`` output stays clean."""
        log.info("connected to %s: %s", self.name, self.parameters[idn_param].get())

    def get_idn(self) -> dict[str, str | None]:
        """Vendor, model, serial and firmware from ``GET /identity``."""
        reply = self._get("/identity")
        return {key: reply.get(key) for key in ("vendor", "model", "serial", "firmware")}

    # -- capability: QubitController ------------------------------------------------------
    def run_t1(self, delays: Sequence[float], shots: int) -> ExperimentCounts:
        """T1 experiment at ``delays`` s with ``shots`` shots per delay."""
        return self._experiment("t1", delays, shots, {})

    def run_ramsey(self, delays: Sequence[float], shots: int,
                   detuning: float = 0.0) -> ExperimentCounts:
        """Ramsey experiment, ``detuning`` Hz."""
        return self._experiment("ramsey", delays, shots, {"detuning": float(detuning)})

    def run_echo(self, delays: Sequence[float], shots: int) -> ExperimentCounts:
        """Hahn echo; ``delays`` are total free evolution times, s."""
        return self._experiment("echo", delays, shots, {})

    def set_drive(self, frequency: float, power_dbm: float, on: bool) -> None:
        """Set the tone in one request, after checking every value (limits first)."""
        self.drive_power.validate(power_dbm)  # InterlockError above the station limit
        self.drive_frequency.validate(frequency)
        self.drive_on.validate(bool(on))
        self._post("/drive", {"frequency": float(frequency), "power_dbm": float(power_dbm),
                              "on": bool(on)})
        self.drive_frequency.cache.set(float(frequency))
        self.drive_power.cache.set(float(power_dbm))
        self.drive_on.cache.set(bool(on))

    def drive_off(self) -> None:
        """Switch the tone off (the safe state)."""
        self.drive_on(False)

    # -- transport ----------------------------------------------------------------------
    def _drive(self) -> dict[str, Any]:
        return self._get("/drive")

    def _experiment(self, kind: str, delays: Sequence[float], shots: int,
                    extra: dict[str, Any]) -> ExperimentCounts:
        values = [float(d) for d in delays]
        expected = (int(shots) * (len(values) * self._timing["repetition_time"] + sum(values))
                    + self._timing["experiment_overhead"])
        endpoint = f"/experiments/{kind}"
        reply = self._request("POST", endpoint, {"delays": values, "shots": int(shots), **extra},
                              timeout=self.timeout + EXPERIMENT_MARGIN * expected)
        try:
            return ExperimentCounts(kind, reply["delays"], reply["counts"], int(reply["shots"]),
                                    float(reply["started"]), float(reply["duration"]),
                                    float(reply.get("detuning", 0.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise CommunicationError(f"unexpected reply ({exc})", where=f"{self.name}: POST "
                                     f"{endpoint}", fix="check the controller's API version"
                                     ) from exc

    def _get(self, endpoint: str) -> dict[str, Any]:
        return self._request("GET", endpoint)

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", endpoint, body)

    def _request(self, method: str, endpoint: str, body: dict[str, Any] | None = None,
                 timeout: float | None = None) -> dict[str, Any]:
        """One request; on a transient fault, one retry on a new connection."""
        label = f"{method} {endpoint}"
        try:
            return self._once(method, endpoint, body, timeout)
        except TRANSIENT as exc:
            first = convert_http_error(self.name, label, exc)
        log.info("%s: %s failed (%s), retrying", self.name, label, first.message)
        try:
            result = self._once(method, endpoint, body, timeout)
        except TRANSIENT as exc:
            raise convert_http_error(self.name, label, exc) from exc
        self.faults[first.kind] += 1
        return result

    def _once(self, method: str, endpoint: str, body: dict[str, Any] | None,
              timeout: float | None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.address + endpoint, data=data, method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise self._refused(method, endpoint, exc) from exc
        if not isinstance(reply, dict):
            raise ValueError("reply is not a JSON object")
        return reply

    def _refused(self, method: str, endpoint: str, exc: urllib.error.HTTPError) -> InstrumentError:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except (ValueError, AttributeError, OSError):
            message = exc.reason
        return InstrumentError(f"the controller refused the request (HTTP {exc.code}: "
                               f"{message})", where=f"{self.name}: {method} {endpoint}",
                               fix="check the values against the controller's limits "
                                   "(GET /status)")


__all__ = ["TwinQubitController", "TwinQubitControllerOptions", "convert_http_error"]
