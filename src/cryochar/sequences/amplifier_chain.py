"""The measurement chain around an amplifier under test: what is known of it, and how a
system noise result is referred to the amplifier (Friis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.constants import h, k

from cryochar.analysis.noise import callen_welton_temperature, friis_first_stage
from cryochar.core.units import Decibel, Temperature

WARM_TO_COLD = ("pt1", "pt2", "still", "cold_plate", "mxc")


class Chain(BaseModel):
    """Calibrated stages before and after the amplifier under test (from the chain's
    own characterisation); standard uncertainties."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_loss_db: Decibel = Field(ge=0, description="between source and amplifier, dB")
    input_loss_uncertainty_db: Decibel = Field(0.02, ge=0)
    input_loss_stage: str = Field("mxc", description="stage whose temperature the loss has")
    input_loss_temperature_uncertainty: Temperature = Field(1e-3, ge=0)
    hemt_gain_db: Decibel = Field(description="the following HEMT, dB")
    hemt_gain_uncertainty_db: Decibel = Field(0.1, ge=0)
    hemt_noise_temperature: Temperature = Field(ge=0)
    hemt_noise_uncertainty: Temperature = Field(0.3, ge=0)
    room_gain_db: Decibel = Field(0.0, description="room-temperature stage, dB")
    room_noise_temperature: Temperature = Field(0.0, ge=0)


def refer_to_amplifier(referred: Any, chain: Chain, coverage_factor: float = 2.0,
                       ) -> dict[str, Any]:
    """Gain and noise temperature of the amplifier from a result referred to its input.

    G_amp = G / (G_hemt G_room); T_amp = T - (T_hemt + T_room / G_hemt) / G_amp.
    Expanded uncertainties (``coverage_factor``) in the returned summary fields.
    """
    f = np.asarray(referred.frequency, float)
    g_later_db = chain.hemt_gain_db + chain.room_gain_db
    gain_db = np.asarray(referred.gain_db, float) - g_later_db
    gain_db_u = np.hypot(np.asarray(referred.gain_db_uncertainty, float),
                         chain.hemt_gain_uncertainty_db)
    g_amp = 10 ** (gain_db / 10)
    g_hemt = 10 ** (chain.hemt_gain_db / 10)
    t_later = chain.hemt_noise_temperature + chain.room_noise_temperature / g_hemt
    t_amp, t_amp_u = friis_first_stage(
        referred.noise_temperature, g_amp, t_later,
        system_uncertainty=referred.noise_temperature_uncertainty,
        first_gain_uncertainty=g_amp * np.log(10) / 10 * gain_db_u,
        later_uncertainty=chain.hemt_noise_uncertainty)
    quantum = h * f / k
    c = coverage_factor
    return {
        "frequency": f.tolist(),
        "gain_db": np.round(gain_db, 5).tolist(),
        "gain_db_uncertainty": np.round(c * gain_db_u, 5).tolist(),
        "noise_temperature": np.asarray(t_amp, float).tolist(),
        "noise_temperature_uncertainty": (c * np.asarray(t_amp_u, float)).tolist(),
        "n_added": (np.asarray(t_amp, float) / quantum).tolist(),
        "n_added_uncertainty": (c * np.asarray(t_amp_u, float) / quantum).tolist(),
        "coverage_factor": c,
    }


def diode_temperatures(diode: Any, frequency: np.ndarray, line: dict[str, float],
                       stages: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Hot and cold noise temperatures (K) of a diode, referred down its line of
    attenuators (dB per stage) at the measured stage temperatures."""
    hot = np.asarray(diode.hot_temperature(frequency), float)
    cold = np.full(frequency.shape, float(diode.cold_temperature()))
    for stage in WARM_TO_COLD:
        if stage in line:
            a = 10 ** (line[stage] / 10)
            bath = np.asarray(callen_welton_temperature(frequency, stages[stage]), float)
            hot = hot / a + (1 - 1 / a) * bath
            cold = cold / a + (1 - 1 / a) * bath
    return hot, cold


__all__ = ["Chain", "diode_temperatures", "refer_to_amplifier"]
