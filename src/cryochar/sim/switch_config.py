"""Testbed keys of the in-situ calibration hardware: ``twin.switch``, ``twin.calkit``,
``twin.thru`` and ``twin.verification`` (documented in ``sim/README.md``).

Kept beside :mod:`cryochar.sim.config` (which re-exports these sections) so that
module stays small; the base class is the same strict one (unknown keys are errors).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cryochar.core.units import Decibel, Duration

THROW_NAMES = ("short", "open", "load", "thru", "dut", "verification")
"""What hangs off the throws of each SP6T (port 1 and port 2 alike)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SwitchConfig(_Section):
    """Two latching cryogenic SP6T switches at the MXC, one per VNA port, and their controller.

    Each throw reaches its standard through a short path: the nominal path
    (``path_*``) plus a fixed per-throw deviation of RMS size ``asymmetry`` plus,
    redrawn at every actuation, a deviation of RMS size ``repeatability``
    (deviations of S11, S22 and S21 = S12, complex, frequency dependent).
    """

    model: str = "CSW-2SP6T"
    serial: str = "CSW00001"
    firmware: str = "1.2.0"
    throws: dict[str, int] = Field(
        default_factory=lambda: {name: i + 1 for i, name in enumerate(THROW_NAMES)},
        description="standard -> throw number 1..6 (same wiring on both switches)")
    repeatability: float = Field(1e-4, ge=0, le=0.1, description=(
        "RMS |dGamma| of a matched termination between actuations"))
    asymmetry: float = Field(2e-3, ge=0, le=0.1, description=(
        "RMS deviation of each throw's path from the nominal path"))
    actuation_time: Duration = Field(0.05, ge=0, le=10, description="pulse + settling, s")
    actuation_heat: float = Field(1e-5, ge=0, le=1, description=(
        "energy one actuation dissipates on the MXC, J"))
    failure_probability: float = Field(0.0, ge=0, le=1, description=(
        "chance that an actuation pulse leaves the switch where it was"))
    path_loss_db: Decibel = Field(0.1, ge=0, le=10, description="nominal throw path loss, dB")
    path_delay: Duration = Field(0.5e-9, ge=0, le=100e-9, description="nominal throw path, s")
    path_match_db: Decibel = Field(-30.0, le=-10, description="nominal path |S11|, |S22|, dB")

    @field_validator("throws")
    @classmethod
    def _wiring(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != set(THROW_NAMES):
            raise ValueError(f"throws must name exactly: {', '.join(THROW_NAMES)}")
        if sorted(value.values()) != list(range(1, 7)):
            raise ValueError("throws must use each of the numbers 1..6 once")
        return value


class CalKitConfig(_Section):
    """Offset short/open/load definitions (Keysight model), at room temperature.

    Offset delays are room-temperature values; the standards at the MXC have
    ``contraction`` x those delays (thermal contraction of the offset lengths).
    Offset loss in ohm/s (Keysight's GOhm/s x 1e9); open capacitance
    C0 + C1 f + C2 f^2 + C3 f^3 in F, F/Hz, F/Hz^2, F/Hz^3; short inductance likewise in H.
    """

    offset_z0: float = Field(50.0, gt=0, le=1000, description="offset impedance, ohm")
    short_delay: Duration = Field(31.785e-12, ge=0, le=1e-9)
    short_loss: float = Field(2.36e9, ge=0, le=1e12, description="offset loss, ohm/s")
    short_l0: float = Field(0.0, description="H")
    short_l1: float = Field(0.0, description="H/Hz")
    short_l2: float = Field(0.0, description="H/Hz^2")
    short_l3: float = Field(0.0, description="H/Hz^3")
    open_delay: Duration = Field(29.243e-12, ge=0, le=1e-9)
    open_loss: float = Field(2.2e9, ge=0, le=1e12, description="offset loss, ohm/s")
    open_c0: float = Field(49.43e-15, description="F")
    open_c1: float = Field(-310.13e-27, description="F/Hz")
    open_c2: float = Field(23.17e-36, description="F/Hz^2")
    open_c3: float = Field(-0.16e-45, description="F/Hz^3")
    load_delay: Duration = Field(0.0, ge=0, le=1e-9)
    load_loss: float = Field(0.0, ge=0, le=1e12, description="offset loss, ohm/s")
    load_resistance: float = Field(50.0, gt=0, le=1000, description="termination, ohm")
    contraction: float = Field(0.9967, ge=0.98, le=1.0, description=(
        "offset length at the MXC / at room temperature"))


class ThruConfig(_Section):
    """The reciprocal thru between the two switches' thru throws (a lossy line)."""

    loss_db: Decibel = Field(0.3, ge=0, le=20, description="insertion loss, dB")
    delay: Duration = Field(150e-12, ge=0, le=100e-9, description="s")
    impedance: float = Field(50.0, gt=0, le=500, description="line impedance, ohm")


class VerificationConfig(_Section):
    """The verification standard: a mismatched (Beatty-like) lossy line."""

    loss_db: Decibel = Field(3.0, ge=0, le=40, description="line loss, dB")
    delay: Duration = Field(100e-12, ge=0, le=100e-9, description="s")
    impedance: float = Field(25.0, gt=0, le=500, description="line impedance, ohm")


__all__ = ["THROW_NAMES", "CalKitConfig", "SwitchConfig", "ThruConfig", "VerificationConfig"]
