"""Per-frequency uncertainty budget of a calibrated DUT (Monte Carlo or linear).

:func:`uncertainty_budget` re-solves the calibration (8-term with a known
thru, or SOLR/unknown thru) and re-corrects the raw DUT for a batch of
perturbations of the inputs (:mod:`.budget`), all draws and frequencies at
once, chunked over frequency to bound memory. Each source is evaluated on
its own (its standard uncertainty), the components are combined in
quadrature and expanded with the coverage factor; the Monte Carlo method
also draws all sources together as a check (``joint_*``).

Inputs: ``frequency`` in Hz; raw S-parameters (dimensionless complex) of the
standards ``(n_std, n_freq, 2, 2)`` (or a list of ``skrf.Network``) and of the
DUT ``(n_freq, 2, 2)``; switch terms ``(gamma_f, gamma_r)`` each ``(n_freq,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from cryochar.analysis.calibration.budget import (
    COMPONENTS,
    BudgetSources,
    Perturbation,
    directions,
    draw,
    is_active,
    resolve,
)
from cryochar.analysis.calibration.eightterm import solve_eight_term
from cryochar.analysis.calibration.results import (
    ComponentUncertainty,
    UncertaintyBudget,
    frozen_array,
)
from cryochar.analysis.calibration.sparams import as_gamma, as_s, cascade, db20, unterminate
from cryochar.analysis.calibration.standards import Standard, ideal_s
from cryochar.analysis.calibration.unknownthru import solve_unknown_thru

__all__ = ["uncertainty_budget"]

#: Systems (draws x frequencies) solved per chunk; keeps memory to tens of MB.
_CHUNK_SYSTEMS = 8192
_SOLVERS = {"eight_term": solve_eight_term, "unknown_thru": solve_unknown_thru}


@dataclass(frozen=True)
class _Problem:
    frequency: np.ndarray          # (n_f,) Hz
    standards: tuple[Standard, ...]
    measured: np.ndarray           # (n_std, n_f, 2, 2) raw
    dut: np.ndarray                # (n_f, 2, 2) raw
    switch: np.ndarray             # (2, n_f)
    contraction: float
    calibration: str


def _evaluate_corrected(problem: _Problem, pert: Perturbation, sl: slice) -> np.ndarray:
    """Corrected DUT S ``(D, n_chunk, 2, 2)`` for a batch of perturbations on chunk ``sl``."""
    c = problem.contraction + (np.zeros((1, 1)) if pert.contraction is None
                               else pert.contraction)
    ideals = ideal_s(problem.standards, problem.frequency[sl], c)
    meas = problem.measured[:, None, sl]
    if pert.standards is not None:
        meas = meas + pert.standards
    gamma = problem.switch[:, None, sl]
    if pert.switch is not None:
        gamma = gamma + pert.switch
    terms = _SOLVERS[problem.calibration](unterminate(meas, gamma[0], gamma[1]), ideals,
                                          switch_terms=(gamma[0], gamma[1]))
    if pert.drift is not None:
        terms = terms.perturbed(pert.drift)
    dut = problem.dut[None, sl] if pert.dut is None else problem.dut[None, sl] + pert.dut
    s = terms.correct(dut)
    if pert.asymmetry is not None:
        s = cascade(cascade(_asymmetry_box(pert.asymmetry[..., 0, :]), s),
                    _asymmetry_box(pert.asymmetry[..., 1, :]))
    return np.broadcast_to(s, (pert.n, *s.shape[-3:]))


def _asymmetry_box(d: np.ndarray) -> np.ndarray:
    """Reciprocal perturbation two-port ``[[d1, 1 + dt], [1 + dt, d2]]`` from ``(..., 3)``."""
    box = np.empty((*d.shape[:-1], 2, 2), dtype=complex)
    box[..., 0, 0], box[..., 1, 1] = d[..., 0], d[..., 1]
    box[..., 0, 1] = box[..., 1, 0] = 1.0 + d[..., 2]
    return box


def _quantities(s: np.ndarray) -> np.ndarray:
    """``(2, ...)``: |S21| in dB and |S11|."""
    return np.stack([db20(s[..., 1, 0]), np.abs(s[..., 0, 0])])


def _spread(y: np.ndarray, method: str) -> np.ndarray:
    """Standard uncertainty over the draw axis (1) of ``(2, D, n)`` quantities."""
    if method == "linear":
        return np.sqrt((((y[:, 0::2] - y[:, 1::2]) / 2) ** 2).sum(axis=1))
    return y.std(axis=1, ddof=1)


def _chunks(n_f: int, n_draws: int) -> list[slice]:
    step = max(1, _CHUNK_SYSTEMS // max(n_draws, 1))
    return [slice(i, min(i + step, n_f)) for i in range(0, n_f, step)]


def _component(problem: _Problem, spec: Any, names: Sequence[str], method: str,
               n_draws: int, seed: int) -> np.ndarray:
    """Standard uncertainty ``(2, n_f)`` with the sources ``names`` perturbed together."""
    n_f = problem.frequency.size
    out = np.empty((2, n_f))
    size = n_draws if method == "monte_carlo" else directions(names[0], spec, slice(0, 1)).n
    for sl in _chunks(n_f, size):
        perts = [draw(n, spec, n_draws, sl, seed) if method == "monte_carlo"
                 else directions(n, spec, sl) for n in names]
        total = perts[0]
        for p in perts[1:]:
            total = total + p
        out[:, sl] = _spread(_quantities(_evaluate_corrected(problem, total, sl)), method)
    return out


def uncertainty_budget(standards: Sequence[Standard], measured: Any, dut: Any, frequency: Any,
                       switch_terms: tuple[Any, Any] | None = None, *,
                       sources: BudgetSources,
                       calibration: Literal["unknown_thru", "eight_term"] = "unknown_thru",
                       method: Literal["monte_carlo", "linear"] = "monte_carlo",
                       draws: int = 300, seed: int | None = 0,
                       coverage_factor: float = 2.0) -> UncertaintyBudget:
    """Uncertainty of the calibrated DUT's |S21| (dB) and |S11| at every frequency.

    ``standards`` are the definitions (room temperature; the contraction of
    ``sources`` is applied) in the order of ``measured``; for
    ``calibration="unknown_thru"`` the thru is last. ``method="linear"``
    propagates +/- one standard deviation of every input (central
    differences); ``"monte_carlo"`` uses ``draws`` seeded draws (``seed=None``:
    fresh entropy, recorded in the result). Isolation is taken as already
    subtracted from the raw data.
    """
    problem = _problem(standards, measured, dut, frequency, switch_terms, sources, calibration)
    if method not in ("monte_carlo", "linear"):
        raise ValueError(f"method must be 'monte_carlo' or 'linear', got {method!r}")
    if method == "monte_carlo" and draws < 2:
        raise ValueError("Monte Carlo needs draws >= 2")
    spec = resolve(sources, problem.measured.shape[0], problem.frequency.size)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    nominal = _evaluate_corrected(problem, Perturbation(1), slice(0, problem.frequency.size))[0]
    active = [n for n in COMPONENTS if is_active(n, spec)]
    comps = {n: (_component(problem, spec, [n], method, draws, seed) if n in active
                 else np.zeros((2, problem.frequency.size))) for n in COMPONENTS}
    combined = np.sqrt(sum(c**2 for c in comps.values()))
    joint = None
    if method == "monte_carlo" and active:
        joint = _component(problem, spec, active, method, draws, seed)
    return UncertaintyBudget(
        frequency=frozen_array(problem.frequency), calibration=calibration, method=method,
        n_draws=draws if method == "monte_carlo" else 0, seed=seed,
        coverage_factor=float(coverage_factor), dut_s=frozen_array(nominal),
        s21_db=frozen_array(db20(nominal[:, 1, 0])), s11_mag=frozen_array(np.abs(nominal[:, 0, 0])),
        components=MappingProxyType({n: ComponentUncertainty(n, frozen_array(c[0]),
                                                             frozen_array(c[1]))
                                     for n, c in comps.items()}),
        combined_s21_db=frozen_array(combined[0]), combined_s11_mag=frozen_array(combined[1]),
        expanded_s21_db=frozen_array(coverage_factor * combined[0]),
        expanded_s11_mag=frozen_array(coverage_factor * combined[1]),
        joint_s21_db=None if joint is None else frozen_array(joint[0]),
        joint_s11_mag=None if joint is None else frozen_array(joint[1]),
    )


def _problem(standards: Sequence[Standard], measured: Any, dut: Any, frequency: Any,
             switch_terms: tuple[Any, Any] | None, sources: BudgetSources,
             calibration: str) -> _Problem:
    if calibration not in _SOLVERS:
        raise ValueError(f"calibration must be one of {sorted(_SOLVERS)}, got {calibration!r}")
    f = np.asarray(getattr(frequency, "f", frequency), dtype=float)
    meas = np.asarray(measured) if isinstance(measured, np.ndarray) else \
        np.stack([as_s(m) for m in measured])
    meas, dut_s = meas.astype(complex), as_s(dut)
    if meas.shape != (len(standards), f.size, 2, 2) or dut_s.shape != (f.size, 2, 2):
        raise ValueError(f"expected measured ({len(standards)}, {f.size}, 2, 2) and dut "
                         f"({f.size}, 2, 2), got {meas.shape} and {dut_s.shape}")
    switch = np.zeros((2, f.size), dtype=complex)
    if switch_terms is not None:
        switch[0], switch[1] = as_gamma(switch_terms[0]), as_gamma(switch_terms[1])
    return _Problem(f, tuple(standards), meas, dut_s, switch, float(sources.contraction),
                    calibration)
