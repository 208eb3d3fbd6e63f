"""The twin's qubit controller: a small HTTP + JSON API.

Qubit controllers have no common wire protocol (each vendor ships an SDK),
so the twin serves this one, shaped like the REST front ends of lab
controllers. Units: s, Hz, dBm; times on the controller's clock are s since
the UNIX epoch. Every reply is a JSON object; errors are
``{"error": "...", "field": "..."}`` with status 400 (bad request or value),
404 (no such endpoint) or 405 (wrong method).

=======  =====================  =================================================
GET      /identity              ``{"vendor", "model", "serial", "firmware", "api"}``
GET      /status                clock, frequencies, timing, drive, experiment count
GET      /drive                 ``{"frequency", "power_dbm", "on"}``
POST     /drive                 any of ``frequency`` (Hz), ``power_dbm`` (at the
                                source), ``on``; returns the new drive state
POST     /experiments/t1        ``{"delays": [s...], "shots": N}``
POST     /experiments/ramsey    same plus ``"detuning"`` (Hz, default 0)
POST     /experiments/echo      same as t1; a delay is the total free evolution
=======  =====================  =================================================

An experiment replies ``{"experiment", "delays", "counts", "shots", "started",
"duration"}`` (+ ``"detuning"``): ``counts[i]`` of ``shots`` single shots read
|1> after ``delays[i]``. It blocks until done and takes ``duration`` s of
testbed time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cryochar.sim.physics.qubit import EXPERIMENTS, QubitPhysics

MAX_POINTS = 2001
MAX_SHOTS = 100_000
MAX_DELAY = 10e-3  # s
MAX_DETUNING = 50e6  # Hz
FREQUENCY_RANGE = (100e6, 20e9)  # Hz, drive source
POWER_RANGE = (-130.0, 20.0)  # dBm, drive source
IDENTITY = {"vendor": "cryochar", "model": "QCT-1 twin qubit controller", "serial": "QCT-0001",
            "firmware": "1.0.0", "api": 1}


class BadRequest(Exception):
    """A request the controller refuses (status 400)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _number(body: dict, name: str, low: float, high: float, default: float | None = None,
            ) -> float:
    value = body.get(name, default)
    if value is None:
        raise BadRequest(f"'{name}' is required", name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"'{name}' must be a finite number, got {value!r}", name)
    if not low <= value <= high:
        raise BadRequest(f"'{name}' = {value!r} is outside {low:g}..{high:g}", name)
    return float(value)


def _delays(body: dict) -> np.ndarray:
    delays = body.get("delays")
    if not isinstance(delays, list) or not 1 <= len(delays) <= MAX_POINTS:
        raise BadRequest(f"'delays' must be a list of 1..{MAX_POINTS} numbers (s)", "delays")
    if any(isinstance(d, bool) or not isinstance(d, int | float) for d in delays):
        raise BadRequest("'delays' must hold numbers (s)", "delays")
    values = np.asarray(delays, dtype=float)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > MAX_DELAY:
        raise BadRequest(f"delays must lie in 0..{MAX_DELAY:g} s", "delays")
    return values


def _shots(body: dict) -> int:
    shots = body.get("shots")
    if isinstance(shots, bool) or not isinstance(shots, int) or not 1 <= shots <= MAX_SHOTS:
        raise BadRequest(f"'shots' must be an integer in 1..{MAX_SHOTS}", "shots")
    return shots


def _object(body: Any, allowed: set[str]) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; fields: "
                         f"{', '.join(sorted(allowed))}", unknown[0])
    return body


class QubitControllerDevice:
    """HTTP device serving the twin's qubit (see the module docstring for the API)."""

    def __init__(self, physics: QubitPhysics):
        self.physics = physics
        self._routes = {
            ("GET", "/identity"): lambda body: dict(IDENTITY),
            ("GET", "/status"): lambda body: self._status(),
            ("GET", "/drive"): lambda body: self._drive_state(),
            ("POST", "/drive"): self._set_drive,
            **{("POST", f"/experiments/{kind}"): (lambda body, k=kind: self._experiment(k, body))
               for kind in EXPERIMENTS},
        }

    def handle_http(self, method: str, path: str, query: dict[str, list[str]],
                    body: Any) -> tuple[int, Any]:
        """Answer one request: (status, JSON object)."""
        path = path.rstrip("/") or "/"
        handler = self._routes.get((method, path))
        if handler is None:
            if any(p == path for _, p in self._routes):
                allowed = sorted(m for m, p in self._routes if p == path)
                return 405, {"error": f"{method} is not allowed on {path}; use "
                                      f"{' or '.join(allowed)}"}
            return 404, {"error": f"no endpoint {method} {path}"}
        try:
            return 200, handler(body)
        except BadRequest as exc:
            return 400, {"error": str(exc), "field": exc.field}
        except Exception as exc:  # a bug must not take the server down
            return 500, {"error": f"internal error: {exc}"}

    def _status(self) -> dict[str, Any]:
        q, p = self.physics.qubit, self.physics
        return {"time": p.clock.now(), "qubit_frequency": q.frequency,
                "resonator_frequency": p.resonator.frequency,
                "repetition_time": q.repetition_time, "experiment_overhead": q.experiment_overhead,
                "drive": self._drive_state(), "experiments_run": p.experiments_run,
                "limits": {"max_points": MAX_POINTS, "max_shots": MAX_SHOTS,
                           "max_delay": MAX_DELAY}}

    def _drive_state(self) -> dict[str, Any]:
        d = self.physics.drive
        return {"frequency": d.frequency, "power_dbm": d.power_dbm, "on": d.on}

    def _set_drive(self, body: Any) -> dict[str, Any]:
        body = _object(body, {"frequency", "power_dbm", "on"})
        frequency = power = on = None
        if "frequency" in body:
            frequency = _number(body, "frequency", *FREQUENCY_RANGE)
        if "power_dbm" in body:
            power = _number(body, "power_dbm", *POWER_RANGE)
        if "on" in body:
            if not isinstance(body["on"], bool):
                raise BadRequest("'on' must be true or false", "on")
            on = body["on"]
        self.physics.set_drive(frequency, power, on)
        return self._drive_state()

    def _experiment(self, kind: str, body: Any) -> dict[str, Any]:
        allowed = {"delays", "shots"} | ({"detuning"} if kind == "ramsey" else set())
        body = _object(body, allowed)
        delays, shots = _delays(body), _shots(body)
        detuning = (_number(body, "detuning", -MAX_DETUNING, MAX_DETUNING, 0.0)
                    if kind == "ramsey" else 0.0)
        record = self.physics.run(kind, delays, shots, detuning)
        reply = {"experiment": kind, "delays": record.delays.tolist(),
                 "counts": record.counts.tolist(), "shots": record.shots,
                 "started": record.started, "duration": record.duration}
        if kind == "ramsey":
            reply["detuning"] = record.detuning
        return reply


__all__ = ["IDENTITY", "MAX_DELAY", "MAX_POINTS", "MAX_SHOTS", "QubitControllerDevice"]
