"""Transmon + readout resonator of the twin: coherence experiments with shot noise.

Rates (s^-1), evaluated at the start of each experiment:

* Gamma_1(t) = 1/t1 + the Gamma_1 of the coupled TLS defects (telegraph, :mod:`.tls`);
* Gamma_phi = Gamma_phi,0 + Gamma_phi,th(n) + Gamma_m, with n the resonator's
  thermal population (:mod:`.lines`) through the exact Clerk-Utami relation,
  and Gamma_m the dephasing by the drive tone's coherent photons (negligible
  when the tone is detuned by >> kappa, chi);
* Ramsey sees in addition exp(-(t/quasistatic_t_phi)^2) when configured.

Excited-state probabilities (``t`` the free evolution time; for the echo the
total time of both halves, the final pulse chosen so the echo returns to |1>):
T1 exp(-Gamma_1 t); Ramsey (1 + e(t) cos(2 pi detuning t))/2; echo
(1 + exp(-Gamma_1 t/2 - Gamma_phi t))/2. Readout misassigns with
``readout_error_0``/``readout_error_1``; counts are binomial in the shots.
An experiment takes shots x (points x repetition_time + sum of delays)
plus the overhead, and advances the testbed clock by that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryochar.analysis.thermal import coherent_dephasing_rate, thermal_dephasing_rate
from cryochar.core.units import dbm_to_watt
from cryochar.sim.clock import SimClock
from cryochar.sim.config import AttenuatorUnderTestConfig, QubitConfig, ResonatorConfig
from cryochar.sim.physics.fridge import Fridge
from cryochar.sim.physics.lines import InputLine
from cryochar.sim.physics.tls import TelegraphTLS

EXPERIMENTS = ("t1", "ramsey", "echo")


@dataclass(frozen=True)
class Drive:
    """The RF tone sent down the resonator's input line: Hz, dBm at the source, on/off."""

    frequency: float = 6.0e9
    power_dbm: float = -60.0
    on: bool = False


@dataclass(frozen=True)
class ExperimentRecord:
    """One experiment: delays (s), excited-state counts per delay, shots per delay,
    start time (testbed clock, s) and duration (s); ``detuning`` Hz for Ramsey."""

    kind: str
    delays: np.ndarray
    counts: np.ndarray
    shots: int
    started: float
    duration: float
    detuning: float = 0.0


class QubitPhysics:
    """The qubit, its readout resonator and input line, on the testbed clock."""

    def __init__(self, qubit: QubitConfig, resonator: ResonatorConfig,
                 attenuator: AttenuatorUnderTestConfig, fridge: Fridge, clock: SimClock,
                 seed: int):
        self.qubit = qubit
        self.resonator = resonator
        self.fridge = fridge
        self.clock = clock
        self.line = InputLine(resonator, attenuator, fridge)
        self.tls = TelegraphTLS(qubit.tls_count, qubit.tls_strength / qubit.t1,
                                qubit.tls_dwell_min, qubit.tls_dwell_max,
                                np.random.default_rng([seed, 40]), clock.now())
        self._shots_rng = np.random.default_rng([seed, 41])
        self.drive = Drive()
        self.experiments_run = 0

    # -- drive ------------------------------------------------------------------------
    def set_drive(self, frequency: float | None = None, power_dbm: float | None = None,
                  on: bool | None = None) -> Drive:
        """Change any of the tone's settings; returns the new state."""
        d = self.drive
        self.drive = Drive(d.frequency if frequency is None else float(frequency),
                           d.power_dbm if power_dbm is None else float(power_dbm),
                           d.on if on is None else bool(on))
        return self.drive

    def source_power(self) -> float:
        """Power of the tone at the source, W (0 when off)."""
        return dbm_to_watt(self.drive.power_dbm) if self.drive.on else 0.0

    # -- ground truth ------------------------------------------------------------------
    def _now(self, t: float | None) -> float:
        return self.clock.now() if t is None else t

    def gamma1(self, t: float | np.ndarray | None = None) -> float | np.ndarray:
        """Relaxation rate, s^-1, at testbed time(s) ``t`` (default: now)."""
        rate = 1.0 / self.qubit.t1 + self.tls.extra_gamma1(self._now(t))
        return rate if np.ndim(rate) else float(rate)

    def t1(self, t: float | np.ndarray | None = None) -> float | np.ndarray:
        """T1, s, at testbed time(s) ``t`` (default: now)."""
        return 1.0 / self.gamma1(t)

    def attenuator_temperature(self, power: float | None = None,
                               t_mxc: float | None = None) -> float:
        """Attenuator-under-test temperature, K, at ``power`` W at its input (default: the
        drive now) and MXC temperature ``t_mxc`` K (default: now)."""
        if power is None:
            power = self.line.attenuator_input_power(self.source_power())
        t_mxc = self.fridge.temperature("mxc") if t_mxc is None else t_mxc
        return self.line.attenuator_temperature(power, t_mxc)

    def n_line(self) -> float:
        """Thermal photons arriving on the input line now."""
        t_mxc = self.fridge.temperature("mxc")
        return self.line.line_photons(self.attenuator_temperature(t_mxc=t_mxc), t_mxc)

    def n_thermal(self) -> float:
        """Thermal population of the readout resonator now."""
        t_mxc = self.fridge.temperature("mxc")
        return self.line.resonator_photons(self.attenuator_temperature(t_mxc=t_mxc), t_mxc)

    def gamma_phi_thermal(self) -> float:
        """Dephasing by thermal photons now, s^-1 (exact Clerk-Utami)."""
        r = self.resonator
        return float(thermal_dephasing_rate(self.n_thermal(), r.kappa, r.chi))

    def gamma_phi_drive(self) -> float:
        """Dephasing by the drive tone's coherent photons now, s^-1."""
        r = self.resonator
        power = self.line.resonator_input_power(self.source_power())
        return float(coherent_dephasing_rate(power, self.drive.frequency, r.frequency, r.kappa,
                                             r.input_coupling * r.kappa, r.chi))

    def gamma_phi(self) -> float:
        """Markovian pure dephasing now (intrinsic + thermal + drive), s^-1."""
        return self.qubit.gamma_phi_intrinsic + self.gamma_phi_thermal() + self.gamma_phi_drive()

    def t2_echo(self, t: float | None = None) -> float:
        """Hahn-echo T2, s: 1 / (Gamma_1(t)/2 + Gamma_phi now)."""
        return 1.0 / (0.5 * self.gamma1(t) + self.gamma_phi())

    def truth(self) -> dict[str, float]:
        """Scalar ground truth now (s, s^-1, K, photons)."""
        return {"t1": self.t1(), "t2_echo": self.t2_echo(), "n_thermal": self.n_thermal(),
                "n_line": self.n_line(), "gamma_phi_thermal": self.gamma_phi_thermal(),
                "gamma_phi_intrinsic": self.qubit.gamma_phi_intrinsic,
                "attenuator_temperature": self.attenuator_temperature(),
                "mxc_temperature": self.fridge.temperature("mxc")}

    # -- experiments --------------------------------------------------------------------
    def duration(self, delays: np.ndarray, shots: int) -> float:
        """Testbed time an experiment takes, s."""
        q = self.qubit
        return float(shots * (delays.size * q.repetition_time + delays.sum())
                     + q.experiment_overhead)

    def excited_probability(self, kind: str, delays: np.ndarray, detuning: float = 0.0,
                            t: float | None = None) -> np.ndarray:
        """Ideal excited-state probability at each delay (no readout error, no shot noise)."""
        gamma1 = self.gamma1(t)
        if kind == "t1":
            return np.exp(-gamma1 * delays)
        envelope = np.exp(-(0.5 * gamma1 + self.gamma_phi()) * delays)
        if kind == "echo":
            return 0.5 * (1.0 + envelope)
        if kind == "ramsey":
            if self.qubit.quasistatic_t_phi is not None:
                envelope = envelope * np.exp(-((delays / self.qubit.quasistatic_t_phi) ** 2))
            return 0.5 * (1.0 + envelope * np.cos(2.0 * np.pi * detuning * delays))
        raise ValueError(f"unknown experiment {kind!r}; use one of {EXPERIMENTS}")

    def measured_probability(self, p_excited: np.ndarray) -> np.ndarray:
        """Probability to read |1> given the excited-state probability (readout errors)."""
        e0, e1 = self.qubit.readout_error_0, self.qubit.readout_error_1
        return e0 + (1.0 - e0 - e1) * p_excited

    def run(self, kind: str, delays: np.ndarray, shots: int,
            detuning: float = 0.0) -> ExperimentRecord:
        """Run one experiment now; advance the clock by its duration."""
        delays = np.asarray(delays, dtype=float)
        started = self.clock.now()
        p = self.measured_probability(self.excited_probability(kind, delays, detuning, started))
        counts = self._shots_rng.binomial(shots, p)
        duration = self.duration(delays, shots)
        self.clock.advance(duration)
        self.experiments_run += 1
        return ExperimentRecord(kind, delays, counts, int(shots), started, duration,
                                float(detuning))


__all__ = ["EXPERIMENTS", "Drive", "ExperimentRecord", "QubitPhysics"]
