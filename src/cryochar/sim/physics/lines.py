"""The readout resonator's input line: attenuator chain, attenuator under test, ports.

Thermal photons arrive from a source at ``input_temperature`` through the
line's attenuators at the fridge's stage temperatures (cryochar.analysis.thermal
``attenuator_chain``), then through the attenuator under test at the MXC,
whose electrons are heated by the RF power it absorbs (hot-electron model,
phonons at the MXC temperature). The resonator sees this line with a fraction
``input_coupling`` of its kappa; the rest (output line, internal loss) is at
the MXC temperature. Coherent tones travel the same line: the source power is
reduced by every attenuator above the one under test (and by it too, for the
power that reaches the resonator). Attenuator time constants (ms..s) are far
shorter than an experiment, so the film is taken in steady state; its heat load
on the MXC (< nW) is neglected.
"""

from __future__ import annotations

from cryochar.analysis.thermal import (
    attenuator_chain,
    bose_einstein,
    hot_electron_temperature,
    resonator_population,
)
from cryochar.sim.config import AttenuatorUnderTestConfig, ResonatorConfig
from cryochar.sim.physics.fridge import STAGES, Fridge


class InputLine:
    """Photon numbers and powers along the resonator's input line (units: Hz, K, W)."""

    def __init__(self, resonator: ResonatorConfig, attenuator: AttenuatorUnderTestConfig,
                 fridge: Fridge):
        self.resonator = resonator
        self.attenuator = attenuator
        self.fridge = fridge
        self.stages = tuple((s, resonator.input_line[s]) for s in STAGES
                            if s in resonator.input_line)
        """(stage, dB) from the warm end, above the attenuator under test."""

    @property
    def upstream_db(self) -> float:
        """Attenuation between the source and the attenuator under test, dB."""
        return float(sum(db for _, db in self.stages))

    def attenuator_input_power(self, source_power: float) -> float:
        """Power at the attenuator under test's input, W, for ``source_power`` W at the source."""
        return source_power * 10.0 ** (-self.upstream_db / 10.0)

    def resonator_input_power(self, source_power: float) -> float:
        """Power arriving at the resonator's input port, W."""
        total = self.upstream_db + self.attenuator.attenuation_db
        return source_power * 10.0 ** (-total / 10.0)

    def attenuator_temperature(self, input_power: float, t_mxc: float) -> float:
        """Electron temperature of the attenuator under test, K, at ``input_power`` W."""
        a = self.attenuator
        return float(hot_electron_temperature(input_power, a.sigma_v, t_mxc, a.attenuation_db,
                                              a.exponent))

    def line_photons(self, t_att: float, t_mxc: float) -> float:
        """Thermal photons at the end of the line (after the attenuator under test)."""
        temperatures = [t_mxc if s == "mxc" else self.fridge.temperature(s)
                        for s, _ in self.stages]
        chain = attenuator_chain(
            self.resonator.frequency,
            [db for _, db in self.stages] + [self.attenuator.attenuation_db],
            [*temperatures, t_att],
            n_in=bose_einstein(self.resonator.frequency, self.resonator.input_temperature))
        return float(chain.n)

    def resonator_photons(self, t_att: float, t_mxc: float) -> float:
        """Thermal population of the resonator: line and MXC-temperature ports mixed by kappa."""
        eta = self.resonator.input_coupling
        return float(resonator_population(
            [eta, 1.0 - eta],
            [self.line_photons(t_att, t_mxc), bose_einstein(self.resonator.frequency, t_mxc)]))


__all__ = ["InputLine"]
