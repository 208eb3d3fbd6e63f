"""Amplifier gain and noise-temperature analysis (pure numpy/scipy, vectorised over frequency).

Conventions (see ``shared/design/PHYSICS.md``, "Amplifier noise"): powers in
W, frequencies and bandwidths in Hz, temperatures in K, gains linear unless
``*_db``. Noise temperatures are Callen-Welton temperatures: a load at
physical temperature T delivers ``T_CW = (h f / 2k) coth(h f / 2 k T)``, so a
quantum-limited phase-preserving amplifier has ``n_added = k T_n / h f = 1/2``.
Standard uncertainties (k = 1) unless a field says expanded.

* Formulas: :func:`callen_welton_temperature`, :func:`callen_welton_derivative`,
  :func:`noise_quanta`, :func:`quanta_temperature`,
  :func:`sntj_noise_temperature`, :data:`SNTJ_SLOPE` (e/2k), dB helpers.
* Measurements: :func:`y_factor` (two source temperatures),
  :func:`fit_multi_temperature` (three or more), :func:`fit_sntj` (shot-noise
  tunnel junction bias sweep); results :class:`YFactorResult`,
  :class:`MultiTemperatureResult`, :class:`SNTJResult` share
  :class:`AmplifierNoise` (gain, gain_db, noise_temperature, n_added, their
  uncertainties, covariance, ``flags``/``ok``, see :class:`NoiseFlag`); the
  fits over >= 4 distinct source temperatures also test for gain compression
  (:class:`CompressionCheck`: ``curvature``, ``compression_db``, flag
  ``compression``).
* Input loss: :func:`embed_input_loss` / :func:`deembed_input_loss`
  (temperatures), :func:`embed_added_quanta` / :func:`deembed_added_quanta`
  (quanta), :func:`deembed_result` (with the loss uncertainty).
* Cascades: :func:`friis`, :func:`friis_first_stage`,
  :func:`line_noise_temperature`, :func:`diode_hot_temperature`,
  :func:`diode_cold_temperature`.
* Budget: :func:`noise_budget` with :class:`HotColdSource` /
  :class:`DiodeSource` and :class:`InputLoss` -> :class:`NoiseBudget`
  (Monte Carlo per component, combined, expanded with k, optional linear).
* Summary: :func:`summarize_noise` -> :class:`NoiseSummary` (expanded, k = 2).
"""

from cryochar.analysis.noise.budget import BudgetEntry, NoiseBudget, noise_budget
from cryochar.analysis.noise.cascade import (
    diode_cold_temperature,
    diode_hot_temperature,
    friis,
    friis_first_stage,
    line_noise_temperature,
)
from cryochar.analysis.noise.flags import NOISE_FLAG_NAMES, NoiseFlag, decode_noise_flags
from cryochar.analysis.noise.formulas import (
    SNTJ_SLOPE,
    T0,
    callen_welton_derivative,
    callen_welton_temperature,
    db_to_linear,
    linear_to_db,
    noise_quanta,
    quanta_temperature,
    sntj_noise_temperature,
)
from cryochar.analysis.noise.loss import (
    deembed_added_quanta,
    deembed_input_loss,
    deembed_result,
    embed_added_quanta,
    embed_input_loss,
)
from cryochar.analysis.noise.multitemp import fit_multi_temperature
from cryochar.analysis.noise.results import (
    AmplifierNoise,
    CompressionCheck,
    MultiTemperatureResult,
    SNTJResult,
    YFactorResult,
)
from cryochar.analysis.noise.sntj import fit_sntj
from cryochar.analysis.noise.sources import DiodeSource, HotColdSource, InputLoss
from cryochar.analysis.noise.summary import NoiseSummary, summarize_noise
from cryochar.analysis.noise.yfactor import y_factor

__all__ = [
    "NOISE_FLAG_NAMES",
    "SNTJ_SLOPE",
    "T0",
    "AmplifierNoise",
    "BudgetEntry",
    "CompressionCheck",
    "DiodeSource",
    "HotColdSource",
    "InputLoss",
    "MultiTemperatureResult",
    "NoiseBudget",
    "NoiseFlag",
    "NoiseSummary",
    "SNTJResult",
    "YFactorResult",
    "callen_welton_derivative",
    "callen_welton_temperature",
    "db_to_linear",
    "decode_noise_flags",
    "deembed_added_quanta",
    "deembed_input_loss",
    "deembed_result",
    "diode_cold_temperature",
    "diode_hot_temperature",
    "embed_added_quanta",
    "embed_input_loss",
    "fit_multi_temperature",
    "fit_sntj",
    "friis",
    "friis_first_stage",
    "line_noise_temperature",
    "linear_to_db",
    "noise_budget",
    "noise_quanta",
    "quanta_temperature",
    "sntj_noise_temperature",
    "summarize_noise",
    "y_factor",
]
