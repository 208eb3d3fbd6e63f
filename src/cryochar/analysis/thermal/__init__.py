"""Thermal photons, effective temperatures and attenuator heating (pure numpy/scipy).

Formulas (broadcasting, SI units: Hz, K, W, s^-1; kappa s^-1, chi rad/s full
dispersive shift, attenuations in dB):

* :func:`bose_einstein`, :func:`effective_temperature` (+ its uncertainty);
* :func:`attenuator_chain`: photons along a line of attenuators
  (n_out = n_in/A + (1 - 1/A) n_BE(f, T_i)), with per-stage contributions;
* :func:`resonator_population`: n_res = sum kappa_p n_p / kappa;
* :func:`thermal_dephasing_rate` (exact Clerk-Utami) and its exact inverse
  :func:`photons_from_dephasing`; :func:`coherent_dephasing_rate` for a
  detuned coherent tone;
* :func:`hot_electron_temperature` / :func:`hot_electron_power`:
  T_e = (T_ph^5 + P (1 - 1/A) / SigmaV)^(1/5).

Fits and estimates (frozen results with uncertainties and flags, see
:mod:`.results`):

* :func:`fit_leakage_model`: n(T_mxc) = n_leak + w n_BE(f, T_att), assuming
  T_att = T_mxc (attenuator anchored to the MXC, no RF power) unless the
  attenuator temperatures are given;
* :func:`fit_hot_electron`: SigmaV (W/K^5) from T_att(P), exponent 5 or 4,
  or fitted;
* :func:`thermal_photons_from_coherence`, :func:`thermal_photon_estimate`:
  excess dephasing -> n and T_eff, or an upper bound when the excess is below
  ~0.1 Gamma_phi,0 or not significant.
"""

from cryochar.analysis.thermal.dephasing import (
    coherent_dephasing_rate,
    coherent_photons,
    photons_from_dephasing,
    thermal_dephasing_rate,
    thermal_dephasing_slope,
)
from cryochar.analysis.thermal.estimate import (
    thermal_photon_estimate,
    thermal_photons_from_coherence,
)
from cryochar.analysis.thermal.heating import EXPONENT_BOUNDS, fit_hot_electron
from cryochar.analysis.thermal.heating_model import (
    dissipated_fraction,
    hot_electron_power,
    hot_electron_temperature,
)
from cryochar.analysis.thermal.leakage import fit_leakage_model
from cryochar.analysis.thermal.photons import (
    ROOM_TEMPERATURE,
    AttenuatorChain,
    attenuator_chain,
    bose_einstein,
    effective_temperature,
    effective_temperature_stderr,
    resonator_population,
)
from cryochar.analysis.thermal.results import (
    HotElectronFit,
    LeakageFit,
    ThermalPhotonEstimate,
)

__all__ = [
    "EXPONENT_BOUNDS",
    "ROOM_TEMPERATURE",
    "AttenuatorChain",
    "HotElectronFit",
    "LeakageFit",
    "ThermalPhotonEstimate",
    "attenuator_chain",
    "bose_einstein",
    "coherent_dephasing_rate",
    "coherent_photons",
    "dissipated_fraction",
    "effective_temperature",
    "effective_temperature_stderr",
    "fit_hot_electron",
    "fit_leakage_model",
    "hot_electron_power",
    "hot_electron_temperature",
    "photons_from_dephasing",
    "resonator_population",
    "thermal_dephasing_rate",
    "thermal_dephasing_slope",
    "thermal_photon_estimate",
    "thermal_photons_from_coherence",
]
