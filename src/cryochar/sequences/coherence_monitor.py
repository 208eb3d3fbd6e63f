"""Coherence monitor: interleaved T1 / T2* / T2 echo, repeated for hours.

Each point is one cycle: a T1, a Ramsey and a Hahn-echo experiment back to
back, started every ``interval`` seconds. Raw single-shot counts are stored
with a quick per-cycle fit; at the end every trace is refitted in one batch
and the T1 series is analysed as a time series (median/IQR, mean/std,
Allan deviation, telegraph switching) rather than reduced to one number.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cryochar.analysis.coherence import (
    EchoResult,
    RamseyResult,
    T1Result,
    analyse_series,
    fit_echo,
    fit_ramsey,
    fit_t1,
)
from cryochar.core.units import Duration, Frequency
from cryochar.drivers.protocols import QubitController, TemperatureController
from cryochar.sequences.base import RunData, Sequence, StoredRun
from cryochar.sequences.qubit_common import Delays
from cryochar.storage import Layout, RunWriter, Variable


class Parameters(BaseModel):
    """Recipe parameters of ``coherence_monitor`` (SI units; '50 us' accepted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repetitions: int = Field(120, ge=1, le=1_000_000, description="cycles to run")
    interval: Duration = Field(60.0, ge=0, le=86400, description="cycle start to start, s")
    shots: int = Field(500, ge=10, le=1_000_000, description="shots per delay")
    t1: Delays = Field(default_factory=lambda: Delays(max_delay=500e-6))
    ramsey: Delays = Field(default_factory=lambda: Delays(max_delay=60e-6, points=81))
    ramsey_detuning: Frequency = Field(150e3, ge=0, le=50e6, description="Hz")
    echo: Delays = Field(default_factory=lambda: Delays(max_delay=300e-6))


class CoherenceMonitor(Sequence):
    """Interleaved coherence measurements over time, analysed as a time series."""

    name = "coherence_monitor"
    Parameters = Parameters
    roles: ClassVar[dict[str, type]] = {"qubit": QubitController,
                                        "fridge": TemperatureController}

    @classmethod
    def plan(cls, params: Parameters) -> dict[str, tuple[np.ndarray, str]]:
        return {"cycle": (np.arange(params.repetitions), "")}

    def setup(self) -> None:
        self.qubit: QubitController = self.instruments["qubit"]
        self.fridge: TemperatureController = self.instruments["fridge"]
        self.qubit.drive_off()
        self._start = self.ctx.clock.now()

    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        p = self.params
        scalars = [Variable(name, (), "float64", "s", text) for name, text in (
            ("t1", "T1 of the cycle's quick fit"), ("t1_stderr", ""),
            ("t2_star", "T2* of the cycle's quick fit"), ("t2_star_stderr", ""),
            ("t2_echo", "T2 echo of the cycle's quick fit"), ("t2_echo_stderr", ""))]
        return Layout(
            points_planned=len(plan["cycle"][0]),
            axes={"t1_delay": (p.t1.grid(), "s"), "ramsey_delay": (p.ramsey.grid(), "s"),
                  "echo_delay": (p.echo.grid(), "s")},
            plan=plan,
            variables=(
                Variable("t1_counts", ("t1_delay",), "int64", "", "shots read in |1>"),
                Variable("ramsey_counts", ("ramsey_delay",), "int64", "", "shots read in |1>"),
                Variable("echo_counts", ("echo_delay",), "int64", "", "shots read in |1>"),
                Variable("time", (), "float64", "seconds since 1970-01-01", "cycle start"),
                Variable("mxc_temperature", (), "float64", "K", "MXC reading after the cycle"),
                *scalars,
                Variable("fit_ok", (), "uint8", "", "bits: 1 T1, 2 T2*, 4 T2 echo fits ok"),
            ))

    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        p = self.params
        due = self._start + index * p.interval
        self.ctx.sleep(max(0.0, due - self.ctx.clock.now()))
        started = self.ctx.clock.now()
        t1 = self.qubit.run_t1(p.t1.grid(), p.shots)
        ramsey = self.qubit.run_ramsey(p.ramsey.grid(), p.shots, p.ramsey_detuning)
        echo = self.qubit.run_echo(p.echo.grid(), p.shots)
        f1 = fit_t1(t1.delays, t1.counts / t1.shots, shots=t1.shots, profile=False)
        f2 = fit_ramsey(ramsey.delays, ramsey.counts / ramsey.shots, shots=ramsey.shots,
                        profile=False)
        fe = fit_echo(echo.delays, echo.counts / echo.shots, shots=echo.shots, profile=False)
        return {"t1_counts": t1.counts, "ramsey_counts": ramsey.counts,
                "echo_counts": echo.counts, "time": started,
                "mxc_temperature": self.fridge.mxc_temperature(),
                "t1": f1.T1, "t1_stderr": f1.T1_stderr, "t2_star": f2.T2_star,
                "t2_star_stderr": f2.T2_star_stderr, "t2_echo": fe.T2_echo,
                "t2_echo_stderr": fe.T2_echo_stderr,
                "fit_ok": int(f1.ok) | 2 * int(f2.ok) | 4 * int(fe.ok)}

    def safe_stop(self) -> None:
        try:
            self.qubit.drive_off()
        except Exception as exc:  # logged; the runner records the run's own outcome
            self.ctx.log(f"safe stop: {exc}")

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        return summarise_run(self.params, data)

    @classmethod
    def reanalyse(cls, params: Parameters, run: StoredRun) -> dict[str, Any]:
        return summarise_run(params, run)


def summarise_run(p: Parameters, data: RunData) -> dict[str, Any]:
    """The summary of a run's completed cycles (at its end, or re-analysed from its file)."""
    return summarise_series(p, data.read("time"), data.read("t1_counts"),
                            data.read("ramsey_counts"), data.read("echo_counts"))


def fit_cycles(p: Parameters, t1_counts: np.ndarray, ramsey_counts: np.ndarray,
               echo_counts: np.ndarray) -> tuple[T1Result, RamseyResult, EchoResult]:
    """The batch T1, Ramsey and echo fits of every cycle (counts of ``p.shots`` shots
    per delay, one row per cycle), binomially weighted."""
    n = p.shots
    return (fit_t1(p.t1.grid(), t1_counts / n, shots=n),
            fit_ramsey(p.ramsey.grid(), ramsey_counts / n, shots=n),
            fit_echo(p.echo.grid(), echo_counts / n, shots=n))


def summarise_series(p: Parameters, times: np.ndarray, t1_counts: np.ndarray,
                     ramsey_counts: np.ndarray, echo_counts: np.ndarray) -> dict[str, Any]:
    """Batch refit of every cycle and the time-series statistics of T1 (and T2)."""
    f1, f2, fe = fit_cycles(p, t1_counts, ramsey_counts, echo_counts)
    t1 = np.where(f1.ok, f1.T1, np.nan)
    results: dict[str, Any] = {
        "cycles": int(t1.size), "t1_ok_fraction": float(np.mean(f1.ok)),
        "t2_star_median": _median(np.where(f2.ok, f2.T2_star, np.nan)),
        "t2_echo_median": _median(np.where(fe.ok, fe.T2_echo, np.nan)),
    }
    if np.isfinite(t1).sum() < 4:
        return {**results, "t1_median": _median(t1), "note": "fewer than 4 good T1 fits"}
    spacing = float(np.median(np.diff(times))) if times.size > 1 else 1.0
    report = analyse_series(t1, rate=1.0 / max(spacing, 1e-9))
    stats = report.summary.time
    results.update({
        "t1_median": stats.median, "t1_iqr": stats.iqr, "t1_mean": stats.mean,
        "t1_std": stats.std, "t1_mean_stderr": float(report.summary.mean.se),
        "allan_deviation": {"tau": report.allan.tau.tolist(),
                            "adev": report.allan.adev.tolist()},
    })
    tg = report.telegraph
    detected = tg is not None and len(tg.switch_indices) > 0
    results["telegraph"] = {"detected": bool(detected),
                            "switching_rate": float(tg.switching_rate) if detected else None,
                            "levels": list(tg.levels) if detected else None}
    return results


def _median(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else None


SEQUENCE = CoherenceMonitor

__all__ = ["SEQUENCE", "CoherenceMonitor", "Parameters", "fit_cycles", "summarise_run",
           "summarise_series"]
