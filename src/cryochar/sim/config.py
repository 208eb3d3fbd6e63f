"""The testbed definition (``sim/testbed.yaml``): every key, its unit and default.

Keys are documented in ``sim/README.md``; ``--set twin.<...>=value`` overrides
any of them. Unknown keys are errors.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cryochar.core.units import Decibel, Duration, Frequency, PowerDbm, Temperature


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClockConfig(_Section):
    """Testbed clock: ``stepped`` (instant waits) or ``scaled`` (``speed`` x real time)."""

    mode: Literal["stepped", "scaled"] = "stepped"
    speed: float = Field(1.0, gt=0, le=1e6)


class FridgeConfig(_Section):
    """Dilution refrigerator: stage temperatures and MXC thermal model."""

    base_temperature: Temperature = Field(0.010, gt=0.002, le=1.0)
    circulation_rate: float = Field(500e-6, gt=0, le=0.01, description="mol/s")
    mxc_time_constant: Duration = Field(120.0, gt=0, le=3600)
    pt1_temperature: Temperature = Field(45.0, gt=10, le=80)
    pt2_temperature: Temperature = Field(3.5, gt=1, le=10)
    still_temperature: Temperature = Field(0.8, gt=0.3, le=2)
    cold_plate_temperature: Temperature = Field(0.08, gt=0.02, le=0.5)
    thermometer_noise: float = Field(1e-3, ge=0, le=0.1, description="relative, 1 sigma")


class LineConfig(_Section):
    """Cabling between a VNA port and the DUT (one error box)."""

    loss_db: Decibel = Field(10.0, ge=0, le=120, description="one-way insertion loss, dB")
    electrical_length: Duration = Field(20e-9, ge=0, le=1e-6, description="delay, s")
    mismatch_db: Decibel = Field(-25.0, le=-10, description="typical |directivity|, |match|, dB")
    ripple_db: Decibel = Field(0.3, ge=0, le=3, description="peak tracking ripple, dB")


class VNAConfig(_Section):
    """Keysight PNA-X of the twin."""

    model: str = "N5242B"
    serial: str = "MY00000001"
    firmware: str = "A.16.20.06"
    min_frequency: Frequency = 10e6
    max_frequency: Frequency = 26.5e9
    receiver_noise_dbm: PowerDbm = Field(-110.0, le=-40,
                                         description="noise floor at 1 kHz IF bandwidth")
    port1: LineConfig = Field(default_factory=LineConfig)
    port2: LineConfig = Field(default_factory=LineConfig)


class AttenuatorConfig(_Section):
    """The matched, flat attenuator measured as the DUT."""

    attenuation_db: Decibel = Field(20.0, ge=0, le=80)
    match_db: Decibel = Field(-35.0, le=-10, description="|S11| = |S22|, dB")


class Lakeshore372Config(_Section):
    """Lakeshore 372 resistance bridge and its thermometer channels."""

    serial: str = "LSA1234"
    firmware: str = "1.8"
    channels: dict[str, int] = Field(default_factory=lambda: {
        "pt1": 1, "pt2": 2, "still": 5, "mxc": 6, "cold_plate": 8})
    scan_dwell: Duration = Field(3.0, ge=0, le=200, description="time per scanned channel, s")
    heater_resistance: float = Field(120.0, gt=0, le=2000, description="sample heater, ohm")


class FaultsConfig(_Section):
    """Seeded fault injection on the wire (per reply of any served instrument)."""

    timeout_probability: float = Field(0.0, ge=0, le=0.5, description="reply swallowed")
    garble_probability: float = Field(0.0, ge=0, le=0.5, description="reply corrupted")
    disconnect_probability: float = Field(0.0, ge=0, le=0.5, description="connection dropped")
    error_probability: float = Field(0.0, ge=0, le=0.5, description=(
        "a spurious entry queued on the instrument's error queue per command"))
    latency: Duration = Field(0.0, ge=0, le=5, description="extra delay per reply, s (wall)")


class TwinConfig(_Section):
    """Physics of the simulated testbed."""

    fridge: FridgeConfig = Field(default_factory=FridgeConfig)
    vna: VNAConfig = Field(default_factory=VNAConfig)
    dut_attenuator: AttenuatorConfig = Field(default_factory=AttenuatorConfig)
    lakeshore372: Lakeshore372Config = Field(default_factory=Lakeshore372Config)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)


class TestbedConfig(_Section):
    """A testbed file: seed, clock and twin physics."""

    __test__ = False  # not a pytest test class

    seed: int = Field(20261121, ge=0)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    twin: TwinConfig = Field(default_factory=TwinConfig)


__all__ = [
    "AttenuatorConfig",
    "ClockConfig",
    "FaultsConfig",
    "FridgeConfig",
    "Lakeshore372Config",
    "LineConfig",
    "TestbedConfig",
    "TwinConfig",
    "VNAConfig",
]
