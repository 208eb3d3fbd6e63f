"""Two-port VNA calibration at millikelvin, with an uncertainty budget.

Solvers (scikit-rf compatible constructors, every frequency solved at once)::

    cal = UnknownThru(measured=[...], ideals=[...], switch_terms=(gamma_f, gamma_r))
    cal.run(); cal.coefs["forward directivity"]; dut = cal.apply_cal(raw_dut)

* :class:`EightTerm` (known standards) and :class:`UnknownThru` (SOLR:
  reflects + unknown reciprocal thru, last) agree with their scikit-rf
  namesakes to rounding; :attr:`~.base.TwoPortCalibration.coefs` has
  scikit-rf's keys ('forward directivity', ..., 'k', isolation and switch
  terms), ``coefs_12term`` adds load match and transmission tracking.
* Thin wrappers over scikit-rf: :func:`solt`, :func:`trl`,
  :func:`multiline_trl`; :func:`solr` builds :class:`UnknownThru`;
  :func:`error_terms_of` turns any two-port calibration into
  :class:`ErrorTerms`.
* Array-level solvers for batches (draws x frequencies):
  :func:`solve_eight_term`, :func:`solve_unknown_thru`, :func:`solve_one_port`;
  switch terms :func:`unterminate` / :func:`terminate`.
* Standards with thermal contraction of the offsets to 4 K:
  :class:`OffsetReflect`, :class:`ReflectPair`, :class:`Thru`,
  :func:`ideal_s`, :func:`ideal_networks`, :data:`CONTRACTION_4K`.

Uncertainty: :func:`uncertainty_budget` (Monte Carlo or linear; sources in
:class:`BudgetSources`) -> frozen :class:`UncertaintyBudget` with the
standard uncertainty of every component and the combined and expanded
(k = 2) uncertainty of |S21| (dB) and |S11|. Inputs to it:
:func:`trace_noise`, :func:`actuation_scatter` (switch repeatability from
repeated actuations), :func:`error_term_drift`.

Checks: :func:`verify` (DUT vs reference within the expanded uncertainty),
:func:`check_drift` (re-measured check standard -> stale flag),
:func:`residual_error_terms` (residual directivity/source match after
correction from verification standards).

Units: frequency in Hz, delays in s; S-parameters and error terms are
dimensionless complex; |S21| in dB where the name says ``_db``.
Pure functions only: Touchstone files are written by
:mod:`cryochar.reports.touchstone`.
"""

from cryochar.analysis.calibration.base import TwoPortCalibration
from cryochar.analysis.calibration.budget import COMPONENTS, BudgetSources
from cryochar.analysis.calibration.eightterm import EightTerm, solve_eight_term
from cryochar.analysis.calibration.errorterms import (
    COEF_KEYS,
    EIGHT_TERM_KEYS,
    ErrorTerms,
    error_term_drift,
    error_term_networks,
)
from cryochar.analysis.calibration.residuals import residual_error_terms
from cryochar.analysis.calibration.results import (
    ComponentUncertainty,
    DriftCheck,
    RepeatScatter,
    ResidualErrorTerms,
    UncertaintyBudget,
    VerificationResult,
)
from cryochar.analysis.calibration.sparams import cascade, terminate, unterminate
from cryochar.analysis.calibration.standards import (
    CONTRACTION_4K,
    CONTRACTION_4K_U,
    OffsetReflect,
    ReflectPair,
    Standard,
    Thru,
    ideal_networks,
    ideal_s,
)
from cryochar.analysis.calibration.statistics import actuation_scatter, trace_noise
from cryochar.analysis.calibration.uncertainty import uncertainty_budget
from cryochar.analysis.calibration.unknownthru import (
    UnknownThru,
    solve_one_port,
    solve_unknown_thru,
)
from cryochar.analysis.calibration.verification import check_drift, verify
from cryochar.analysis.calibration.wrappers import (
    error_terms_of,
    multiline_trl,
    solr,
    solt,
    trl,
)

__all__ = [
    "COEF_KEYS",
    "COMPONENTS",
    "CONTRACTION_4K",
    "CONTRACTION_4K_U",
    "EIGHT_TERM_KEYS",
    "BudgetSources",
    "ComponentUncertainty",
    "DriftCheck",
    "EightTerm",
    "ErrorTerms",
    "OffsetReflect",
    "ReflectPair",
    "RepeatScatter",
    "ResidualErrorTerms",
    "Standard",
    "Thru",
    "TwoPortCalibration",
    "UncertaintyBudget",
    "UnknownThru",
    "VerificationResult",
    "actuation_scatter",
    "cascade",
    "check_drift",
    "error_term_drift",
    "error_term_networks",
    "error_terms_of",
    "ideal_networks",
    "ideal_s",
    "multiline_trl",
    "residual_error_terms",
    "solr",
    "solt",
    "solve_eight_term",
    "solve_one_port",
    "solve_unknown_thru",
    "terminate",
    "trace_noise",
    "trl",
    "uncertainty_budget",
    "unterminate",
    "verify",
]
