"""Attenuator thermalisation and power handling, read out through qubit coherence.

Thermal photons from the last attenuator on the readout resonator's input line
dephase the qubit. The sequence first steps the MXC temperature with the tone
off (the attenuator then sits at the MXC temperature), then applies RF power
through the attenuator at base temperature (a tone detuned far from the
resonator, so it adds no coherent photons). At each point it waits for thermal
stability and measures T1 and T2 echo (and optionally Ramsey).

Analysis (PHYSICS.md, thermal photons): Gamma_phi,th = 1/T2e - 1/(2 T1) -
Gamma_phi,0 -> photons n (exact Clerk-Utami inverse); the MXC sweep fits
n(T_mxc) = n_leak + w n_BE(f, T_mxc), which turns every n into the
attenuator temperature T_att = T_eff((n - n_leak) / w); the powered points fit
T_att(P) = (T_ph^5 + P (1 - 1/A) / SigmaV)^(1/5). Unresolved excess dephasing
gives an upper bound, not a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cryochar.analysis.thermal import (
    bose_einstein,
    effective_temperature,
    fit_hot_electron,
    fit_leakage_model,
    thermal_photons_from_coherence,
)
from cryochar.core.config import SafetyLimits
from cryochar.core.units import Decibel, Duration, Frequency, PowerDbm, Temperature, dbm_to_watt
from cryochar.drivers.protocols import QubitController, TemperatureController
from cryochar.sequences.base import RunData, Sequence, StoredRun, check_setpoint_limits
from cryochar.sequences.qubit_common import Delays, fit_t1_and_echo
from cryochar.sequences.waits import Stability, wait_for_mxc
from cryochar.storage import Layout, RunWriter, Variable


class Device(BaseModel):
    """What is known of the qubit, resonator and line (from spectroscopy and wiring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    resonator_frequency: Frequency = Field(gt=0)
    kappa: float = Field(gt=0, description="resonator energy decay rate, s^-1")
    chi: float = Field(gt=0, description="full dispersive shift, rad/s")
    gamma_phi_intrinsic: float = Field(ge=0, description="Gamma_phi,0 without photons, s^-1")
    gamma_phi_intrinsic_uncertainty: float = Field(0.0, ge=0, description="s^-1")
    line_attenuation_db: Decibel = Field(ge=0, description="source -> attenuator input, dB")
    attenuator_db: Decibel = Field(gt=0, description="the attenuator under test, dB")
    input_coupling: float = Field(1.0, gt=0, le=1, description=(
        "kappa_line / kappa: the share of the resonator's decay through the attenuator's "
        "line (from resonator spectroscopy); the rest of the resonator's bath is taken "
        "to follow the MXC temperature"))


class Parameters(BaseModel):
    """Recipe parameters of ``attenuator_thermalisation``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    device: Device
    mxc_temperatures: list[Temperature] = Field(min_length=3, description="tone off, K")
    powers_dbm: list[PowerDbm] = Field(min_length=2, description="tone at the source, dBm")
    drive_frequency: Frequency = Field(description="tone, Hz; far from the resonator")
    shots: int = Field(1000, ge=10, le=1_000_000)
    t1: Delays = Field(default_factory=lambda: Delays(
        min_delay=1e-6, max_delay=600e-6, points=41, spacing="log"))
    echo: Delays = Field(default_factory=lambda: Delays(
        min_delay=0.5e-6, max_delay=400e-6, points=61, spacing="log"))
    repeats: int = Field(2, ge=1, le=100, description="T1/echo pairs averaged per point")
    settle_time: Duration = Field(5.0, ge=0, le=3600, description="after a power step, s")
    stability: Stability = Field(default_factory=Stability)

    @model_validator(mode="after")
    def _check(self) -> Parameters:
        detuning = abs(self.drive_frequency - self.device.resonator_frequency)
        if detuning < 20 * self.device.kappa / (2 * np.pi):
            raise ValueError("drive_frequency must be far (>> kappa) from the resonator, "
                             "or the tone adds coherent photons")
        return self


class AttenuatorThermalisation(Sequence):
    """MXC-temperature and RF-power steps; qubit coherence -> attenuator temperature."""

    name = "attenuator_thermalisation"
    Parameters = Parameters
    roles: ClassVar[dict[str, type]] = {"qubit": QubitController,
                                        "fridge": TemperatureController}

    @classmethod
    def plan(cls, params: Parameters) -> dict[str, tuple[np.ndarray, str]]:
        temps = [*params.mxc_temperatures, *[np.nan] * len(params.powers_dbm)]
        powers = [*[np.nan] * len(params.mxc_temperatures), *params.powers_dbm]
        return {"mxc_setpoint": (np.array(temps, float), "K"),
                "power_dbm": (np.array(powers, float), "dBm")}

    @classmethod
    def check_limits(cls, params: Parameters, limits: Mapping[str, SafetyLimits],
                     source: str) -> None:
        """Tone power and MXC setpoints against the station's limits."""
        check_setpoint_limits(limits["qubit"], source, what="tone power",
                              powers_dbm=("powers_dbm", params.powers_dbm))
        check_setpoint_limits(limits["fridge"], source,
                              mxc_temperatures=("mxc_temperatures", params.mxc_temperatures))

    def setup(self) -> None:
        self.qubit: QubitController = self.instruments["qubit"]
        self.fridge: TemperatureController = self.instruments["fridge"]
        self.qubit.drive_off()
        self._setpoint = None

    def layout(self, plan: dict[str, tuple[np.ndarray, str]]) -> Layout:
        p = self.params
        return Layout(
            points_planned=len(plan["power_dbm"][0]),
            axes={"t1_delay": (p.t1.grid(), "s"), "echo_delay": (p.echo.grid(), "s")},
            plan=plan,
            variables=(
                Variable("t1_counts", ("t1_delay",), "int64", "", "summed over repeats"),
                Variable("echo_counts", ("echo_delay",), "int64", "", "summed over repeats"),
                Variable("time", (), "float64", "seconds since 1970-01-01"),
                Variable("mxc_temperature", (), "float64", "K", "MXC during the point"),
                Variable("mxc_stable", (), "uint8", "", "1 when the MXC met the stability rule"),
            ))

    def measure(self, index: int, point: dict[str, Any]) -> dict[str, Any]:
        p = self.params
        stable = self._set_conditions(point)
        started = self.ctx.clock.now()
        t1_counts = np.zeros(p.t1.points, dtype=np.int64)
        echo_counts = np.zeros(p.echo.points, dtype=np.int64)
        readings = []
        for _ in range(p.repeats):  # interleaved, so slow drifts hit both alike
            t1_counts += self.qubit.run_t1(p.t1.grid(), p.shots).counts
            echo_counts += self.qubit.run_echo(p.echo.grid(), p.shots).counts
            readings.append(self.fridge.mxc_temperature())
        return {"t1_counts": t1_counts, "echo_counts": echo_counts, "time": started,
                "mxc_temperature": float(np.mean(readings)), "mxc_stable": int(stable)}

    def _set_conditions(self, point: dict[str, Any]) -> bool:
        p = self.params
        setpoint, power = point["mxc_setpoint"], point["power_dbm"]
        stable = True
        if np.isfinite(setpoint) and setpoint != self._setpoint:
            self.qubit.drive_off()
            self.fridge.set_mxc_temperature(setpoint)
            stable = wait_for_mxc(self.fridge, setpoint, self.ctx, p.stability).stable
            self._setpoint = setpoint
        elif not np.isfinite(setpoint) and self._setpoint is not None:
            self.fridge.heater_off()  # the power sweep runs at base temperature
            self._setpoint = None
            self.ctx.sleep(5 * 120.0)  # several MXC time constants
        if np.isfinite(power):
            self.qubit.set_drive(p.drive_frequency, power, True)
            self.ctx.sleep(p.settle_time)
        return stable

    def safe_stop(self) -> None:
        for action in (self.qubit.drive_off, self.fridge.heater_off):
            try:
                action()
            except Exception as exc:  # keep going: every instrument must be made safe
                self.ctx.log(f"safe stop: {exc}")

    def summarise(self, data: RunWriter) -> dict[str, Any]:
        return analyse_run(self.params, data)

    @classmethod
    def reanalyse(cls, params: Parameters, run: StoredRun) -> dict[str, Any]:
        return analyse_run(params, run)


def analyse_run(p: Parameters, data: RunData) -> dict[str, Any]:
    """:func:`analyse_points` of a run's completed points (at its end, or from its file)."""
    return analyse_points(p, data.read("mxc_setpoint"), data.read("power_dbm"),
                          data.read("mxc_temperature"), data.read("t1_counts"),
                          data.read("echo_counts"))


def analyse_points(p: Parameters, setpoints: np.ndarray, powers_dbm: np.ndarray,
                   t_mxc: np.ndarray, t1_counts: np.ndarray, echo_counts: np.ndarray,
                   ) -> dict[str, Any]:
    """Photons per point, the leakage model, attenuator temperatures and SigmaV."""
    d = p.device
    shots = p.shots * p.repeats
    f1, fe = fit_t1_and_echo(p.t1.grid(), t1_counts, p.echo.grid(), echo_counts, shots)
    photons = thermal_photons_from_coherence(
        f1.T1, fe.T2_echo, d.gamma_phi_intrinsic, d.kappa, d.chi, d.resonator_frequency,
        t1_stderr=f1.T1_stderr, t2_echo_stderr=fe.T2_echo_stderr,
        gamma_phi_intrinsic_stderr=d.gamma_phi_intrinsic_uncertainty)
    n, n_sigma = np.asarray(photons.n), np.asarray(photons.n_stderr)
    sweep = np.isfinite(setpoints)
    leak = fit_leakage_model(t_mxc[sweep], n[sweep], n_sigma[sweep], d.resonator_frequency)
    t_att, t_att_sigma = _attenuator_temperatures(n, n_sigma, t_mxc, leak, d)
    powered = np.isfinite(powers_dbm)
    power = np.where(powered, dbm_to_watt(np.nan_to_num(powers_dbm, nan=-300.0))
                     * 10 ** (-d.line_attenuation_db / 10), 0.0)
    usable = powered & np.isfinite(t_att) & (t_att_sigma > 0)
    heating = fit_hot_electron(power[usable], t_att[usable], t_att_sigma[usable],
                               t_mxc[usable], d.attenuator_db)
    return {
        "power": power.tolist(), "mxc_temperature": t_mxc.tolist(),
        "t_eff": _clean(t_att), "t_eff_uncertainty": _clean(t_att_sigma),
        "t_eff_upper_bound": _clean(np.where(np.asarray(photons.upper_bound),
                                             np.asarray(photons.t_eff_upper), np.nan)),
        "photons": _clean(n), "photons_uncertainty": _clean(n_sigma),
        "t1": _clean(np.asarray(f1.T1)), "t2_echo": _clean(np.asarray(fe.T2_echo)),
        "n_leak": leak.n_leak, "n_leak_uncertainty": leak.n_leak_stderr,
        "attenuator_weight": leak.weight, "leakage_fit_ok": bool(leak.ok),
        "sigma_v": heating.sigma_v, "sigma_v_uncertainty": heating.sigma_v_stderr,
        "hot_electron_fit_ok": bool(heating.ok), "hot_electron_flags": list(heating.flags),
    }


def _attenuator_temperatures(n: np.ndarray, n_sigma: np.ndarray, t_mxc: np.ndarray,
                             leak: Any, d: Device) -> tuple[np.ndarray, np.ndarray]:
    """T_att from n = n_leak + w_att n_BE(T_att) + (w - w_att) n_BE(T_mxc).

    The MXC sweep fits w = w_att + w_mxc (both baths follow the MXC there);
    w_att = eta (1 - 1/A) is the attenuator's share, eta the line's share of
    kappa. First-order uncertainty from n, n_leak and w.
    """
    f = d.resonator_frequency
    w_att = d.input_coupling * (1 - 10 ** (-d.attenuator_db / 10))
    cov = np.asarray(leak.covariance)
    n_mxc = np.asarray(bose_einstein(f, t_mxc))
    with np.errstate(invalid="ignore", divide="ignore"):
        n_att = (n - leak.n_leak - (leak.weight - w_att) * n_mxc) / w_att
        var = (n_sigma**2 + cov[0, 0] + 2 * n_mxc * cov[0, 1] + n_mxc**2 * cov[1, 1]) / w_att**2
        t = np.where(n_att > 0, effective_temperature(f, n_att), np.nan)
        # dT/dn from T = hf / (k ln(1 + 1/n)): T / (x n (n + 1)), x = ln(1 + 1/n)
        dt_dn = t / (np.log1p(1.0 / n_att) * n_att * (n_att + 1.0))
    return t, np.abs(dt_dn) * np.sqrt(var)


def _clean(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.ravel(values)]


SEQUENCE = AttenuatorThermalisation

__all__ = ["SEQUENCE", "AttenuatorThermalisation", "Parameters", "analyse_points", "analyse_run"]
