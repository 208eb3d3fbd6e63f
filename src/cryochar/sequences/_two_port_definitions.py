"""Recipe-level definitions of a two-port calibration: cal kit, thru, verification, budget.

The parameters of ``two_port_calibration`` that describe hardware (what the
standards are) and how the uncertainty is evaluated; each turns itself into
the analysis objects of :mod:`cryochar.analysis.calibration`.

Units: delays s, offset loss ohm/s, capacitance F (F/Hz, ...), inductance H
(H/Hz, ...), impedance and resistance ohm, loss dB, frequency Hz.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cryochar.analysis.calibration import (
    CONTRACTION_4K,
    CONTRACTION_4K_U,
    OffsetReflect,
    ReflectPair,
)
from cryochar.core.units import Decibel, Duration, Frequency

Z0 = 50.0  # reference impedance, ohm


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalKitDefinition(_Model):
    """Room-temperature definitions of the offset short/open/load (Keysight cal-kit model).

    Delays in s, offset loss in ohm/s, open capacitance C0..C3 in F, F/Hz,
    F/Hz^2, F/Hz^3, short inductance L0..L3 in H, H/Hz, ...; load resistance
    in ohm. At the MXC every offset delay is ``contraction`` x its definition.
    """

    offset_z0: float = Field(50.0, gt=0, le=1000, description="ohm")
    short_delay: Duration = Field(31.785e-12, ge=0, le=1e-9)
    short_loss: float = Field(2.36e9, ge=0, le=1e12, description="ohm/s")
    short_inductance: tuple[float, ...] = Field((0.0, 0.0, 0.0, 0.0), max_length=4)
    open_delay: Duration = Field(29.243e-12, ge=0, le=1e-9)
    open_loss: float = Field(2.2e9, ge=0, le=1e12, description="ohm/s")
    open_capacitance: tuple[float, ...] = Field((49.43e-15, -310.13e-27, 23.17e-36, -0.16e-45),
                                                max_length=4)
    load_delay: Duration = Field(0.0, ge=0, le=1e-9)
    load_loss: float = Field(0.0, ge=0, le=1e12, description="ohm/s")
    load_resistance: float = Field(50.0, gt=0, le=1000, description="ohm")
    contraction: float = Field(CONTRACTION_4K, ge=0.98, le=1.0,
                               description="offset length cold / warm")
    contraction_uncertainty: float = Field(CONTRACTION_4K_U, ge=0, le=0.01,
                                           description="standard uncertainty (k = 1)")

    def reflections(self) -> tuple[OffsetReflect, OffsetReflect, OffsetReflect]:
        """Short, open and load as analysis standards."""
        z0 = self.offset_z0
        gamma = (self.load_resistance - Z0) / (self.load_resistance + Z0)
        return (OffsetReflect("short", self.short_delay, self.short_loss,
                              inductance=self.short_inductance, z0=z0),
                OffsetReflect("open", self.open_delay, self.open_loss,
                              capacitance=self.open_capacitance, z0=z0),
                OffsetReflect("load", self.load_delay, self.load_loss, gamma=gamma, z0=z0))

    def pairs(self) -> tuple[ReflectPair, ...]:
        """Short, open and load on both ports at once (the same kit on both switches)."""
        return tuple(ReflectPair(r, r, r.kind) for r in self.reflections())


@dataclass(frozen=True)
class LineStandard:
    """A uniform line of ``impedance`` ohm in a 50 ohm system: one-way ``delay`` s (times the
    contraction) and insertion loss ``loss_db`` (flat, or growing as sqrt(f / loss_frequency)
    when ``loss_frequency`` Hz is given). Usable wherever the analysis takes a standard."""

    impedance: float = Z0
    delay: float = 0.0
    loss_db: float = 0.0
    loss_frequency: float | None = None
    name: str = "line"

    def s(self, frequency: Any, contraction: Any = CONTRACTION_4K) -> np.ndarray:
        """S-parameters ``(..., n_freq, 2, 2)``; ``contraction`` broadcasts like the kit's."""
        f = np.asarray(frequency, dtype=float)
        loss = self.loss_db * (np.sqrt(f / self.loss_frequency) if self.loss_frequency else 1.0)
        t = 10 ** (-loss / 20) * np.exp(-2j * np.pi * f * self.delay * np.asarray(contraction))
        g = (self.impedance - Z0) / (self.impedance + Z0)
        d = 1.0 - g**2 * t**2
        out = np.empty((*t.shape, 2, 2), dtype=complex)
        out[..., 0, 0] = out[..., 1, 1] = g * (1.0 - t**2) / d
        out[..., 0, 1] = out[..., 1, 0] = t * (1.0 - g**2) / d
        return out


class LineDefinition(_Model):
    """A uniform line: impedance ohm, one-way delay s, insertion loss dB (flat, or at
    ``loss_frequency`` Hz scaling as sqrt(f) for a skin-effect loss)."""

    impedance: float = Field(50.0, gt=0, le=500, description="ohm")
    delay: Duration = Field(0.0, ge=0, le=100e-9)
    loss_db: Decibel = Field(0.0, ge=0, le=40, description="insertion loss, dB")
    loss_frequency: Frequency | None = Field(None, gt=0, description=(
        "Hz: loss_db holds there and scales as sqrt(f); omit for a flat loss"))

    def standard(self, name: str) -> LineStandard:
        """The line as an analysis standard."""
        return LineStandard(self.impedance, self.delay, self.loss_db, self.loss_frequency, name)


class ThruDefinition(LineDefinition):
    """The thru. SOLR needs only its delay (it picks the root's sign, within +/- 90 deg);
    SOLT takes the whole definition as known (delay contracted like the kit's)."""

    delay: Duration = Field(150e-12, ge=0, le=100e-9)


class VerificationDefinition(LineDefinition):
    """The verification standard (a mismatched lossy line), defined as it is at the MXC."""

    impedance: float = Field(25.0, gt=0, le=500, description="ohm")
    delay: Duration = Field(100e-12, ge=0, le=100e-9)
    loss_db: Decibel = Field(3.0, ge=0, le=40, description="insertion loss, dB")
    reference_uncertainty_db: Decibel = Field(0.0, ge=0, le=10, description=(
        "expanded uncertainty of its |S21| definition, dB"))

    def s(self, frequency: np.ndarray) -> np.ndarray:
        """S-matrix ``(n, 2, 2)`` (no contraction: the definition is the cold line)."""
        return self.standard("verification").s(frequency, 1.0)


class BudgetSettings(_Model):
    """How the uncertainty budget is evaluated."""

    draws: int = Field(300, ge=20, le=5000, description="Monte Carlo draws")
    seed: int = Field(0, ge=0, description="seed of the draws")
    coverage_factor: float = Field(2.0, gt=0, le=5)
    path_asymmetry: float = Field(6e-3, ge=0, le=0.2, description=(
        "max |deviation| (uniform in the disk) of the DUT's throws from the standards' "
        "paths, in S11, S22 and S21 - 1 of a box at each port: the lumped effect of "
        "every throw's own path, ~3 x the RMS per-throw deviation of the switch's "
        "datasheet or a characterisation (the twin's 2e-3 -> 6e-3)"))


__all__ = ["BudgetSettings", "CalKitDefinition", "LineDefinition", "LineStandard",
           "ThruDefinition", "VerificationDefinition"]
