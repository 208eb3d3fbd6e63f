"""The testbed definition (``sim/testbed.yaml``): every key, its unit and default.

Keys are documented in ``sim/README.md``; ``--set twin.<...>=value`` overrides
any of them. Unknown keys are errors.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cryochar.core.units import Decibel, Duration, Frequency, PowerDbm, Temperature
from cryochar.sim.switch_config import (
    CalKitConfig,
    SwitchConfig,
    ThruConfig,
    VerificationConfig,
)


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


class RsVnaConfig(_Section):
    """Rohde & Schwarz ZNB/ZNA front end of the twin's VNA (``sim:vna_rs``).

    It measures through the same error boxes, switches and receivers as ``vna``
    (whose ``receiver_noise_dbm`` and ports apply): only identity and range are its own.
    """

    model: str = "ZNA26-2Port"
    serial: str = "1332450064100123"
    firmware: str = "2.60"
    min_frequency: Frequency = 10e6
    max_frequency: Frequency = 26.5e9


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


_FRIDGE_STAGES = ("pt1", "pt2", "still", "cold_plate", "mxc")


def _known_stages(channels: dict) -> dict:
    unknown = sorted(set(channels) - set(_FRIDGE_STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages: "
                         f"{', '.join(_FRIDGE_STAGES)}")
    return channels


def _stage_map(channels: dict, thermometer: str) -> dict:
    """A stage -> ``thermometer`` map: known stages, no ``thermometer`` shared by two."""
    if len(set(channels.values())) != len(channels):
        raise ValueError(f"two stages share a {thermometer}")
    return _known_stages(channels)


class BlueforsConfig(_Section):
    """Bluefors temperature controller (HTTP + JSON) scanning the fridge's thermometers.

    The scanner measures one channel at a time for ``wait_time + meas_time`` s
    (the device's statemachine settings), round robin over the active channels.
    """

    serial: str = "BFTC-TWIN-0001"
    software_version: str = "2.0.0"
    channels: dict[str, int] = Field(default_factory=lambda: {
        "pt1": 1, "pt2": 2, "still": 5, "mxc": 6, "cold_plate": 8},
        description="stage -> channel number (1..12)")
    wait_time: Duration = Field(2.0, ge=1, le=100, description="settling after a switch, s")
    meas_time: Duration = Field(3.0, ge=1, le=100, description="measurement per channel, s")
    mxc_heater: int = Field(4, ge=1, le=4, description="heater number wired to the MXC")
    heater_resistance: float = Field(120.0, gt=0, le=1000, description="heater resistance, ohm")

    @field_validator("channels")
    @classmethod
    def _channel_numbers(cls, value: dict[str, int]) -> dict[str, int]:
        if any(not 1 <= channel <= 12 for channel in value.values()):
            raise ValueError("Bluefors channels are numbered 1..12")
        return _stage_map(value, "channel")


class TritonConfig(_Section):
    """Oxford Instruments Triton (text over TCP, one client at a time)."""

    serial: str = "TRITON-TWIN-01"
    firmware: str = "2.4.10"
    channels: dict[str, str] = Field(default_factory=lambda: {
        "pt1": "T1", "pt2": "T2", "still": "T5", "cold_plate": "T6", "mxc": "T8"},
        description="stage -> thermometer device T1..T16; the MXC's carries the loop")
    heater_resistance: float = Field(100.0, gt=0, le=1000, description="MC heater H1, ohm")

    @field_validator("channels")
    @classmethod
    def _device_names(cls, value: dict[str, str]) -> dict[str, str]:
        if any(not re.fullmatch(r"T(?:[1-9]|1[0-6])", name) for name in value.values()):
            raise ValueError("Triton thermometers are named T1..T16")
        if "mxc" not in value:
            raise ValueError("channels must include 'mxc' (the control loop's thermometer)")
        return _stage_map(value, "thermometer")


class QubitConfig(_Section):
    """Transmon behind the qubit controller: coherence, TLS defects, readout, timing.

    Gamma_1(t) = 1/t1 + the Gamma_1 of each TLS defect currently coupled
    (telegraph switching, dwell times log-uniform in [tls_dwell_min, tls_dwell_max]).
    """

    frequency: Frequency = Field(5.0e9, ge=1e9, le=20e9)
    t1: Duration = Field(100e-6, gt=0, le=10e-3, description="T1 without defect events, s")
    gamma_phi_intrinsic: float = Field(1.0e3, ge=0, le=1e7, description=(
        "Gamma_phi,0: pure dephasing without thermal photons, s^-1"))
    quasistatic_t_phi: Duration | None = Field(None, gt=0, le=1, description=(
        "Gaussian dephasing time of quasi-static noise (Ramsey only; the echo refocuses it), "
        "s; none by default"))
    tls_count: int = Field(2, ge=0, le=50, description="TLS defects; 0: T1 does not fluctuate")
    tls_strength: float = Field(1.0, gt=0, le=10, description=(
        "largest Gamma_1 one coupled TLS adds, in units of 1/t1 (drawn in [0.25, 1] x this)"))
    tls_dwell_min: Duration = Field(300.0, gt=0, le=1e7, description="shortest mean dwell, s")
    tls_dwell_max: Duration = Field(10800.0, gt=0, le=1e7, description="longest mean dwell, s")
    readout_error_0: float = Field(0.02, ge=0, lt=0.5, description="P(read 1 | qubit in 0)")
    readout_error_1: float = Field(0.05, ge=0, lt=0.5, description="P(read 0 | qubit in 1)")
    repetition_time: Duration = Field(500e-6, gt=0, le=1, description=(
        "shot cycle besides the delay (reset wait, pulses, readout), s"))
    experiment_overhead: Duration = Field(0.1, ge=0, le=60, description=(
        "per experiment (compile, upload), s"))

    @field_validator("tls_dwell_max")
    @classmethod
    def _dwell_order(cls, value: float, info) -> float:
        if value < info.data.get("tls_dwell_min", 0.0):
            raise ValueError("tls_dwell_max must be >= tls_dwell_min")
        return value


class ResonatorConfig(_Section):
    """Readout resonator and the input line that dominates its external coupling.

    The input line runs from a source at ``input_temperature`` through
    ``input_line`` (stage -> attenuation, at the fridge's stage temperatures)
    and the attenuator under test at the MXC; the rest of kappa (output line,
    internal loss) sees the MXC temperature.
    """

    frequency: Frequency = Field(7.0e9, ge=1e9, le=20e9)
    kappa: float = Field(6.283185e6, gt=0, le=1e9, description="energy decay rate, s^-1")
    chi: float = Field(6.283185e6, gt=0, le=1e9, description=(
        "full dispersive shift omega_r(|1>) - omega_r(|0>) in magnitude, rad/s"))
    input_coupling: float = Field(0.9, gt=0, le=1, description=(
        "fraction of kappa through the input line"))
    input_line: dict[str, Decibel] = Field(
        default_factory=lambda: {"pt2": 20.0, "still": 10.0, "cold_plate": 20.0},
        description="stage -> attenuation above the attenuator under test, dB")
    input_temperature: Temperature = Field(295.0, gt=0, le=400, description=(
        "temperature of the line's source end, K"))

    @field_validator("input_line")
    @classmethod
    def _stages(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= db <= 80 for db in value.values()):
            raise ValueError("attenuations must lie in 0..80 dB")
        return _known_stages(value)


class AttenuatorUnderTestConfig(_Section):
    """Attenuator under test at the MXC on the resonator's input line (hot electrons)."""

    attenuation_db: Decibel = Field(20.0, ge=0, le=60)
    sigma_v: float = Field(1e-4, gt=0, le=1, description=(
        "electron-phonon coupling x film volume, W/K^5 (W/K^4 when exponent is 4)"))
    exponent: float = Field(5.0, ge=4, le=5, description="5: electron-phonon; 4: boundary")


NoiseStage = Literal["pt1", "pt2", "still", "cold_plate", "mxc"]
"""A fridge stage that a noise-bench component sits on (its temperature is the stage's)."""


class AmplifierConfig(_Section):
    """The amplifier under test: HEMT-like (flat) or TWPA/JPA-like (ripple, compression).

    ``ripple_db`` and ``p1db_dbm`` default to none for a HEMT (flat gain, no
    compression) and to 1 dB and -100 dBm for a TWPA.
    """

    kind: Literal["hemt", "twpa"] = "hemt"
    gain_db: Decibel = Field(40.0, ge=-10, le=70, description="small-signal gain, dB")
    noise_temperature: Temperature = Field(2.0, ge=0, le=1000, description=(
        "added noise referred to the input (Callen-Welton convention), K"))
    ripple_db: Decibel | None = Field(None, ge=0, le=10, description="peak-to-peak ripple, dB")
    ripple_period: Frequency = Field(100e6, gt=0, le=10e9, description="ripple period, Hz")
    p1db_dbm: PowerDbm | None = Field(None, ge=-150, le=30, description=(
        "input-referred 1 dB compression point of the total noise power in the band, dBm"))
    band_start: Frequency = Field(4e9, gt=0, le=1e12, description="band for compression, Hz")
    band_stop: Frequency = Field(8e9, gt=0, le=1e12, validate_default=True,
                                 description="band for compression, Hz")

    @field_validator("band_stop")
    @classmethod
    def _band_order(cls, value: float, info) -> float:
        if value <= info.data.get("band_start", 0.0):
            raise ValueError("band_stop must be above band_start")
        return value

    @property
    def effective_ripple_db(self) -> float:
        """Peak-to-peak gain ripple in use, dB."""
        if self.ripple_db is not None:
            return self.ripple_db
        return 1.0 if self.kind == "twpa" else 0.0

    @property
    def effective_p1db_dbm(self) -> float | None:
        """Input 1 dB compression point in use, dBm (None: no compression)."""
        if self.p1db_dbm is not None:
            return self.p1db_dbm
        return -100.0 if self.kind == "twpa" else None


class AmplifierChainConfig(_Section):
    """What surrounds the amplifier under test: input loss before it, HEMT and
    room-temperature stages after it."""

    input_loss_db: Decibel = Field(0.5, ge=0, le=30, description="loss before the DUT, dB")
    input_loss_stage: NoiseStage = Field("mxc", description="stage of the input loss")
    hemt_gain_db: Decibel = Field(38.0, ge=0, le=60)
    hemt_noise_temperature: Temperature = Field(4.0, ge=0, le=100)
    room_gain_db: Decibel = Field(30.0, ge=0, le=80)
    room_noise_temperature: Temperature = Field(150.0, ge=0, le=5000)


class VtLoadConfig(_Section):
    """Variable-temperature matched load on a heated stage, under a Lakeshore 336.

    The stage hangs off ``stage`` by a weak link of conductance g T (W/K):
    steady state T = sqrt(T_bath^2 + 2 P / g); first-order response.
    """

    stage: NoiseStage = Field("mxc", description="bath the load is linked to")
    time_constant: Duration = Field(60.0, gt=0, le=3600)
    link_conductance: float = Field(8e-5, gt=0, le=1, description="g in G(T) = g T, W/K^2")
    heater_resistance: float = Field(50.0, gt=0, le=2000, description="load heater, ohm")
    thermometer_noise: float = Field(5e-4, ge=0, le=0.1, description="relative, 1 sigma")
    serial: str = "LSA33601"
    firmware: str = "2.9"


class SntjConfig(_Section):
    """Shot-noise tunnel junction, biased by the Keithley SMU."""

    resistance: float = Field(50.0, gt=0, le=1e6, description="junction resistance, ohm")
    stage: NoiseStage = Field("mxc", description="the junction's temperature is this stage's")
    smu_model: Literal["2400", "2450"] = "2450"
    smu_serial: str = "04400001"


def _default_enr() -> dict[float, float]:
    return {10e6: 15.20, 1e9: 15.12, 4e9: 15.05, 8e9: 14.91, 12e9: 14.78, 18e9: 14.55,
            26.5e9: 14.10}


class DiodeConfig(_Section):
    """346-series noise diode at room temperature, switched by the analyser's 28 V."""

    enr_db: dict[Frequency, Decibel] = Field(default_factory=_default_enr, description=(
        "frequency -> excess noise ratio, dB (interpolated linearly)"))
    ambient_temperature: Temperature = Field(296.0, gt=200, le=350, description="diode off, K")
    attenuators: dict[NoiseStage, Decibel] = Field(
        default_factory=lambda: {"pt2": 20.0, "mxc": 20.0},
        description="input line: stage -> attenuation, dB (applied warm to cold)")

    @field_validator("enr_db")
    @classmethod
    def _table(cls, value: dict[float, float]) -> dict[float, float]:
        if not value or any(f <= 0 for f in value) or any(not 0 <= db <= 40
                                                          for db in value.values()):
            raise ValueError("ENR table needs frequencies > 0 Hz and ENR in 0..40 dB")
        return dict(sorted(value.items()))


class NoiseSourceConfig(_Section):
    """Which noise source feeds the amplifier under test, and each source's physics."""

    kind: Literal["vt_load", "sntj", "diode"] = "vt_load"
    vt_load: VtLoadConfig = Field(default_factory=VtLoadConfig)
    sntj: SntjConfig = Field(default_factory=SntjConfig)
    diode: DiodeConfig = Field(default_factory=DiodeConfig)


class SpectrumAnalyserConfig(_Section):
    """Keysight N9030-series spectrum analyser of the twin."""

    model: str = "N9030B"
    serial: str = "MY00000003"
    firmware: str = "A.33.03"
    min_frequency: Frequency = Field(2.0, gt=0)
    max_frequency: Frequency = Field(26.5e9, gt=0, le=110e9)
    danl_dbm_hz: PowerDbm = Field(-150.0, ge=-180, le=-100, description=(
        "displayed average noise level, dBm/Hz"))
    noise_bandwidth_factor: float = Field(1.056, ge=1, le=1.5, description=(
        "equivalent noise bandwidth / RBW of the resolution filter"))


_FaultProbability = Annotated[float, Field(ge=0, le=0.5)]
"""Probability of an injected fault per event: at most one in two (0: never)."""


class FaultsConfig(_Section):
    """Seeded fault injection on the wire (per reply of any served instrument)."""

    timeout_probability: _FaultProbability = Field(0.0, description="reply swallowed")
    garble_probability: _FaultProbability = Field(0.0, description="reply corrupted")
    disconnect_probability: _FaultProbability = Field(0.0, description="connection dropped")
    error_probability: _FaultProbability = Field(0.0, description=(
        "a spurious entry queued on the instrument's error queue per command"))
    latency: Duration = Field(0.0, ge=0, le=5, description="extra delay per reply, s (wall)")
    thermometer_dropout_probability: _FaultProbability = Field(0.0, description=(
        "per reading: the bridge reports an invalid (under-range) reading"))
    excursion_power: float = Field(0.0, ge=0, le=1.0, description=(
        "extra MXC heat load of a temperature excursion, W (0: none)"))
    excursion_start: Duration = Field(600.0, ge=0, description="testbed s after start")
    excursion_duration: Duration = Field(300.0, gt=0, description="s")


class TwinConfig(_Section):
    """Physics of the simulated testbed."""

    fridge: FridgeConfig = Field(default_factory=FridgeConfig)
    vna: VNAConfig = Field(default_factory=VNAConfig)
    vna_rs: RsVnaConfig = Field(default_factory=RsVnaConfig)  # R&S front end, same physics
    dut_attenuator: AttenuatorConfig = Field(default_factory=AttenuatorConfig)
    lakeshore372: Lakeshore372Config = Field(default_factory=Lakeshore372Config)
    bluefors: BlueforsConfig = Field(default_factory=BlueforsConfig)
    triton: TritonConfig = Field(default_factory=TritonConfig)
    qubit: QubitConfig = Field(default_factory=QubitConfig)
    resonator: ResonatorConfig = Field(default_factory=ResonatorConfig)
    attenuator_under_test: AttenuatorUnderTestConfig = Field(
        default_factory=AttenuatorUnderTestConfig)
    # amplifier-noise bench: DUT, its chain, the noise sources, the spectrum analyser
    amplifier: AmplifierConfig = Field(default_factory=AmplifierConfig)
    amplifier_chain: AmplifierChainConfig = Field(default_factory=AmplifierChainConfig)
    noise_source: NoiseSourceConfig = Field(default_factory=NoiseSourceConfig)
    spectrum_analyser: SpectrumAnalyserConfig = Field(default_factory=SpectrumAnalyserConfig)
    # in-situ calibration hardware: SP6T switches at the MXC and the standards on their throws
    switch: SwitchConfig = Field(default_factory=SwitchConfig)
    calkit: CalKitConfig = Field(default_factory=CalKitConfig)
    thru: ThruConfig = Field(default_factory=ThruConfig)
    verification: VerificationConfig = Field(default_factory=VerificationConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)


class TestbedConfig(_Section):
    """A testbed file: seed, clock and twin physics."""

    __test__ = False  # not a pytest test class

    seed: int = Field(20261121, ge=0)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    twin: TwinConfig = Field(default_factory=TwinConfig)


__all__ = [
    "AmplifierChainConfig",
    "AmplifierConfig",
    "AttenuatorConfig",
    "AttenuatorUnderTestConfig",
    "BlueforsConfig",
    "CalKitConfig",
    "ClockConfig",
    "DiodeConfig",
    "FaultsConfig",
    "FridgeConfig",
    "Lakeshore372Config",
    "LineConfig",
    "NoiseSourceConfig",
    "NoiseStage",
    "QubitConfig",
    "ResonatorConfig",
    "RsVnaConfig",
    "SntjConfig",
    "SpectrumAnalyserConfig",
    "SwitchConfig",
    "TestbedConfig",
    "ThruConfig",
    "TritonConfig",
    "TwinConfig",
    "VNAConfig",
    "VerificationConfig",
    "VtLoadConfig",
]
