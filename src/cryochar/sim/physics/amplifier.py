"""The amplifier-noise bench: noise source -> input loss -> amplifier under test
-> HEMT -> room-temperature stage -> spectrum analyser input.

Noise temperatures are Callen-Welton temperatures referred to the input of
each element (PHYSICS.md, Amplifier noise). With the source delivering
``T_src(f)``, a loss L at ``T_L`` before the DUT, and stages of gain G_i and
noise temperature T_i, the power spectral density at the analyser input is

    S(f) = k G_sys(f) [T_src(f) + T_sys(f)],       G_sys = G_dut G_hemt G_room / L,
    T_sys = (L - 1) T_CW(f, T_L) + L [T_dut + T_hemt / G_dut + T_room / (G_dut G_hemt)],

so a Y-factor between two source temperatures recovers G_sys and T_sys
exactly. The DUT's gain is flat (HEMT) or rippled (TWPA:
``G_dB + (ripple/2) sin(2 pi f / period)``) and compresses as
``G / (1 + P_in / P_sat)``, with ``P_sat = P_1dB / (10^0.1 - 1)`` and P_in the
total input-referred noise power ``k int_band (T_in + T_dut) df``: exactly
1 dB down when P_in equals P_1dB.
"""

from __future__ import annotations

import numpy as np
from scipy.constants import h, k

from cryochar.analysis.noise import callen_welton_temperature
from cryochar.sim.clock import SimClock
from cryochar.sim.config import AmplifierConfig, TwinConfig
from cryochar.sim.physics.noise_sources import (
    NoiseDiode,
    ShotNoiseJunction,
    StageTemperature,
    VariableTemperatureLoad,
)

BAND_POINTS = 257  # frequency grid of the compression integral


def db_to_linear(value_db: np.ndarray | float) -> np.ndarray:
    """Power ratio from dB."""
    return 10 ** (np.asarray(value_db, dtype=float) / 10)


def radiometer_power(power: np.ndarray | float, samples: np.ndarray | float,
                     rng: np.random.Generator) -> np.ndarray:
    """A noise power, W, measured from ``samples`` = B tau independent samples.

    The average of N exponential (chi-square, two degrees of freedom) samples is
    Gamma(N, P/N): mean P, relative standard deviation ``1/sqrt(B tau)``. N is
    at least 1 (one sample of the filtered noise).
    """
    p = np.asarray(power, dtype=float)
    n = np.maximum(np.broadcast_to(np.asarray(samples, dtype=float), p.shape), 1.0)
    return rng.gamma(n, p / n)


class AmplifierUnderTest:
    """Small-signal gain, added noise and compression of the DUT."""

    def __init__(self, config: AmplifierConfig):
        self.config = config

    def small_signal_gain_db(self, frequency: np.ndarray) -> np.ndarray:
        """Gain without compression, dB (flat, plus the ripple if any)."""
        c = self.config
        f = np.asarray(frequency, dtype=float)
        return c.gain_db + 0.5 * c.effective_ripple_db * np.sin(2 * np.pi * f / c.ripple_period)

    def noise_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Added noise referred to the input (Callen-Welton convention), K."""
        return np.full(np.shape(frequency), self.config.noise_temperature, dtype=float)

    def n_added(self, frequency: np.ndarray) -> np.ndarray:
        """Added noise in quanta, ``k T_n / (h f)``."""
        f = np.asarray(frequency, dtype=float)
        return k * self.noise_temperature(f) / (h * f)

    def band(self) -> np.ndarray:
        """Frequency grid over which compression integrates the input power, Hz."""
        return np.linspace(self.config.band_start, self.config.band_stop, BAND_POINTS)

    def compression(self, input_power: float) -> float:
        """Linear gain factor (<= 1) at total input-referred power ``input_power`` W."""
        p1db = self.config.effective_p1db_dbm
        if p1db is None:
            return 1.0
        saturation = 1e-3 * 10 ** (p1db / 10) / (10**0.1 - 1)
        return 1.0 / (1.0 + input_power / saturation)


class AmplifierChain:
    """The whole bench: sources, input loss, DUT, HEMT, room-temperature stage.

    ``stage_temperature`` gives fridge stage temperatures (K) by name; the
    noise source in use is ``noise_source.kind`` of the configuration.
    """

    def __init__(self, twin: TwinConfig, stage_temperature: StageTemperature, clock: SimClock,
                 rng: np.random.Generator):
        self.config = twin.amplifier_chain
        self.source_config = twin.noise_source
        self._stage = stage_temperature
        self.amplifier = AmplifierUnderTest(twin.amplifier)
        self.vt_load = VariableTemperatureLoad(twin.noise_source.vt_load, stage_temperature,
                                               clock, rng)
        self.sntj = ShotNoiseJunction(twin.noise_source.sntj, stage_temperature)
        self.diode = NoiseDiode(twin.noise_source.diode, stage_temperature)

    @property
    def source(self) -> VariableTemperatureLoad | ShotNoiseJunction | NoiseDiode:
        """The noise source connected to the amplifier under test."""
        return {"vt_load": self.vt_load, "sntj": self.sntj,
                "diode": self.diode}[self.source_config.kind]

    def source_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature the connected source delivers now, K."""
        return self.source.delivered_temperature(np.asarray(frequency, dtype=float))

    def input_loss(self) -> tuple[float, float]:
        """Loss before the DUT: (attenuation dB, physical temperature K now)."""
        return self.config.input_loss_db, self._stage(self.config.input_loss_stage)

    def dut_input_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise temperature at the DUT's input, K (source through the input loss)."""
        f = np.asarray(frequency, dtype=float)
        loss_db, physical = self.input_loss()
        transmission = 1 / db_to_linear(loss_db)
        return (transmission * self.source_temperature(f)
                + (1 - transmission) * callen_welton_temperature(f, physical))

    def compression(self) -> float:
        """Linear gain factor of the DUT under the present input noise."""
        if self.amplifier.config.effective_p1db_dbm is None:
            return 1.0
        band = self.amplifier.band()
        density = self.dut_input_temperature(band) + self.amplifier.noise_temperature(band)
        return self.amplifier.compression(k * float(np.trapezoid(density, band)))

    def dut_gain_db(self, frequency: np.ndarray) -> np.ndarray:
        """Gain of the DUT now (compressed by the present input noise), dB."""
        return (self.amplifier.small_signal_gain_db(frequency)
                + 10 * np.log10(self.compression()))

    def system_gain(self, frequency: np.ndarray) -> np.ndarray:
        """Linear gain from the noise source's output to the analyser's input."""
        c = self.config
        total_db = (self.dut_gain_db(frequency) + c.hemt_gain_db + c.room_gain_db
                    - c.input_loss_db)
        return db_to_linear(total_db)

    def system_noise_temperature(self, frequency: np.ndarray) -> np.ndarray:
        """Noise added by the chain, referred to the source's output (Friis), K."""
        c = self.config
        f = np.asarray(frequency, dtype=float)
        loss_db, physical = self.input_loss()
        loss = db_to_linear(loss_db)
        g_dut = db_to_linear(self.dut_gain_db(f))
        after = (self.amplifier.noise_temperature(f) + c.hemt_noise_temperature / g_dut
                 + c.room_noise_temperature / (g_dut * db_to_linear(c.hemt_gain_db)))
        return (loss - 1) * callen_welton_temperature(f, physical) + loss * after

    def psd(self, frequency: np.ndarray) -> np.ndarray:
        """Noise power spectral density at the analyser's input, W/Hz (noise-free)."""
        f = np.asarray(frequency, dtype=float)
        return k * self.system_gain(f) * (self.source_temperature(f)
                                          + self.system_noise_temperature(f))

    def summary(self) -> dict[str, object]:
        """Scalar truths: the DUT's configuration, the input loss, the sources' state."""
        a = self.amplifier.config
        loss_db, physical = self.input_loss()
        return {"kind": a.kind, "gain_db": a.gain_db, "noise_temperature": a.noise_temperature,
                "ripple_db": a.effective_ripple_db, "p1db_dbm": a.effective_p1db_dbm,
                "input_loss_db": loss_db, "input_loss_temperature": physical,
                "noise_source": self.source_config.kind,
                "vt_load_temperature": self.vt_load.temperature(),
                "sntj_voltage": self.sntj.voltage, "diode_on": self.diode.on}

    def truth(self, frequency: np.ndarray) -> dict[str, np.ndarray | float]:
        """Ground truth of the DUT and its surroundings at ``frequency`` Hz."""
        f = np.asarray(frequency, dtype=float)
        loss_db, physical = self.input_loss()
        return {"gain_db": self.amplifier.small_signal_gain_db(f),
                "compressed_gain_db": self.dut_gain_db(f),
                "noise_temperature": self.amplifier.noise_temperature(f),
                "n_added": self.amplifier.n_added(f),
                "input_loss_db": loss_db, "input_loss_temperature": physical,
                "system_gain_db": 10 * np.log10(self.system_gain(f)),
                "system_noise_temperature": self.system_noise_temperature(f)}


__all__ = ["AmplifierChain", "AmplifierUnderTest", "db_to_linear", "radiometer_power"]
