"""What a VNA measures on the testbed: DUT embedded between two cable error boxes.

Each port's cabling is a seeded random two-port error box (directivity, source
match, loss, delay, tracking ripple). The DUT is a matched attenuator. The
embedded network is cascaded with scikit-rf; receiver noise is added to each
measured ratio with sigma = 10^((N_floor + 10 log10(IFBW / 1 kHz) - P_src) / 20)
/ sqrt(averages), N_floor in dBm at 1 kHz IF bandwidth, P_src in dBm.
"""

from __future__ import annotations

import numpy as np
import skrf

from cryochar.sim.config import AttenuatorConfig, LineConfig, VNAConfig

S_PARAMETERS = ("S11", "S21", "S12", "S22")


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


class VNAPhysics:
    """The network a VNA on the testbed sees, and its noisy measurement."""

    def __init__(self, config: VNAConfig, dut: AttenuatorConfig, seed: int):
        self.config = config
        self.dut = dut
        self._seed = seed
        self._noise_rng = np.random.default_rng([seed, 1])
        self._cache: tuple[bytes, np.ndarray] | None = None

    def expected(self, frequency: np.ndarray) -> np.ndarray:
        """Noise-free measured S-matrix, shape (n, 2, 2), at ``frequency`` Hz."""
        key = frequency.tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        box_rng = np.random.default_rng([self._seed, 2])  # same boxes at every frequency grid
        freq = skrf.Frequency.from_f(frequency, unit="Hz")
        box1 = skrf.Network(frequency=freq, s=error_box_s(frequency, self.config.port1, box_rng))
        box2 = skrf.Network(frequency=freq, s=error_box_s(frequency, self.config.port2, box_rng))
        dut = skrf.Network(frequency=freq, s=attenuator_s(frequency, self.dut))
        embedded = box1 ** dut ** box2.flipped()
        self._cache = (key, embedded.s)
        return embedded.s

    def noise_sigma(self, power_dbm: float, if_bandwidth: float, averages: int) -> float:
        """Standard deviation of each measured ratio's real and imaginary parts."""
        level = self.config.receiver_noise_dbm + 10 * np.log10(if_bandwidth / 1e3) - power_dbm
        return float(10 ** (level / 20) / np.sqrt(2 * max(averages, 1)))

    def measure(self, frequency: np.ndarray, power_dbm: float, if_bandwidth: float,
                averages: int) -> dict[str, np.ndarray]:
        """One sweep: every S-parameter with receiver noise, keyed ``"S21"`` etc."""
        s = self.expected(frequency)
        sigma = self.noise_sigma(power_dbm, if_bandwidth, averages)
        noise = self._noise_rng.normal(scale=sigma, size=(2, 2, 2, frequency.size))
        result = {}
        for name in S_PARAMETERS:
            i, j = int(name[1]) - 1, int(name[2]) - 1
            result[name] = s[:, i, j] + noise[0, i, j] + 1j * noise[1, i, j]
        return result


__all__ = ["S_PARAMETERS", "VNAPhysics", "attenuator_s", "error_box_s"]
