"""Amplifier gain and noise temperature from a calibrated noise source.

Three sources, one sequence (``source.kind``):

* ``vt_load``: a matched load stepped through physical temperatures (>= 2; a
  multi-temperature fit from 3 on), each after a stability wait;
* ``sntj``: a shot-noise tunnel junction swept in bias (gain absolutely from the
  e/2k slope, junction temperature fitted);
* ``diode``: a room-temperature 346-series diode, on and off, its ENR table
  referred down the input line with the measured stage temperatures.

At every point the spectrum analyser's channel power is read ``repeats``
times at each frequency; their scatter gives the absolute weights. The summary
refers the system result to the amplifier under test: the input loss before it
(at its stage's measured temperature) is de-embedded, then the following HEMT
and room-temperature stages are removed with Friis. Callen-Welton
temperatures throughout (a Rayleigh-Jeans analysis is off by ~hf/2k).

``system_fit_ok`` is false when the system fit raises any quality flag
(:class:`~cryochar.analysis.noise.NoiseFlag`) at any frequency;
``system_fit_flags`` names them. With >= 4 distinct source temperatures (or
SNTJ biases) a gain that compresses between the cold and hot points is flagged
``compression``, and ``compression_db`` gives the gain drop across the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cryochar.analysis.noise import (
    AmplifierNoise,
    CompressionCheck,
    decode_noise_flags,
    deembed_result,
    fit_multi_temperature,
    fit_sntj,
    y_factor,
)
from cryochar.core.errors import ConfigError
from cryochar.core.units import Decibel, Duration, Frequency, Temperature, Voltage
from cryochar.drivers.noise.enr import EnrTable, table_from_mapping
from cryochar.drivers.protocols import NoiseSource, SpectrumAnalyser, TemperatureController
from cryochar.sequences.amplifier_chain import Chain, diode_temperatures, refer_to_amplifier
from cryochar.sequences.base import RunData, Sequence, StoredRun
from cryochar.storage import Layout, RunWriter, Variable

STAGES = ("pt1", "pt2", "still", "cold_plate", "mxc")


class Source(BaseModel):
    """The noise source and its set points."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["vt_load", "sntj", "diode"] = "vt_load"
    temperatures: list[Temperature] = Field(default_factory=lambda: [0.05, 0.5, 1.0, 2.0, 3.0])
    temperature_uncertainty: Temperature = Field(1e-3, ge=0, description="thermometer, K")
    settle: Duration = Field(600.0, ge=0, description="wait after a load step, s")
    biases: list[Voltage] = Field(default_factory=lambda: [0.0, 0.25e-3, 0.5e-3, 1e-3,
                                                           1.5e-3, 2e-3, 3e-3])
    diode_cycles: int = Field(2, ge=1, le=100, description="on/off pairs")
    line: dict[str, Decibel] = Field(default_factory=dict, description=(
        "diode only: attenuation per stage down to the reference plane, dB"))
    enr_uncertainty_db: Decibel = Field(0.1, ge=0)


class Parameters(BaseModel):
    """Recipe parameters of ``amplifier_noise``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    frequencies: list[Frequency] = Field(min_length=1, max_length=2001, description="Hz")
    bandwidth: Frequency = Field(10e6, gt=0, description="channel-power bandwidth, Hz")
    rbw: Frequency = Field(1e6, gt=0, description="resolution bandwidth, Hz")
    averages: int = Field(100, ge=1, le=100000)
    repeats: int = Field(4, ge=2, le=1000, description="readings per frequency and point")
    source: Source = Field(default_factory=Source)
    chain: Chain

    @model_validator(mode="after")
    def _check(self) -> Parameters:
        s = self.source
        if s.kind == "vt_load" and len(s.temperatures) < 2:
            raise ValueError("a variable-temperature load needs at least 2 temperatures")
        if s.kind == "sntj" and len(s.biases) < 4:
            raise ValueError("an SNTJ sweep needs at least 4 biases")
        return self


class AmplifierNoiseSequence(Sequence):
    """Noise power against source state; gain and noise temperature of the DUT."""

    name = "amplifier_noise"
    Parameters = Parameters
    roles: ClassVar[dict[str, type]] = {"analyser": SpectrumAnalyser, "source": NoiseSource,
                                        "fridge": TemperatureController}

    @classmethod
    def plan(cls, params: Parameters) -> dict[str, tuple[np.ndarray, str]]:
        s = params.source
        if s.kind == "vt_load":
            return {"setpoint": (np.array(s.temperatures, float), "K")}
        if s.kind == "sntj":
            return {"setpoint": (np.array(s.biases, float), "V")}
        return {"setpoint": (np.tile([1.0, 0.0], s.diode_cycles), "")}  # diode on / off

    @classmethod
    def check_testbed(cls, params: Parameters, testbed: Any, source: str) -> None:
        """The twin's DUT must be fed by the recipe's kind of noise source: biasing an
        SNTJ that is not connected would measure the load's noise and give nonsense."""
        connected = testbed.twin.noise_source.kind
        if params.source.kind != connected:
            raise ConfigError(
                f"the recipe's noise source is {params.source.kind!r} but the simulated "
                f"testbed's DUT is fed by {connected!r}", where=f"{source}: parameters.source.kind",
                fix=f"add --set twin.noise_source.kind={params.source.kind}")

    def setup(self) -> None:
        self.analyser: SpectrumAnalyser = self.instruments["analyser"]
        self.source: Any = self.instruments["source"]
        self.fridge: TemperatureController = self.instruments["fridge"]
        if self.source.kind != self.params.source.kind:
            raise ConfigError(f"the recipe's source.kind is {self.params.source.kind!r} but "
                              f"the instrument is a {self.source.kind!r}",
                              where="recipe: parameters.source.kind",
                              fix="map the 'source' role to a matching instrument")
        self._stages = sorted(self.fridge.stage_temperatures())

    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        return Layout(
            points_planned=len(plan["setpoint"][0]),
            axes={"frequency": (np.array(self.params.frequencies), "Hz"),
                  "repeat": (np.arange(self.params.repeats), ""),
                  "stage": (np.array(self._stages), "")},
            plan=plan,
            variables=(
                Variable("power", ("frequency", "repeat"), "float64", "W",
                         "channel power over the bandwidth"),
                Variable("source_temperature", (), "float64", "K", "VT load reading"),
                Variable("stage_temperature", ("stage",), "float64", "K"),
                Variable("time", (), "float64", "seconds since 1970-01-01"),
            ))

    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        self._set_source(point["setpoint"])
        p = self.params
        powers = np.array([[self.analyser.noise_power(f, p.bandwidth, p.rbw, p.averages)
                            for _ in range(p.repeats)] for f in p.frequencies])
        load = self.source.temperature() if p.source.kind == "vt_load" else np.nan
        stages = self.fridge.stage_temperatures()
        return {"power": powers, "source_temperature": load, "time": self.ctx.clock.now(),
                "stage_temperature": [stages[s] for s in self._stages]}

    def _set_source(self, setpoint: float) -> None:
        s = self.params.source
        if s.kind == "vt_load":
            self.source.set_temperature(setpoint)
            self.ctx.sleep(s.settle)
        elif s.kind == "sntj":
            self.source.set_bias(setpoint)
        else:
            self.source.set_on(bool(setpoint))

    def safe_stop(self) -> None:
        try:
            self.source.off()
        except Exception as exc:  # logged; the run's outcome is recorded by the runner
            self.ctx.log(f"safe stop: {exc}")

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        return summarise_run(self.params, data, self._stages, self.source)

    @classmethod
    def reanalyse(cls, params: Parameters, run: StoredRun) -> dict[str, Any]:
        source = recorded_diode(run) if params.source.kind == "diode" else None
        return summarise_run(params, run, run.axis("stage").tolist(), source)


def summarise_run(p: Parameters, data: RunData, stages: list[str],
                  source: Any = None) -> dict[str, Any]:
    """:func:`analyse` of a run's completed points; ``stages``: the names along the
    ``stage`` axis; ``source``: the diode (its ENR table), needed for ``kind: diode``."""
    means = dict(zip(stages, data.read("stage_temperature").mean(axis=0), strict=True))
    return analyse(p, data.read("setpoint"), data.read("power"),
                   data.read("source_temperature"), means, source)


@dataclass(frozen=True)
class RecordedDiode:
    """A noise diode as its run recorded it: the ENR table and ambient temperature (K)
    from the station snapshot, with the hot/cold temperatures of the live driver."""

    table: EnrTable
    ambient_temperature: float

    def hot_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature when on, K (as :meth:`Diode346.hot_temperature`)."""
        return self.table.hot_temperature(frequency)

    def cold_temperature(self) -> float:
        """Noise temperature when off, K: the diode's ambient temperature."""
        return self.ambient_temperature


def recorded_diode(run: StoredRun) -> RecordedDiode:
    """The diode of a run, rebuilt from the snapshot of the instrument its recipe mapped
    to the ``source`` role: the calibration the run used, not today's station file."""
    recipe = yaml.safe_load(run.attr("recipe") or "") or {}
    name = (recipe.get("instruments") or {}).get("source", "source")
    snapshot = (run.attr("station_snapshot") or {}).get(name, {})
    metadata = snapshot.get("metadata") or {}
    if "enr_db" not in metadata or "ambient_temperature" not in metadata:
        raise ConfigError("re-analysis not available for amplifier_noise with this diode: "
                          "the run file does not record its ENR table",
                          where=f"station_snapshot.{name}",
                          fix="re-run the recipe with a diode driver that snapshots its ENR")
    table = table_from_mapping({float(f): float(e) for f, e in metadata["enr_db"].items()})
    return RecordedDiode(table, float(metadata["ambient_temperature"]))


def analyse(p: Parameters, setpoints: np.ndarray, power: np.ndarray,
            load_temperatures: np.ndarray, stages: dict[str, float],
            source: Any = None) -> dict[str, Any]:
    """System result from the source, then referred to the amplifier under test."""
    f = np.array(p.frequencies)
    mean = power.mean(axis=2)
    # radiometer noise has one relative size for every point at the same settings: pool
    # it (a sigma from a few repeats per point alone would inflate chi-square ~3x)
    relative = np.sqrt(np.mean((power.std(axis=2, ddof=1) / mean) ** 2))
    sigma = relative * mean / np.sqrt(power.shape[2])
    kind = p.source.kind
    if kind == "vt_load":
        system = fit_multi_temperature(
            load_temperatures, mean, f, p.bandwidth, sigma=sigma,
            temperature_uncertainty=p.source.temperature_uncertainty) \
            if len(setpoints) >= 3 else y_factor(
            mean[1], mean[0], load_temperatures[1], load_temperatures[0], f, p.bandwidth,
            p_hot_uncertainty=sigma[1], p_cold_uncertainty=sigma[0],
            t_hot_uncertainty=p.source.temperature_uncertainty,
            t_cold_uncertainty=p.source.temperature_uncertainty)
    elif kind == "sntj":
        system = fit_sntj(setpoints, mean, f, p.bandwidth, sigma=sigma)
    else:
        on = setpoints > 0.5
        t_hot, t_cold = diode_temperatures(source, f, p.source.line, stages)
        system = y_factor(mean[on].mean(axis=0), mean[~on].mean(axis=0), t_hot, t_cold, f,
                          p.bandwidth, callen_welton=False,
                          p_hot_uncertainty=np.sqrt((sigma[on] ** 2).sum(0)) / on.sum(),
                          p_cold_uncertainty=np.sqrt((sigma[~on] ** 2).sum(0)) / (~on).sum())
    chain = p.chain
    referred = deembed_result(system, chain.input_loss_db,
                              stages.get(chain.input_loss_stage, np.nan),
                              loss_uncertainty_db=chain.input_loss_uncertainty_db,
                              loss_temperature_uncertainty=chain.input_loss_temperature_uncertainty)
    results = refer_to_amplifier(referred, chain)
    results["source"] = kind
    results["system_gain_db"] = np.round(np.asarray(system.gain_db, float), 4).tolist()
    results["system_noise_temperature"] = np.asarray(system.noise_temperature, float).tolist()
    results.update(system_fit_quality(system, results["coverage_factor"]))
    if kind == "sntj":
        results["junction_temperature"] = np.asarray(system.junction_temperature).tolist()
    return results


def system_fit_quality(system: AmplifierNoise, coverage_factor: float) -> dict[str, Any]:
    """JSON fields of the system fit's quality: ``system_fit_ok``; ``system_fit_flags``,
    the names of the flags raised at any frequency; ``system_fit_flags_by_frequency``;
    for fits that test for compression, ``compression_db`` (dB, gain drop from the
    coldest to the hottest source point) and its expanded uncertainty
    (``coverage_factor``), None where fewer than 4 distinct source temperatures."""
    bits = np.atleast_1d(np.asarray(system.flags, np.int64))
    fields: dict[str, Any] = {
        "system_fit_ok": bool(np.all(system.ok)),
        "system_fit_flags": list(decode_noise_flags(np.bitwise_or.reduce(bits))),
        "system_fit_flags_by_frequency": [list(names) for names in decode_noise_flags(bits)],
    }
    if isinstance(system, CompressionCheck):
        fields["compression_db"] = _floats_or_none(system.compression_db)
        fields["compression_db_uncertainty"] = _floats_or_none(
            coverage_factor * np.asarray(system.compression_db_uncertainty, float))
    return fields


def _floats_or_none(values: Any) -> list[float | None]:
    """Per-frequency values rounded to 1e-5 for JSON, None where not finite."""
    arr = np.round(np.atleast_1d(np.asarray(values, float)), 5)
    return [float(v) if np.isfinite(v) else None for v in arr]


SEQUENCE = AmplifierNoiseSequence

__all__ = ["SEQUENCE", "AmplifierNoiseSequence", "Parameters", "RecordedDiode", "analyse",
           "recorded_diode", "summarise_run", "system_fit_quality"]
