"""S21 sweep: transmission of a DUT against VNA source power and MXC temperature.

For each MXC setpoint (optional) the fridge is regulated and waited on until
stable; for each source power the VNA takes one sweep. Every point stores the
complex S21 trace and the stage temperatures read right after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cryochar.core.config import SafetyLimits
from cryochar.core.units import Duration, Frequency, PowerDbm, Temperature
from cryochar.drivers.protocols import VNA, TemperatureController
from cryochar.sequences.base import RunData, Sequence, StoredRun, check_setpoint_limits
from cryochar.sequences.waits import Stability, wait_for_mxc
from cryochar.storage import Layout, RunWriter, Variable


class Parameters(BaseModel):
    """Recipe parameters of ``s21_sweep`` (SI units; strings such as '6 GHz' accepted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start_frequency: Frequency = Field(4e9, gt=0, description="Hz")
    stop_frequency: Frequency = Field(8e9, gt=0, description="Hz")
    points: int = Field(401, ge=2, le=100003)
    if_bandwidth: Frequency = Field(1e3, gt=0, le=15e6, description="Hz")
    averages: int = Field(1, ge=1, le=65536)
    powers_dbm: list[PowerDbm] = Field(default_factory=lambda: [-30.0], min_length=1,
                                       max_length=10000, description="source powers, dBm")
    mxc_temperatures: list[Temperature] | None = Field(
        None, min_length=1, description="MXC setpoints, K; omit to stay at base")
    settle_time: Duration = Field(0.0, ge=0, le=3600, description="wait after a power step, s")
    stability: Stability = Field(default_factory=Stability)

    @model_validator(mode="after")
    def _check(self) -> Parameters:
        if self.stop_frequency <= self.start_frequency:
            raise ValueError("stop_frequency must be above start_frequency")
        if self.mxc_temperatures and any(t <= 0 for t in self.mxc_temperatures):
            raise ValueError("mxc_temperatures must be positive (K)")
        return self


class S21Sweep(Sequence):
    """VNA S21 against source power (and optionally MXC temperature)."""

    name = "s21_sweep"
    Parameters = Parameters
    roles: ClassVar[dict[str, type]] = {"vna": VNA, "fridge": TemperatureController}

    @classmethod
    def plan(cls, params: Parameters) -> dict[str, tuple[np.ndarray, str]]:
        temperatures = params.mxc_temperatures or [np.nan]
        setpoints, powers = np.meshgrid(temperatures, params.powers_dbm, indexing="ij")
        return {"mxc_setpoint": (setpoints.ravel(), "K"), "power_dbm": (powers.ravel(), "dBm")}

    @classmethod
    def check_limits(cls, params: Parameters, limits: Mapping[str, SafetyLimits],
                     source: str) -> None:
        """Highest power and MXC setpoint against the station's limits."""
        check_setpoint_limits(limits["vna"], source, powers_dbm=("powers_dbm", params.powers_dbm))
        check_setpoint_limits(limits["fridge"], source, mxc_temperatures=(
            "mxc_temperatures", params.mxc_temperatures or []))

    def setup(self) -> None:
        p = self.params
        self.vna: VNA = self.instruments["vna"]
        self.fridge: TemperatureController = self.instruments["fridge"]
        self.vna.configure_sweep(p.start_frequency, p.stop_frequency, p.points, p.if_bandwidth,
                                 p.averages)
        self._stages = sorted(self.fridge.stage_temperatures())
        self._setpoint = float("nan")
        self._stable = True

    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        return Layout(
            points_planned=len(plan["power_dbm"][0]),
            axes={"frequency": (self.vna.frequencies(), "Hz"),
                  "stage": (np.array(self._stages), "")},
            plan=plan,
            variables=(
                Variable("s21", ("frequency",), "complex128", "", "S21 as measured"),
                Variable("stage_temperature", ("stage",), "float64", "K",
                         "stage temperatures read after the sweep"),
                Variable("time", (), "float64", "seconds since 1970-01-01",
                         "time of the sweep on the run's clock"),
                Variable("mxc_stable", (), "uint8", "", "1 when the MXC met the stability rule"),
            ))

    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        setpoint = point["mxc_setpoint"]
        if np.isfinite(setpoint) and setpoint != self._setpoint:
            self.ctx.log(f"MXC to {setpoint * 1e3:.1f} mK")
            self.fridge.set_mxc_temperature(setpoint)
            self._stable = wait_for_mxc(self.fridge, setpoint, self.ctx,
                                        self.params.stability).stable
            if not self._stable:
                self.ctx.log(f"MXC not stable at {setpoint * 1e3:.1f} mK within the timeout")
            self._setpoint = setpoint
        self.vna.set_source_power(point["power_dbm"])
        self.vna.set_rf_output(True)
        self.ctx.sleep(self.params.settle_time)
        trace = self.vna.measure_s_parameters(["S21"])["S21"]
        temperatures = self.fridge.stage_temperatures()
        return {"s21": trace, "time": self.ctx.clock.now(), "mxc_stable": int(self._stable),
                "stage_temperature": [temperatures[s] for s in self._stages]}

    def safe_stop(self) -> None:
        for action in (lambda: self.vna.set_rf_output(False), self._heater_safe):
            try:
                action()
            except Exception as exc:  # keep going: the other instrument must be made safe too
                self.ctx.log(f"safe stop: {exc}")

    def _heater_safe(self) -> None:
        if self.params.mxc_temperatures:
            self.fridge.heater_off()

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        return summarise_sweep(data, self._stages)

    @classmethod
    def reanalyse(cls, params: Parameters, run: StoredRun) -> dict[str, Any]:
        return summarise_sweep(run, run.axis("stage").tolist())


def summarise_sweep(data: RunData, stages: list[str]) -> dict[str, Any]:
    """|S21| (dB) per completed point with its MXC setpoint and reading (K); ``stages``:
    the names along the ``stage`` axis of ``stage_temperature``."""
    s21_db = 20 * np.log10(np.abs(data.read("s21")))
    mxc = data.read("stage_temperature")[:, stages.index("mxc")] if "mxc" in stages else []
    done = data.completed_points()
    return {
        "power_dbm": data.read("power_dbm").tolist(),
        "mxc_setpoint": [None if not np.isfinite(v) else v
                         for v in data.read("mxc_setpoint").tolist()],
        "mxc_temperature": np.asarray(mxc).tolist(),
        "s21_db_mean": np.round(s21_db.mean(axis=1), 4).tolist(),
        "s21_db_std": np.round(s21_db.std(axis=1), 4).tolist(),
        "points": [int(i) for i in done],
    }


SEQUENCE = S21Sweep

__all__ = ["SEQUENCE", "Parameters", "S21Sweep", "summarise_sweep"]
