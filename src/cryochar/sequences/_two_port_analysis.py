"""Analysis of a two-port calibration run (used by ``two_port_calibration`` and its export).

Pure numpy on the run's per-point arrays, read through ``read(name)`` (a
:meth:`RunWriter.read` or an xarray lookup), so the sequence's summary and
``cryochar export RUN --touchstone`` derive the same numbers from the same raw
data. Steps:

1. group the points into complete cycles (short, open, load, thru, DUT,
   verification, each measured after a fresh actuation) and average the
   repeats; switch terms are the mean of those measured at the thru points;
2. VNA noise: :func:`trace_noise` of the differences between the thru's raw
   S21/S12 repeats, de-rotated (the cable delay aliases at typical point
   spacings); switch repeatability: :func:`actuation_scatter` of the
   standards' repeats (pooled over frequency, trace noise removed);
3. solve SOLR (:func:`solve_unknown_thru`, thru as the sign reference) or SOLT
   (:func:`solve_eight_term`, known thru) from the means and correct the
   averaged DUT and verification standard;
4. Monte Carlo :func:`uncertainty_budget` of both (definitions with the
   contraction, noise / sqrt(N), repeatability with N actuations, path
   asymmetry, temperature drift = first vs last cycle's error terms: an upper
   bound that also holds the single-cycle repeatability);
5. checks: :func:`verify` of the verification standard's |S21| against its
   definition; :func:`check_drift` of the re-measured check standard against
   its first measurement (stale: see :func:`stale`);
   :func:`residual_error_terms` of each port from the corrected verification
   reflection (one standard: terms taken constant over ``residual_window``
   points, by default the whole band; a short line rotates slowly, so these
   are coarse, with their condition number reported).

Results (:func:`summary`) hold ``*_raw`` noise and repeatability in raw-reading
units (complex RMS) and the budget's components as median standard
uncertainties (k = 1, dB).

Units: frequency Hz, time s (epoch), temperature K, |S21| dB; S-parameters and
error terms dimensionless complex.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from cryochar.analysis.calibration import (
    EIGHT_TERM_KEYS,
    BudgetSources,
    DriftCheck,
    ErrorTerms,
    RepeatScatter,
    ResidualErrorTerms,
    UncertaintyBudget,
    VerificationResult,
    actuation_scatter,
    check_drift,
    error_term_drift,
    ideal_s,
    residual_error_terms,
    solve_eight_term,
    solve_unknown_thru,
    trace_noise,
    uncertainty_budget,
    unterminate,
    verify,
)
from cryochar.sequences._two_port_definitions import (
    BudgetSettings,
    CalKitDefinition,
    ThruDefinition,
    VerificationDefinition,
)

SPARAMS = ("S11", "S12", "S21", "S22")
"""Order of the ``sparam`` axis: row-major, so ``s.reshape(..., 2, 2)`` is the S-matrix."""
STEPS = ("stabilise", "short", "open", "load", "thru", "dut", "verification", "check")
"""Point kinds; the plan's ``step`` is an index into this tuple."""
STANDARDS = ("short", "open", "load", "thru")
"""Calibration standards in solver order (the thru last)."""
CYCLE = (*STANDARDS, "dut", "verification")
"""What one repeat measures, in order."""


class Recipe(Protocol):
    """The parameters the analysis needs (``two_port_calibration.Parameters`` has them)."""

    method: str
    calkit: CalKitDefinition
    thru: ThruDefinition
    verification: VerificationDefinition
    budget: BudgetSettings
    check_standard: str
    residual_window: int | None
    drift_alpha: float


@dataclass(frozen=True)
class SessionData:
    """Raw measurements of the complete cycles, ``N`` repeats each (axis after the kind)."""

    frequency: np.ndarray       # (n,) Hz
    standards: np.ndarray       # (4, N, n, 2, 2): short, open, load, thru
    dut: np.ndarray             # (N, n, 2, 2)
    verification: np.ndarray    # (N, n, 2, 2)
    switch_terms: np.ndarray    # (N, 2, n): gamma_f, gamma_r at each thru point
    check: np.ndarray | None    # (n, 2, 2): the check standard re-measured at the end
    check_index: int            # its row in ``standards``
    time: float                 # mean time of the standards' points, s
    mxc_temperature: float      # mean MXC reading at the standards' points, K


def session_data(read: Callable[[str], np.ndarray], frequency: np.ndarray,
                 stages: list[str], check_standard: str) -> SessionData | str:
    """Group the completed points; a string says why no analysis is possible yet."""
    step = np.asarray(read("step")).astype(int)
    repeat = np.asarray(read("repeat")).astype(int)
    n = frequency.size
    s = np.asarray(read("s")).reshape(-1, n, 2, 2)
    rows = {kind: {int(r): i for i, r in zip(np.flatnonzero(step == STEPS.index(kind)),
                                              repeat[step == STEPS.index(kind)], strict=True)}
            for kind in CYCLE}
    cycles = sorted(set.intersection(*(set(rows[k]) for k in CYCLE)))
    if len(cycles) < 2:
        return f"{len(cycles)} complete measurement cycle(s); the analysis needs 2"
    pick = {kind: [rows[kind][r] for r in cycles] for kind in CYCLE}
    std_rows = [i for kind in STANDARDS for i in pick[kind]]
    checks = np.flatnonzero(step == STEPS.index("check"))
    temps = np.asarray(read("stage_temperature"))
    mxc = temps[std_rows, stages.index("mxc")] if "mxc" in stages else np.array([np.nan])
    return SessionData(
        frequency=frequency,
        standards=np.stack([s[pick[kind]] for kind in STANDARDS]),
        dut=s[pick["dut"]], verification=s[pick["verification"]],
        switch_terms=np.moveaxis(np.asarray(read("switch_terms"))[pick["thru"]], -1, 1),
        check=s[checks[-1]] if checks.size else None,
        check_index=STANDARDS.index(check_standard),
        time=float(np.mean(np.asarray(read("time"))[std_rows])),
        mxc_temperature=float(np.nanmean(mxc)))


@dataclass(frozen=True)
class Calibration:
    """Everything the run's analysis yields (arrays over frequency)."""

    frequency: np.ndarray
    method: str
    repeats: int
    terms: ErrorTerms
    dut: np.ndarray                  # corrected (n, 2, 2)
    verification_s: np.ndarray       # corrected (n, 2, 2)
    verification_reference: np.ndarray
    dut_budget: UncertaintyBudget
    verification_budget: UncertaintyBudget
    verification: VerificationResult
    drift: DriftCheck | None
    residuals: tuple[ResidualErrorTerms, ResidualErrorTerms]  # port 1, port 2
    noise_sigma: float
    scatter: RepeatScatter
    drift_magnitudes: dict[str, float]
    time: float
    mxc_temperature: float


def derotated(traces: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``traces (..., n)`` with the dominant linear phase of ``reference (..., n)`` removed
    (a cable delay, aliased or not: the peak of a 16x zero-padded FFT)."""
    n = reference.shape[-1]
    pad = 16 * n
    k = np.argmax(np.abs(np.fft.fft(reference, pad, axis=-1)), axis=-1)
    return traces * np.exp(-2j * np.pi * k[..., None] * np.arange(n) / pad)


def vna_noise(thru_repeats: np.ndarray) -> float:
    """Trace noise (complex RMS, raw units) of one reading, from the thru's repeats
    ``(N, n, 2, 2)``: :func:`trace_noise` of the differences of S21 (and S12) between
    repeats, de-rotated, / sqrt(2). Differencing cancels the error boxes' ripple and
    delay; what stays smooth (the contact's scatter) is what the local fit removes."""
    tx = np.stack([thru_repeats[..., 1, 0], thru_repeats[..., 0, 1]])    # (2, N, n)
    diffs = tx[:, 1:] - tx[:, :1]
    flat = derotated(diffs, tx.mean(axis=1, keepdims=True))
    return float(np.median(trace_noise(flat)) / np.sqrt(2))


@dataclass(frozen=True)
class SolvedSession:
    """The error terms of one session and what its uncertainty budget needs."""

    terms: ErrorTerms
    switch: tuple[np.ndarray, np.ndarray]
    """Switch terms (gf, gr), mean over repeats."""
    noise: np.ndarray
    scatter: RepeatScatter
    """Actuation scatter of the standards (its ``mean`` is what was solved)."""
    definitions: tuple[Any, ...]
    ideals: np.ndarray
    solve: Callable[..., ErrorTerms]


def solve_session(data: SessionData, recipe: Recipe) -> SolvedSession:
    """The error terms of one session from its standards' mean over actuations."""
    gf, gr = data.switch_terms.mean(axis=0)
    noise = vna_noise(data.standards[STANDARDS.index("thru")])
    scatter = actuation_scatter(data.standards, axis=1, noise_sigma=noise, pool_axis=1)
    definitions = (*recipe.calkit.pairs(), recipe.thru.standard("thru"))
    ideals = ideal_s(definitions, data.frequency, recipe.calkit.contraction)
    solve = solve_unknown_thru if recipe.method == "solr" else solve_eight_term
    terms = solve(unterminate(scatter.mean, gf, gr), ideals, switch_terms=(gf, gr))
    return SolvedSession(terms, (gf, gr), noise, scatter, definitions, ideals, solve)


def calibrate(data: SessionData, recipe: Recipe) -> Calibration:
    """Solve, correct, budget and check one calibration session (see the module docstring)."""
    f, n_rep = data.frequency, data.dut.shape[0]
    solved = solve_session(data, recipe)
    terms, (gf, gr), noise = solved.terms, solved.switch, solved.noise
    scatter, definitions, ideals, solve = (solved.scatter, solved.definitions, solved.ideals,
                                           solved.solve)
    drift = _cycle_drift(solve, data.standards, ideals, (gf, gr))
    sources = BudgetSources(contraction=recipe.calkit.contraction,
                            contraction_u=recipe.calkit.contraction_uncertainty,
                            noise_sigma=noise / np.sqrt(n_rep), switch_sigma=scatter,
                            n_actuations=n_rep, path_asymmetry=recipe.budget.path_asymmetry,
                            drift=drift)

    def budget_of(raw: np.ndarray) -> UncertaintyBudget:
        b = recipe.budget
        return uncertainty_budget(
            definitions, scatter.mean, raw.mean(axis=0), f, (gf, gr), sources=sources,
            calibration="unknown_thru" if recipe.method == "solr" else "eight_term",
            draws=b.draws, seed=b.seed, coverage_factor=b.coverage_factor)

    dut_budget, ver_budget = budget_of(data.dut), budget_of(data.verification)
    ver_corrected = terms.correct(data.verification.mean(axis=0))
    reference = recipe.verification.s(f)
    return Calibration(
        frequency=f, method=recipe.method, repeats=n_rep, terms=terms,
        dut=terms.correct(data.dut.mean(axis=0)), verification_s=ver_corrected,
        verification_reference=reference, dut_budget=dut_budget,
        verification_budget=ver_budget,
        verification=verify(ver_budget.s21_db, 20 * np.log10(np.abs(reference[:, 1, 0])),
                            ver_budget.expanded_s21_db,
                            reference_expanded_db=recipe.verification.reference_uncertainty_db,
                            frequency=f),
        drift=_drift_check(data, scatter, recipe.drift_alpha),
        residuals=_residuals(ver_corrected, reference, recipe.residual_window),
        noise_sigma=noise, scatter=scatter, drift_magnitudes=drift, time=data.time,
        mxc_temperature=data.mxc_temperature)


def _cycle_drift(solve: Callable[..., ErrorTerms], standards: np.ndarray, ideals: np.ndarray,
                 switch: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """RMS over frequency of |E_last - E_first| of the first and last cycle's calibrations."""
    ends = solve(unterminate(standards[:, [0, -1]], *switch), ideals[:, None],
                 switch_terms=switch).coefs
    moved = error_term_drift({k: v[0] for k, v in ends.items()},
                             {k: v[1] for k, v in ends.items()})
    return {k: float(np.sqrt(np.mean(moved[k] ** 2))) for k in EIGHT_TERM_KEYS}


def _drift_check(data: SessionData, scatter: RepeatScatter, alpha: float) -> DriftCheck | None:
    """The check standard at the end against its first measurement (one actuation each,
    so the scatter of one reading is the repeats' raw scatter, trace noise included)."""
    if data.check is None:
        return None
    i = data.check_index
    sigma = np.broadcast_to(scatter.raw_sigma[i], data.check.shape)
    return check_drift(data.check, data.standards[i, 0], sigma, alpha=alpha)


def _residuals(corrected: np.ndarray, reference: np.ndarray,
               window: int | None) -> tuple[ResidualErrorTerms, ResidualErrorTerms]:
    """Residual terms of each port from the verification's S11 / S22 (``window`` points per
    fit; None: one fit over the whole band)."""
    n = corrected.shape[0]
    w = n if window is None else max(3, min(window, n))
    return (residual_error_terms(corrected[:, 0, 0], reference[:, 0, 0], window=w),
            residual_error_terms(corrected[:, 1, 1], reference[:, 1, 1], window=w))


def stale(drift: DriftCheck) -> bool:
    """The calibration is stale when any point of the check standard moved beyond its
    Bonferroni threshold (family-wise level alpha whatever the correlation between
    frequencies). The pooled chi-square of :func:`check_drift` is reported, not used:
    a switch contact's scatter is smooth in frequency, so its points are not
    independent and the pooled test would raise false alarms."""
    return drift.n_exceeding > 0


def _decimate(values: Any, step: int, digits: int) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), digits)
            for v in np.asarray(values)[::step]]


def summary(cal: Calibration, max_points: int) -> dict[str, Any]:
    """JSON-ready results; arrays over frequency every ``ceil(n / max_points)``-th point."""
    f = cal.frequency
    step = int(np.ceil(f.size / max_points))
    b, ver = cal.dut_budget, cal.verification
    directivity = np.concatenate([r.directivity_db for r in cal.residuals])
    match = np.concatenate([r.source_match_db for r in cal.residuals])
    condition = max(float(np.max(r.condition)) for r in cal.residuals)
    reflections = cal.scatter.sigma[..., [0, 1], [0, 1]]
    return {
        "method": cal.method, "repeats": cal.repeats, "summary_stride": step,
        "frequency": _decimate(f, step, 1),
        "dut_s21_db": _decimate(b.s21_db, step, 5),
        "dut_s21_db_uncertainty": _decimate(b.expanded_s21_db, step, 5),
        "dut_s11_db": _decimate(20 * np.log10(np.abs(cal.dut[:, 0, 0])), step, 2),
        "dut_s21_db_median": round(float(np.median(b.s21_db)), 5),
        "median_uncertainty_db": round(float(np.median(b.expanded_s21_db)), 5),
        "max_uncertainty_db": round(float(np.max(b.expanded_s21_db)), 5),
        "coverage_factor": b.coverage_factor,
        "uncertainty_components_db": {  # median standard uncertainty (k = 1) of each source
            name: round(float(np.median(c.s21_db)), 6) for name, c in b.components.items()},
        "dominant_component": str(max(b.components,
                                      key=lambda k: np.median(b.components[k].s21_db))),
        "verification_pass": bool(ver.passed),
        "verification_pass_fraction": round(ver.pass_fraction, 4),
        "verification_failures": [list(band) for band in ver.failing_bands],
        "verification_worst_normalised_error": round(ver.worst_normalised_error, 4),
        "verification_s21_db": _decimate(cal.verification_budget.s21_db, step, 5),
        "verification_reference_db": _decimate(
            20 * np.log10(np.abs(cal.verification_reference[:, 1, 0])), step, 5),
        "verification_s21_db_uncertainty": _decimate(
            cal.verification_budget.expanded_s21_db, step, 5),
        "residual_directivity_db": round(float(np.max(directivity)), 2),
        "residual_source_match_db": round(float(np.max(match)), 2),
        "residual_condition": round(condition, 1),
        "calibration_stale": None if cal.drift is None else stale(cal.drift),
        "drift_p_value": None if cal.drift is None else float(f"{cal.drift.p_value:.4g}"),
        "drift_points_exceeding": None if cal.drift is None else cal.drift.n_exceeding,
        "vna_noise_raw": float(f"{cal.noise_sigma:.4g}"),
        "switch_repeatability_raw": float(f"{float(np.sqrt(np.mean(reflections**2))):.4g}"),
        "error_term_drift": {k: float(f"{v:.4g}") for k, v in cal.drift_magnitudes.items()},
        "calibration_time": cal.time,
        "calibration_mxc_temperature": cal.mxc_temperature,
    }


__all__ = [
    "CYCLE", "SPARAMS", "STANDARDS", "STEPS", "Calibration", "Recipe", "SessionData",
    "SolvedSession", "calibrate", "derotated", "session_data", "solve_session", "stale",
    "summary", "vna_noise",
]
