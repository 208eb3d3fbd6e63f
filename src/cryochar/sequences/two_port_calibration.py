"""In-situ two-port calibration at millikelvin through cryogenic switches, with its budget.

Two latching SP6T switches at the MXC, one per VNA port, carry the standards
(short/open/load on each switch; thru, DUT and verification standard between
the same throw of both). Every step is a planned point, so a killed run
resumes where it stopped:

1. ``stabilise``: wait until the MXC is stable at base (or at ``mxc_temperature``);
2. ``repeats`` cycles of short, open, load, thru, DUT, verification: both
   switches to the same throw (one-port standards are measured on both ports
   at once), each after a fresh actuation (a switch already on the throw is
   first moved away: a pulse to the closed throw does not reseat the contact),
   one sweep of the raw S11, S12, S21, S22; at the thru also the switch terms;
3. ``check``: the check standard once more, to see whether the error boxes
   drifted since its first measurement.

Every point stores the raw complex 2x2 S-parameters (axes ``frequency`` and
``sparam`` = S11, S12, S21, S22, row-major), the switch terms (thru points),
the switch pulse counts, the time and the stage temperatures. The plan holds
``step`` (an index into the ``step_name`` axis), ``repeat`` and ``throw``.

The summary solves SOLR (unknown thru) or SOLT from the means of the repeats,
corrects the DUT and the verification standard, and gives a Monte Carlo
uncertainty budget, the verification verdict, a drift (stale) check and the
residual error terms (:mod:`._two_port_analysis`). Arrays over frequency in
the results are every ``summary_stride``-th point (all of them up to
``summary_points``); the full-resolution data stay in the run file.

Touchstone: ``cryochar export RUN --touchstone`` writes the calibrated DUT,
the verification standard and the error terms next to the run file. Design:
the run file keeps what was measured (raw data, fixed layout, crash-safe:
no metadata changes after creation) and the calibration is a deterministic
function of it, so the export re-derives the error terms and corrected data
with :func:`analyse_run`, the same code as this summary. The sequence does no
file I/O besides its RunWriter, and storage needs no change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cryochar.analysis.calibration import ErrorTerms
from cryochar.core.config import SafetyLimits
from cryochar.core.errors import (
    CommunicationError,
    InstrumentError,
    InstrumentTimeout,
    ReadingDropout,
)
from cryochar.core.units import Frequency, PowerDbm, Temperature
from cryochar.drivers.protocols import VNA, RFSwitch, TemperatureController
from cryochar.sequences._two_port_analysis import (
    CYCLE,
    SPARAMS,
    STEPS,
    Calibration,
    calibrate,
    session_data,
    solve_session,
    summary,
)
from cryochar.sequences._two_port_definitions import (
    BudgetSettings,
    CalKitDefinition,
    ThruDefinition,
    VerificationDefinition,
)
from cryochar.sequences.base import RunData, Sequence, StoredRun, check_setpoint_limits
from cryochar.sequences.waits import Stability, wait_for_mxc
from cryochar.storage import Layout, RunWriter, Variable

PORTS = (1, 2)
DIRECTIONS = ("forward", "reverse")  # switch terms gamma_f = a2/b2, gamma_r = a1/b1


class Parameters(BaseModel):
    """Recipe parameters of ``two_port_calibration`` (SI units; '4 GHz' strings accepted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: Literal["solr", "solt"] = Field("solr", description=(
        "solr: unknown reciprocal thru; solt: the thru as defined (8-term)"))
    start_frequency: Frequency = Field(4e9, gt=0, description="Hz")
    stop_frequency: Frequency = Field(8e9, gt=0, description="Hz")
    points: int = Field(201, ge=21, le=20001)
    if_bandwidth: Frequency = Field(1e3, gt=0, le=15e6, description="Hz")
    averages: int = Field(1, ge=1, le=65536)
    power_dbm: PowerDbm = Field(-10.0, description="source power, dBm")
    repeats: int = Field(3, ge=2, le=50, description="actuations of every standard and DUT")
    throws: dict[str, int] = Field(
        default_factory=lambda: {"short": 1, "open": 2, "load": 3, "thru": 4, "dut": 5,
                                 "verification": 6},
        description="what hangs off each throw (the same on both switches)")
    check_standard: Literal["short", "open", "load", "thru"] = "thru"
    mxc_temperature: Temperature | None = Field(
        None, description="MXC setpoint, K; omit to calibrate at base temperature")
    stability: Stability = Field(default_factory=Stability)
    actuation_attempts: int = Field(3, ge=1, le=10, description="pulses per missed actuation")
    calkit: CalKitDefinition = Field(default_factory=CalKitDefinition)
    thru: ThruDefinition = Field(default_factory=ThruDefinition)
    verification: VerificationDefinition = Field(default_factory=VerificationDefinition)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    residual_window: int | None = Field(None, ge=3, description=(
        "points per residual-term fit; omit for one fit over the band"))
    drift_alpha: float = Field(1e-3, gt=0, lt=0.5, description="false-alarm level of the check")
    summary_points: int = Field(201, ge=2, le=2001, description="array length in the results")

    @field_validator("throws")
    @classmethod
    def _wiring(cls, value: dict[str, int]) -> dict[str, int]:
        missing = [name for name in CYCLE if name not in value]
        if missing:
            raise ValueError(f"throws must name {', '.join(missing)}")
        if any(not 1 <= n <= 6 for n in value.values()) or len(set(value.values())) != len(value):
            raise ValueError("throws are distinct numbers 1..6")
        return value

    @model_validator(mode="after")
    def _check(self) -> Parameters:
        if self.stop_frequency <= self.start_frequency:
            raise ValueError("stop_frequency must be above start_frequency")
        return self


class TwoPortCalibration(Sequence):
    """SOLR/SOLT calibration through cryogenic switches, DUT and verification, with budget."""

    name = "two_port_calibration"
    Parameters = Parameters
    roles: ClassVar[dict[str, type]] = {"vna": VNA, "switch": RFSwitch,
                                        "fridge": TemperatureController}

    @classmethod
    def plan(cls, params: Parameters) -> dict[str, tuple[np.ndarray, str]]:
        cycles = [(kind, r) for r in range(1, params.repeats + 1) for kind in CYCLE]
        steps = [("stabilise", 0), *cycles, ("check", 0)]
        throws = [0 if kind == "stabilise" else params.throws[
            params.check_standard if kind == "check" else kind] for kind, _ in steps]
        return {"step": (np.array([STEPS.index(k) for k, _ in steps]), ""),
                "repeat": (np.array([r for _, r in steps]), ""),
                "throw": (np.array(throws), "")}

    @classmethod
    def check_limits(cls, params: Parameters, limits: Mapping[str, SafetyLimits],
                     source: str) -> None:
        """Source power and MXC setpoint against the station's limits."""
        check_setpoint_limits(limits["vna"], source, powers_dbm=("power_dbm", [params.power_dbm]))
        check_setpoint_limits(limits["fridge"], source, mxc_temperatures=(
            "mxc_temperature", [] if params.mxc_temperature is None else [params.mxc_temperature]))

    def setup(self) -> None:
        p = self.params
        self.vna: VNA = self.instruments["vna"]
        self.switch: RFSwitch = self.instruments["switch"]
        self.fridge: TemperatureController = self.instruments["fridge"]
        self.vna.configure_sweep(p.start_frequency, p.stop_frequency, p.points, p.if_bandwidth,
                                 p.averages)
        self.vna.set_source_power(p.power_dbm)
        self.vna.set_rf_output(True)
        self.frequency = np.asarray(self.vna.frequencies(), dtype=float)
        self.stages = sorted(self.fridge.stage_temperatures())
        self._stable: bool | None = None  # None: not yet waited for in this session

    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        return Layout(
            points_planned=len(plan["step"][0]),
            axes={"frequency": (self.frequency, "Hz"), "sparam": (np.array(SPARAMS), ""),
                  "direction": (np.array(DIRECTIONS), ""), "stage": (np.array(self.stages), ""),
                  "port": (np.array(PORTS), ""), "step_name": (np.array(STEPS), "")},
            plan=plan,
            variables=(
                Variable("s", ("frequency", "sparam"), "complex128", "",
                         "raw S-parameters (switch terms not removed)"),
                Variable("switch_terms", ("frequency", "direction"), "complex128", "",
                         "gamma_f = a2/b2 (port 1 driving), gamma_r = a1/b1 (thru points)"),
                Variable("actuations", ("port",), "int64", "", "switch pulses so far"),
                Variable("time", (), "float64", "seconds since 1970-01-01",
                         "time of the sweep on the run's clock"),
                Variable("stage_temperature", ("stage",), "float64", "K",
                         "stage temperatures read after the point"),
                Variable("mxc_stable", (), "uint8", "", "1 when the MXC met the stability rule"),
            ))

    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        kind = STEPS[int(point["step"])]
        self._wait_until_stable()
        out: dict[str, Any] = {}
        if kind != "stabilise":
            self._actuate(int(point["throw"]))
            out["time"] = self.ctx.clock.now()
            data = self.vna.measure_s_parameters(SPARAMS)
            out["s"] = self._traces([data[name] for name in SPARAMS])
            if kind == "thru":
                out["switch_terms"] = self._traces(self.vna.measure_switch_terms())
        temperatures = self.fridge.stage_temperatures()
        return {"time": self.ctx.clock.now(), **out,
                "actuations": [self.switch.actuation_count(port) for port in PORTS],
                "stage_temperature": [temperatures[s] for s in self.stages],
                "mxc_stable": int(bool(self._stable))}

    # -- steps -------------------------------------------------------------------------------
    def _traces(self, traces: Any) -> np.ndarray:
        """Traces side by side ``(n, k)``; a trace of the wrong length is a garbled reply,
        raised as a communication fault so the runner measures the point again."""
        lengths = {np.size(t) for t in traces}
        if lengths != {self.frequency.size}:
            raise CommunicationError(f"VNA returned traces of {sorted(lengths)} points, "
                                     f"{self.frequency.size} expected", where="vna",
                                     fix="check the connection; the point is measured again")
        return np.stack(traces, axis=-1)

    def _wait_until_stable(self) -> None:
        """Once per session (a resumed run waits again): regulate if asked, then wait."""
        if self._stable is not None:
            return
        p = self.params
        if p.mxc_temperature is not None:
            self.ctx.log(f"MXC to {p.mxc_temperature * 1e3:.1f} mK")
            self.fridge.set_mxc_temperature(p.mxc_temperature)
            self._stable = wait_for_mxc(self.fridge, p.mxc_temperature, self.ctx,
                                        p.stability).stable
        else:
            self._stable = self._wait_for_base()
        if not self._stable:
            self.ctx.log("MXC not stable within the timeout; calibrating anyway (flagged)")

    def _wait_for_base(self) -> bool:
        """Poll the MXC until its readings over the last ``window`` s span less than
        ``tolerance`` x their mean (no setpoint: the fridge sits at base); readings that
        drop out are skipped, as :func:`wait_for_mxc` does."""
        rule = self.params.stability
        start = self.ctx.clock.now()
        history: list[tuple[float, float]] = []
        while True:
            now = self.ctx.clock.now()
            history = [(t, r) for t, r in history if now - t <= rule.window]
            with contextlib.suppress(ReadingDropout):  # a dropout carries no information
                history.append((now, self.fridge.mxc_temperature()))
            values = np.array([r for _, r in history])
            if history and now - history[0][0] >= rule.window and \
                    np.ptp(values) <= rule.tolerance * values.mean():
                return True
            if now - start >= rule.timeout:
                return False
            self.ctx.sleep(rule.poll)

    def _actuate(self, throw: int) -> None:
        """Both switches to ``throw``, each with a fresh actuation (moved away first if
        already there); a missed pulse (read-back) is retried ``actuation_attempts`` times."""
        for port in PORTS:
            if self.switch.position(port) == throw:
                self._select(port, next(t for t in range(1, 7) if t != throw))
            self._select(port, throw)

    def _select(self, port: int, throw: int) -> None:
        attempts = self.params.actuation_attempts
        for attempt in range(1, attempts + 1):
            try:
                self.switch.select(port, throw)
                return
            except (InstrumentTimeout, CommunicationError):
                raise  # transient: the runner measures the point again, with backoff
            except InstrumentError as exc:  # the read-back shows a missed pulse
                if attempt == attempts:
                    raise
                self.ctx.log(f"switch {port}: {exc.one_line()}; pulsing again")

    def safe_stop(self) -> None:
        actions: list[Callable[[], None]] = [lambda: self.vna.set_rf_output(False)]
        if self.params.mxc_temperature is not None:
            actions.append(self.fridge.heater_off)
        for action in actions:
            try:
                action()
            except Exception as exc:  # keep going: every instrument must be made safe
                self.ctx.log(f"safe stop: {exc}")

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        return summarise_calibration(data, self.frequency, self.stages, self.params)

    @classmethod
    def reanalyse(cls, params: Parameters, run: StoredRun) -> dict[str, Any]:
        return summarise_calibration(run, run.axis("frequency"), run.axis("stage").tolist(),
                                     params)


def summarise_calibration(data: RunData, frequency: np.ndarray, stages: list[str],
                          params: Parameters) -> dict[str, Any]:
    """The summary of a run's completed points (``frequency`` Hz, ``stages`` the names
    along the ``stage`` axis), or why there is no calibration yet."""
    cal = analyse_run(data.read, frequency, stages, params)
    if isinstance(cal, str):
        return {"analysis": f"not possible: {cal}",
                "points": [int(i) for i in data.completed_points()]}
    return {**summary(cal, params.summary_points),
            "mxc_stable": bool(np.all(data.read("mxc_stable")))}


def analyse_run(read: Callable[[str], np.ndarray], frequency: np.ndarray, stages: list[str],
                params: Parameters) -> Calibration | str:
    """The calibration of a run's completed points (``read(name)``: a variable's values at
    the completed points, in point order), or why there is none yet."""
    data = session_data(read, np.asarray(frequency, dtype=float), list(stages),
                        params.check_standard)
    return data if isinstance(data, str) else calibrate(data, params)


def error_terms_of_run(read: Callable[[str], np.ndarray], frequency: np.ndarray,
                       stages: list[str], params: Parameters) -> ErrorTerms | str:
    """Only the error terms of a run's completed points (no budget, no checks: what a
    figure of them needs), or why there are none yet."""
    data = session_data(read, np.asarray(frequency, dtype=float), list(stages),
                        params.check_standard)
    return data if isinstance(data, str) else solve_session(data, params).terms


SEQUENCE = TwoPortCalibration

__all__ = ["SEQUENCE", "Parameters", "TwoPortCalibration", "analyse_run", "error_terms_of_run",
           "summarise_calibration"]
