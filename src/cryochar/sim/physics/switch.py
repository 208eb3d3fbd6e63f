"""Cryogenic SP6T switches at the MXC with calibration standards on their throws.

Each VNA port's cabling (error box, room temperature to the switch's common
port) ends in a latching SP6T. Throw ``t`` of port ``p`` reaches its standard
through a short path

    P(p, t) = nominal path (loss, delay, match)  **  A(p, t)  **  R(p)

where A is a fixed per-throw deviation (RMS size ``asymmetry``: non-identical
switch paths) and R is redrawn at every actuation (RMS size ``repeatability``).
Both are reciprocal near-identity two-ports: S11 = d11, S22 = d22,
S21 = S12 = 1 + d21, each d a smooth complex function of frequency with RMS
magnitude = the configured size, so a matched termination seen through the
throw moves by |dGamma| ~ that size. The calibration reference plane is the end
of the nominal path: the true error boxes are ``box ** nominal path``.

One-port standards (short/open/load) hang off one throw of one switch;
two-port devices (thru, DUT, verification) connect throw ``t`` of switch 1 to
the same throw of switch 2 and transmit only when both switches select them.
An unselected throw is an open contact; with no throw closed the common port
sees the switch's open common (a short stub).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from cryochar.sim.config import AttenuatorConfig
from cryochar.sim.physics.calkit import (
    ONE_PORT_STANDARDS,
    TWO_PORT_STANDARDS,
    standard_reflection,
    two_port_standard,
)
from cryochar.sim.physics.networks import cascade, flipped, one_ports, terminated, wandering
from cryochar.sim.physics.vna import VNAPhysics
from cryochar.sim.switch_config import (
    CalKitConfig,
    SwitchConfig,
    ThruConfig,
    VerificationConfig,
)

PORTS = (1, 2)
THROWS = tuple(range(1, 7))
COMMON_STUB = 20e-12  # s: delay of the open common port's stub when no throw is closed


@dataclass(frozen=True)
class Deviation:
    """A reciprocal near-identity two-port: S11 = d11, S22 = d22, S21 = S12 = 1 + d21.

    ``coefficients`` (3, 2) complex and ``tau`` (s) define each d as a smooth
    function of frequency (:func:`~cryochar.sim.physics.networks.wandering`) of
    RMS magnitude ``size``.
    """

    size: float
    coefficients: np.ndarray
    tau: float

    @classmethod
    def draw(cls, rng: np.random.Generator, size: float) -> Deviation:
        """A random deviation of RMS magnitude ``size``."""
        coefficients = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
        return cls(size, coefficients, float(rng.uniform(0.1, 1.0)) * 1e-9)

    def s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix, shape (n, 2, 2)."""
        d11, d22, d21 = (wandering(frequency, self.size, c, self.tau) for c in self.coefficients)
        s = np.empty((frequency.size, 2, 2), dtype=complex)
        s[:, 0, 0], s[:, 1, 1] = d11, d22
        s[:, 0, 1] = s[:, 1, 0] = 1.0 + d21
        return s


def eight_term_coefs(x: np.ndarray, y: np.ndarray, gamma_f: np.ndarray,
                     gamma_r: np.ndarray) -> dict[str, np.ndarray]:
    """scikit-rf ``EightTerm.coefs`` of error boxes ``x`` (port 1) and ``y`` (port 2), each
    (n, 2, 2) with port 1 facing the VNA, plus switch terms; isolation is zero."""
    zero = np.zeros(x.shape[0], dtype=complex)
    return {"forward directivity": x[:, 0, 0], "forward source match": x[:, 1, 1],
            "forward reflection tracking": x[:, 0, 1] * x[:, 1, 0],
            "reverse directivity": y[:, 0, 0], "reverse source match": y[:, 1, 1],
            "reverse reflection tracking": y[:, 0, 1] * y[:, 1, 0],
            "k": x[:, 1, 0] / y[:, 1, 0], "forward isolation": zero,
            "reverse isolation": zero.copy(), "forward switch term": np.asarray(gamma_f),
            "reverse switch term": np.asarray(gamma_r)}


def true_error_terms(vna: VNAPhysics, switches: CryoSwitches,
                     frequency: np.ndarray) -> dict[str, np.ndarray]:
    """8-term coefficients + switch terms (scikit-rf keys) of the twin's VNA at the
    calibration reference plane: each port's cabling box cascaded with its nominal
    throw path; the switch terms are the VNA's port terminations."""
    box1, box2 = vna.error_boxes(frequency)
    x = cascade(box1, switches.nominal_path(frequency, 1))
    y = cascade(box2, switches.nominal_path(frequency, 2))
    return eight_term_coefs(x, y, *vna.switch_terms(frequency))


class CryoSwitches:
    """Two latching SP6T switches (ports 1 and 2) and the standards on their throws.

    State: each port's closed throw (0: none) and the contact's current
    repeatability deviation. Randomness is seeded: fixed asymmetries from
    ``[seed, 7, 2]``, actuation draws from ``[seed, 7, 0]``, failures from ``[seed, 7, 1]``.
    """

    def __init__(self, config: SwitchConfig, kit: CalKitConfig, thru: ThruConfig,
                 verification: VerificationConfig, dut: AttenuatorConfig, seed: int):
        self.config = config
        self.kit, self.thru, self.verification, self.dut = kit, thru, verification, dut
        self.names = {number: name for name, number in config.throws.items()}
        fixed = np.random.default_rng([seed, 7, 2])
        self._match = {p: fixed.normal(size=(2, 2)) + 1j * fixed.normal(size=(2, 2))
                       for p in PORTS}
        self._match_tau = {p: float(fixed.uniform(0.2, 1.0)) * 1e-9 for p in PORTS}
        self._asymmetry = {(p, t): Deviation.draw(fixed, config.asymmetry)
                           for p in PORTS for t in THROWS}
        self._repeat_rng = np.random.default_rng([seed, 7, 0])
        self._fail_rng = np.random.default_rng([seed, 7, 1])
        self._contact = {p: Deviation.draw(self._repeat_rng, config.repeatability) for p in PORTS}
        self.positions = {p: config.throws["dut"] for p in PORTS}
        self.pulses = {p: 0 for p in PORTS}
        self.throw_pulses = {(p, t): 0 for p in PORTS for t in THROWS}

    # -- actuation ----------------------------------------------------------------------
    def actuate(self, port: int, throw: int) -> bool:
        """Pulse ``port``'s switch toward ``throw``; False when it failed to move.

        A pulse to the throw already closed leaves the contact as it is.
        """
        self._check(port, throw)
        self.pulses[port] += 1
        self.throw_pulses[port, throw] += 1
        failed = bool(self._fail_rng.random() < self.config.failure_probability)
        if failed:
            return False
        if self.positions[port] != throw:
            self.positions[port] = throw
            self._contact[port] = Deviation.draw(self._repeat_rng, self.config.repeatability)
        return True

    def open(self, port: int) -> None:
        """Pulse ``port``'s closed throw open (no throw closed afterwards)."""
        self._check(port, 1)
        if self.positions[port]:
            self.pulses[port] += 1
            self.throw_pulses[port, self.positions[port]] += 1
            self.positions[port] = 0

    @staticmethod
    def _check(port: int, throw: int) -> None:
        if port not in PORTS or throw not in THROWS:
            raise ValueError(f"no throw {throw} on port {port}: ports 1..2, throws 1..6")

    def state_token(self) -> Hashable:
        """Changes with every actuation (cache key of the network the VNA sees)."""
        return tuple(self.positions.values()), tuple(self.pulses.values())

    # -- networks -----------------------------------------------------------------------
    def nominal_path(self, frequency: np.ndarray, port: int) -> np.ndarray:
        """Nominal throw path of ``port``, (n, 2, 2), port 1 at the switch's common port."""
        amp = 10 ** (self.config.path_match_db / 20)
        tau = self._match_tau[port]
        s = np.empty((frequency.size, 2, 2), dtype=complex)
        s[:, 0, 0] = wandering(frequency, amp, self._match[port][0], tau)
        s[:, 1, 1] = wandering(frequency, amp, self._match[port][1], tau)
        s[:, 0, 1] = s[:, 1, 0] = (10 ** (-self.config.path_loss_db / 20)
                                   * np.exp(-2j * np.pi * frequency * self.config.path_delay))
        return s

    def path_s(self, frequency: np.ndarray, port: int, throw: int,
               *, contact: bool = True) -> np.ndarray:
        """True path from ``port``'s common port to the standard on ``throw``, (n, 2, 2).

        ``contact``: include the present actuation's repeatability deviation
        (only when ``throw`` is the one closed).
        """
        path = cascade(self.nominal_path(frequency, port),
                       self._asymmetry[port, throw].s(frequency))
        if contact and self.positions[port] == throw:
            path = cascade(path, self._contact[port].s(frequency))
        return path

    def standards(self, frequency: np.ndarray) -> dict[str, np.ndarray]:
        """True S of every standard: one-ports as reflections (n,), two-ports (n, 2, 2)
        with port 1 on switch 1 (``dut`` included)."""
        out: dict[str, np.ndarray] = {
            name: standard_reflection(name, frequency, self.kit) for name in ONE_PORT_STANDARDS}
        for name in TWO_PORT_STANDARDS:
            out[name] = two_port_standard(name, frequency, self.thru, self.verification, self.dut)
        return out

    def inner_s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix between the two common ports for the present positions, (n, 2, 2)."""
        t1, t2 = self.positions[1], self.positions[2]
        name = self.names.get(t1)
        if t1 == t2 and name in TWO_PORT_STANDARDS:
            device = two_port_standard(name, frequency, self.thru, self.verification, self.dut)
            return cascade(cascade(self.path_s(frequency, 1, t1), device),
                           flipped(self.path_s(frequency, 2, t2)))
        return one_ports(self._common_reflection(frequency, 1),
                         self._common_reflection(frequency, 2))

    def _common_reflection(self, frequency: np.ndarray, port: int) -> np.ndarray:
        throw = self.positions[port]
        if throw == 0:
            return np.exp(-4j * np.pi * frequency * COMMON_STUB)
        name = self.names[throw]
        if name in ONE_PORT_STANDARDS:
            load = standard_reflection(name, frequency, self.kit)
        else:  # a two-port whose far end meets the other switch's open throw contact
            device = two_port_standard(name, frequency, self.thru, self.verification, self.dut)
            other = 3 - port
            far = terminated(flipped(self.path_s(frequency, other, throw, contact=False)), 1.0)
            load = terminated(device if port == 1 else flipped(device), far)
        return terminated(self.path_s(frequency, port, throw), load)

    def truth(self) -> dict[str, object]:
        """Scalar ground truth: sizes, positions by name, actuation counts."""
        return {"repeatability": self.config.repeatability, "asymmetry": self.config.asymmetry,
                "positions": {f"port{p}": self.names.get(t, "open")
                              for p, t in self.positions.items()},
                "actuations": {f"port{p}": n for p, n in self.pulses.items()}}


__all__ = ["COMMON_STUB", "CryoSwitches", "Deviation", "eight_term_coefs", "true_error_terms"]
