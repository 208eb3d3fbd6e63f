"""What a VNA measures on the testbed: DUT embedded between two cable error boxes.

Each port's cabling is a seeded random two-port error box (directivity, source
match, loss, delay, tracking ripple). Without a fixture the DUT is the matched
attenuator and both VNA ports are ideally terminated. With a fixture (the
twin's cryogenic switches, :mod:`cryochar.sim.physics.switch`) the network
between the boxes is whatever the switches connect, and each port's internal
termination reflects (``a2/b2``, ``a1/b1`` "switch terms"), so the raw ratios
differ from the switch-term-free network ``M = X ** N ** Y^flip``:

    forward (port 1 drives, a1 = 1):  b2 = M21 / (1 - M22 Gf),  a2 = Gf b2,  b1 = M11 + M12 a2
    reverse (port 2 drives, a2 = 1):  b1 = M12 / (1 - M11 Gr),  a1 = Gr b1,  b2 = M22 + M21 a1

Every receiver reading gets complex receiver noise with per-component standard
deviation sigma = 10^((N_floor + 10 log10(IFBW / 1 kHz) - P_src) / 20) / sqrt(2 averages),
relative to the source wave (N_floor in dBm at 1 kHz IF bandwidth, P_src in dBm);
S-parameters are the ratios ``b/a`` of the noisy waves.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

import numpy as np

from cryochar.sim.config import AttenuatorConfig, LineConfig, VNAConfig
from cryochar.sim.physics.networks import cascade, flipped, wandering

S_PARAMETERS = ("S11", "S21", "S12", "S22")
WAVES = ("a1", "b1", "a2", "b2")
"""Receivers of a two-port VNA in logical notation: a = reference, b = test, digit = port."""


class Fixture(Protocol):
    """What sits between the two error boxes' inner ports (e.g. the cryogenic switches)."""

    def inner_s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix, shape (n, 2, 2), between the two inner ports now."""
        ...

    def state_token(self) -> Hashable:
        """Changes whenever :meth:`inner_s` would (cache key)."""
        ...


def attenuator_s(frequency: np.ndarray, config: AttenuatorConfig) -> np.ndarray:
    """S-matrix, shape (n, 2, 2), of a matched flat attenuator with slight mismatch."""
    n = frequency.size
    s = np.zeros((n, 2, 2), dtype=complex)
    s[:, 1, 0] = s[:, 0, 1] = 10 ** (-config.attenuation_db / 20)
    s[:, 0, 0] = s[:, 1, 1] = 10 ** (config.match_db / 20)
    return s


def error_box_s(frequency: np.ndarray, line: LineConfig, rng: np.random.Generator) -> np.ndarray:
    """Random reciprocal error box, shape (n, 2, 2); port 1 faces the VNA.

    Directivity and match wander with frequency around ``mismatch_db``; the
    transmission has the line's loss, delay and a small ripple.
    """
    f = frequency / 1e9
    amp = 10 ** (line.mismatch_db / 20)

    def wandering_reflection() -> np.ndarray:
        c = rng.normal(size=3) + 1j * rng.normal(size=3)
        tau = rng.uniform(0.5, 3.0)
        return amp * (c[0] + c[1] * np.exp(-2j * np.pi * f * tau)) / 2 + 0.1 * amp * c[2] * f / 10

    ripple_period = rng.uniform(0.3, 1.5)  # GHz
    ripple = 10 ** (line.ripple_db / 20 * np.sin(2 * np.pi * f / ripple_period
                                                 + rng.uniform(0, 2 * np.pi)))
    transmission = (10 ** (-line.loss_db / 20) * ripple
                    * np.exp(-2j * np.pi * frequency * line.electrical_length))
    s = np.empty((frequency.size, 2, 2), dtype=complex)
    s[:, 0, 0] = wandering_reflection()
    s[:, 1, 1] = wandering_reflection()
    s[:, 0, 1] = s[:, 1, 0] = transmission
    return s


def port_termination(frequency: np.ndarray, line: LineConfig,
                     rng: np.random.Generator) -> np.ndarray:
    """Reflection, shape (n,), of a VNA port's internal termination seen at its receivers
    (the load match the switch terms measure): wanders around ``line.mismatch_db``."""
    c = rng.normal(size=2) + 1j * rng.normal(size=2)
    return wandering(frequency, 10 ** (line.mismatch_db / 20), c, rng.uniform(0.2, 2.0) * 1e-9)


def receiver_waves(m: np.ndarray, gamma_f: np.ndarray, gamma_r: np.ndarray,
                   ) -> dict[str, np.ndarray]:
    """Noise-free waves for both source ports, keyed ``"b2,1"`` (receiver, source port).

    ``m``: switch-term-free S-matrix (n, 2, 2) at the receivers; the source wave is 1.
    """
    b2f = m[:, 1, 0] / (1 - m[:, 1, 1] * gamma_f)
    a2f = gamma_f * b2f
    b1r = m[:, 0, 1] / (1 - m[:, 0, 0] * gamma_r)
    a1r = gamma_r * b1r
    one = np.ones(m.shape[0], dtype=complex)
    return {"a1,1": one, "b1,1": m[:, 0, 0] + m[:, 0, 1] * a2f, "a2,1": a2f, "b2,1": b2f,
            "a1,2": a1r, "b1,2": b1r, "a2,2": one.copy(), "b2,2": m[:, 1, 1] + m[:, 1, 0] * a1r}


def ratios(waves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Raw (uncorrected) S-parameters ``b_i / a_j`` with source port j, keyed ``"S21"``."""
    return {f"S{i}{j}": waves[f"b{i},{j}"] / waves[f"a{j},{j}"] for i in (1, 2) for j in (1, 2)}


class VNAPhysics:
    """The network a VNA on the testbed sees, and its noisy measurement."""

    def __init__(self, config: VNAConfig, dut: AttenuatorConfig, seed: int,
                 fixture: Fixture | None = None):
        self.config = config
        self.dut = dut
        self.fixture = fixture
        self._seed = seed
        self._noise_rng = np.random.default_rng([seed, 1])
        self._boxes: tuple[bytes, tuple[np.ndarray, np.ndarray]] | None = None
        self._cache: tuple[tuple[bytes, Hashable], dict[str, np.ndarray]] | None = None

    def error_boxes(self, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Port-1 and port-2 cabling error boxes, each (n, 2, 2) with port 1 facing the VNA."""
        key = frequency.tobytes()
        if self._boxes is None or self._boxes[0] != key:
            rng = np.random.default_rng([self._seed, 2])  # same boxes at every frequency grid
            self._boxes = (key, (error_box_s(frequency, self.config.port1, rng),
                                 error_box_s(frequency, self.config.port2, rng)))
        return self._boxes[1]

    def switch_terms(self, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True ``(gamma_f, gamma_r)`` = (a2/b2 port 1 driving, a1/b1 port 2 driving), each
        (n,): the port-2 and port-1 terminations; zero (ideal) without a fixture."""
        if self.fixture is None:
            zero = np.zeros(frequency.size, dtype=complex)
            return zero, zero.copy()
        rng = np.random.default_rng([self._seed, 5])
        gamma_r = port_termination(frequency, self.config.port1, rng)
        gamma_f = port_termination(frequency, self.config.port2, rng)
        return gamma_f, gamma_r

    def network(self, frequency: np.ndarray) -> np.ndarray:
        """Switch-term-free S-matrix at the receivers, (n, 2, 2): box1 ** inner ** box2^flip."""
        box1, box2 = self.error_boxes(frequency)
        inner = (attenuator_s(frequency, self.dut) if self.fixture is None
                 else self.fixture.inner_s(frequency))
        return cascade(cascade(box1, inner), flipped(box2))

    def waves(self, frequency: np.ndarray) -> dict[str, np.ndarray]:
        """Noise-free receiver waves for both source ports (see :func:`receiver_waves`)."""
        key = (frequency.tobytes(), None if self.fixture is None else self.fixture.state_token())
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, receiver_waves(self.network(frequency),
                                               *self.switch_terms(frequency)))
        return self._cache[1]

    def expected(self, frequency: np.ndarray) -> np.ndarray:
        """Noise-free measured (raw) S-matrix, shape (n, 2, 2), at ``frequency`` Hz."""
        raw = ratios(self.waves(frequency))
        s = np.empty((frequency.size, 2, 2), dtype=complex)
        for name, value in raw.items():
            s[:, int(name[1]) - 1, int(name[2]) - 1] = value
        return s

    def noise_sigma(self, power_dbm: float, if_bandwidth: float, averages: int) -> float:
        """Standard deviation of each measured ratio's real and imaginary parts."""
        level = self.config.receiver_noise_dbm + 10 * np.log10(if_bandwidth / 1e3) - power_dbm
        return float(10 ** (level / 20) / np.sqrt(2 * max(averages, 1)))

    def measure(self, frequency: np.ndarray, power_dbm: float, if_bandwidth: float,
                averages: int) -> dict[str, np.ndarray]:
        """One sweep in both directions: the S-parameters (``"S21"`` ...) and every receiver's
        wave relative to the source wave (``"b2,1"``: receiver b2, port 1 driving)."""
        sigma = self.noise_sigma(power_dbm, if_bandwidth, averages)
        noise = self._noise_rng.normal(scale=sigma, size=(2, 8, frequency.size))
        waves = {key: value + noise[0, i] + 1j * noise[1, i]
                 for i, (key, value) in enumerate(self.waves(frequency).items())}
        return {**ratios(waves), **waves}


__all__ = ["S_PARAMETERS", "WAVES", "Fixture", "VNAPhysics", "attenuator_s", "error_box_s",
           "port_termination", "ratios", "receiver_waves"]
