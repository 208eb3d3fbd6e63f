"""Uncertainty budget of a Y-factor gain / noise-temperature measurement, per frequency.

Measurement model: hot/cold powers -> Y-factor with the source's noise
temperatures at the reference plane (:class:`~.sources.HotColdSource` or
:class:`~.sources.DiodeSource`) -> optional de-embedding of an input loss
(:class:`~.sources.InputLoss`) -> gain, gain in dB, noise temperature, added
quanta.

Each budget component (``radiometer``, ``bandwidth``, ``source_temperature``,
``enr``, ``line_loss``, ``line_temperature``, ``input_loss``,
``input_loss_temperature``) is evaluated by Monte Carlo with only its inputs
drawn (Gaussian, seeded, vectorised as ``draws x n_frequencies``); the
combined uncertainty draws all inputs together with the same random numbers.
Optionally the first-order (linear) propagation is reported beside it. The
expanded uncertainty is ``coverage_factor x combined``; the Monte Carlo
interval ``[lower, upper]`` holds the matching probability (95.45 % for k = 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.special import erf

from cryochar.analysis.noise.formulas import linear_to_db, noise_quanta
from cryochar.analysis.noise.results import freeze
from cryochar.analysis.noise.sources import (
    DiodeSource,
    HotColdSource,
    InputLoss,
    Quantity,
    quantity,
)
from cryochar.analysis.noise.yfactor import check_bandwidth, y_factor_values
from cryochar.core.errors import FitError

#: Reported quantities and their units.
OUTPUTS: dict[str, str] = {"gain": "1", "gain_db": "dB", "noise_temperature": "K", "n_added": "1"}
#: Relative step (in standard uncertainties) of the linear-propagation differences.
LINEAR_STEP = 1e-3


@dataclass(frozen=True, eq=False)
class BudgetEntry:
    """Budget of one reported quantity (units in ``unit``), arrays over frequency.

    ``value``: nominal result; ``components``: standard uncertainty of each
    component (Monte Carlo); ``combined``: standard uncertainty with every
    input drawn; ``expanded = coverage_factor * combined``; ``lower``/``upper``:
    Monte Carlo interval of the coverage probability of k (95.45 % for k = 2);
    ``linear_components``/``linear_combined``: first-order propagation (empty
    mapping / None when not requested).
    """

    name: str
    unit: str
    value: np.ndarray
    components: Mapping[str, np.ndarray]
    combined: np.ndarray
    expanded: np.ndarray
    coverage_factor: float
    lower: np.ndarray
    upper: np.ndarray
    linear_components: Mapping[str, np.ndarray] = field(default_factory=dict)
    linear_combined: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class NoiseBudget:
    """Per-frequency uncertainty budget (see the module doc).

    ``frequency`` (Hz); one :class:`BudgetEntry` per reported quantity:
    ``gain`` (linear), ``gain_db`` (dB), ``noise_temperature`` (K),
    ``n_added`` (quanta); ``component_names`` in budget order; ``draws`` and
    ``seed`` of the Monte Carlo.
    """

    frequency: np.ndarray
    gain: BudgetEntry
    gain_db: BudgetEntry
    noise_temperature: BudgetEntry
    n_added: BudgetEntry
    component_names: tuple[str, ...]
    coverage_factor: float
    draws: int
    seed: int


def _model(source: HotColdSource | DiodeSource, loss: InputLoss | None, frequency: np.ndarray,
           ) -> Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]:
    def evaluate(v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        t_hot, t_cold = source.noise_temperatures(v, frequency)
        gain, tn = y_factor_values(v["p_hot"], v["p_cold"], t_hot, t_cold, v["bandwidth"])
        if loss is not None:
            gain, tn = loss.deembed(v, gain, tn, frequency)
        return {"gain": gain, "gain_db": np.asarray(linear_to_db(gain)),
                "noise_temperature": tn, "n_added": np.asarray(noise_quanta(tn, frequency))}
    return evaluate


def _monte_carlo(evaluate: Callable, quantities: list[Quantity], components: tuple[str, ...],
                 draws: int, seed: int) -> dict[str | None, dict[str, np.ndarray]]:
    """Output draws per component (key None: every input drawn); shapes ``(draws, n_f)``."""
    rng = np.random.default_rng(seed)
    z = {q.name: rng.standard_normal((draws, q.value.size)) for q in quantities}
    out: dict[str | None, dict[str, np.ndarray]] = {}
    for comp in (*components, None):  # loop over budget components (a handful)
        values = {q.name: q.value + (q.sigma * z[q.name] if comp in (None, q.component) else 0.0)
                  for q in quantities}
        shape = (draws, np.broadcast_shapes(*(q.value.shape for q in quantities))[-1])
        out[comp] = {name: np.broadcast_to(v, shape) for name, v in evaluate(values).items()}
    return out


def _linear(evaluate: Callable, quantities: list[Quantity],
            components: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """First-order standard uncertainty of each output per component (central differences)."""
    nominal = {q.name: q.value for q in quantities}
    acc: dict[str, dict[str, np.ndarray]] = {c: {} for c in components}
    for q in quantities:  # loop over inputs (a handful)
        if not np.any(q.sigma > 0):
            continue
        plus = evaluate({**nominal, q.name: q.value + LINEAR_STEP * q.sigma})
        minus = evaluate({**nominal, q.name: q.value - LINEAR_STEP * q.sigma})
        for name in OUTPUTS:
            sens2 = ((plus[name] - minus[name]) / (2 * LINEAR_STEP)) ** 2
            acc[q.component][name] = acc[q.component].get(name, 0.0) + sens2
    return {c: {n: np.sqrt(v) for n, v in d.items()} for c, d in acc.items()}


def noise_budget(frequency: Any, p_hot: Any, p_cold: Any, bandwidth: float,
                 source: HotColdSource | DiodeSource, *, integration_time: float | None = None,
                 bandwidth_uncertainty: float = 0.0, input_loss: InputLoss | None = None,
                 draws: int = 2000, seed: int = 0, linear: bool = True,
                 coverage_factor: float = 2.0) -> NoiseBudget:
    """Uncertainty budget of gain and noise temperature per frequency.

    ``frequency`` (Hz), ``p_hot``/``p_cold`` (W) arrays over frequency;
    ``bandwidth`` (Hz) and its standard uncertainty; ``integration_time`` (s
    per state) gives the radiometer component ``P / sqrt(B tau)``; ``source``
    and ``input_loss`` describe the rest (:mod:`.sources`). ``draws`` Monte
    Carlo samples with generator seed ``seed``; ``linear`` adds first-order
    propagation; ``coverage_factor`` k of the expanded uncertainty.
    """
    bandwidth = check_bandwidth(bandwidth)
    if draws < 10:
        raise FitError(f"draws must be >= 10, got {draws}")
    f, ph, pc = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, float))
                                      for a in (frequency, p_hot, p_cold)))
    u_p = (0.0 if integration_time is None else 1.0 / np.sqrt(bandwidth * integration_time))
    quantities = [quantity("p_hot", "radiometer", ph, ph * u_p),
                  quantity("p_cold", "radiometer", pc, pc * u_p),
                  quantity("bandwidth", "bandwidth", bandwidth, bandwidth_uncertainty),
                  *source.quantities(), *(input_loss.quantities() if input_loss else [])]
    components = tuple(dict.fromkeys(q.component for q in quantities if np.any(q.sigma > 0)))
    evaluate = _model(source, input_loss, f)
    nominal = evaluate({q.name: q.value for q in quantities})
    mc = _monte_carlo(evaluate, quantities, components, draws, seed)
    lin = _linear(evaluate, quantities, components) if linear else None
    entries = {name: _entry(name, nominal[name], mc, lin, components, coverage_factor)
               for name in OUTPUTS}
    return NoiseBudget(frequency=freeze(f), **entries, component_names=components,
                       coverage_factor=float(coverage_factor), draws=int(draws), seed=int(seed))


def _entry(name: str, value: np.ndarray, mc: dict, lin: dict | None, components: tuple[str, ...],
           k: float) -> BudgetEntry:
    def std(draws: np.ndarray) -> np.ndarray:
        return np.std(draws, axis=0, ddof=1)

    comps = {c: freeze(std(mc[c][name])) for c in components}
    combined = std(mc[None][name])
    prob = float(erf(k / np.sqrt(2.0)))
    lower, upper = np.quantile(mc[None][name], [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    lin_comps: Mapping[str, np.ndarray] = {}
    lin_combined = None
    if lin is not None:
        zero = np.zeros_like(value)
        lin_comps = {c: freeze(lin[c].get(name, zero) + zero) for c in components}
        lin_combined = freeze(np.sqrt(sum((v**2 for v in lin_comps.values()), zero)))
    return BudgetEntry(name=name, unit=OUTPUTS[name], value=freeze(value),
                       components=MappingProxyType(comps), combined=freeze(combined),
                       expanded=freeze(k * combined), coverage_factor=float(k),
                       lower=freeze(lower), upper=freeze(upper),
                       linear_components=MappingProxyType(lin_comps),
                       linear_combined=lin_combined)


__all__ = ["OUTPUTS", "BudgetEntry", "NoiseBudget", "noise_budget"]
