"""Waiting for the fridge: stability checks built on the run's clock."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from cryochar.core.errors import ReadingDropout
from cryochar.core.units import Duration
from cryochar.drivers.protocols import TemperatureController
from cryochar.sequences.base import RunContext


class Stability(BaseModel):
    """When the MXC counts as stable: within ``tolerance`` of the target for ``window``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tolerance: float = Field(0.02, gt=0, le=0.5, description="relative to the setpoint")
    window: Duration = Field(60.0, ge=0, le=3600, description="time within tolerance, s")
    poll: Duration = Field(10.0, gt=0, le=600, description="reading interval, s")
    timeout: Duration = Field(3600.0, gt=0, le=86400, description="give up after, s")


@dataclass(frozen=True)
class StabilityResult:
    """Outcome of a wait: reached or not, the last reading (K) and the time waited (s)."""

    stable: bool
    temperature: float
    waited: float


def wait_for_mxc(fridge: TemperatureController, target: float, ctx: RunContext,
                 rule: Stability) -> StabilityResult:
    """Poll the MXC until it stays within tolerance of ``target`` K for the window.

    A reading that drops out (invalid) carries no information: the wait skips it.
    """
    start = ctx.clock.now()
    inside_since: float | None = None
    reading = _read(fridge)
    while True:
        now = ctx.clock.now()
        if abs(reading - target) <= rule.tolerance * target:
            inside_since = now if inside_since is None else inside_since
            if now - inside_since >= rule.window:
                return StabilityResult(True, reading, now - start)
        else:
            inside_since = None
        if now - start >= rule.timeout:
            return StabilityResult(False, reading, now - start)
        ctx.sleep(rule.poll)
        reading = _read(fridge, reading)


def _read(fridge: TemperatureController, previous: float = float("nan")) -> float:
    try:
        return fridge.mxc_temperature()
    except ReadingDropout:
        return previous  # no new information this time (nan: not yet inside)


__all__ = ["Stability", "StabilityResult", "wait_for_mxc"]
