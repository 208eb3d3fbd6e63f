"""Speed and agreement of cryochar's vectorised two-port calibrations against scikit-rf.

Prints one JSON object. A synthetic cryogenic setup (random error boxes and
switch terms, short/open/load pairs plus a thru, noisy raw data so the
8-term least-squares problem is genuinely overdetermined) is calibrated at
``--points`` frequencies (default 20001) by

* ``skrf.calibration.EightTerm`` vs ``cryochar.analysis.calibration.EightTerm``
  (known thru), and
* ``skrf.calibration.UnknownThru`` vs ``cryochar...UnknownThru`` (SOLR,
  lossy reciprocal thru),

on identical inputs, side by side in one run. Timed: construction + ``run()``
+ ``apply_cal(dut)``, best of ``--repeat`` runs each. Reported: seconds,
ratio (scikit-rf / cryochar), the max |difference| of the corrected DUT and
the max relative difference of the error coefficients. Also timed: a Monte
Carlo uncertainty budget (300 draws, all sources) at 201 points.

Usage: ``python benchmarks/calibration.py [--points N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from collections.abc import Callable

import numpy as np
import skrf
from skrf.calibration import EightTerm as SkrfEightTerm
from skrf.calibration import UnknownThru as SkrfUnknownThru

from cryochar.analysis.calibration import (
    BudgetSources,
    EightTerm,
    ErrorTerms,
    OffsetReflect,
    ReflectPair,
    Thru,
    UnknownThru,
    ideal_s,
    uncertainty_budget,
)

SHORT = OffsetReflect("short", offset_delay=31.8e-12, offset_loss=2.36e9)
OPEN = OffsetReflect("open", offset_delay=29.2e-12, capacitance=(49e-15,))
LOAD = OffsetReflect("load", gamma=0.01)
STANDARDS = (ReflectPair(SHORT, SHORT), ReflectPair(OPEN, OPEN), ReflectPair(LOAD, LOAD))
THRU = Thru(offset_delay=80e-12, offset_loss=1e9)


def _cn(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def make_data(n: int, known_thru: bool, seed: int = 0):
    """Raw standards, ideals, switch terms, raw and true DUT on ``n`` points (4-12 GHz)."""
    rng = np.random.default_rng(seed)
    f = np.linspace(4e9, 12e9, n)
    delay = np.exp(-2j * np.pi * f * 12e-9)
    terms = ErrorTerms(0.05 * _cn(rng, n), 0.1 * _cn(rng, n), 0.3 * delay * (1 + 0.1 * _cn(rng, n)),
                       0.05 * _cn(rng, n), 0.1 * _cn(rng, n), 0.2 * delay * (1 + 0.1 * _cn(rng, n)),
                       3.0 * np.exp(-2j * np.pi * f * 3e-9), forward_switch_term=0.1 * _cn(rng, n),
                       reverse_switch_term=0.1 * _cn(rng, n))
    thru = THRU.s(f)
    if not known_thru:
        thru = thru * 0.8 + 0.03 * _cn(rng, (n, 2, 2)) * np.array([[1, 0], [0, 1]])
    ideals = np.concatenate([ideal_s(STANDARDS, f), thru[None]])
    dut = np.zeros((n, 2, 2), dtype=complex)
    dut[:, 1, 0] = dut[:, 0, 1] = 0.1 * np.exp(-2j * np.pi * f * 150e-12)
    dut[:, 0, 0] = dut[:, 1, 1] = 0.03 * _cn(rng, n)
    raw = terms.embed(ideals) + 1e-3 * _cn(rng, ideals.shape)
    return f, terms, ideals, raw, dut, terms.embed(dut)


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Shortest wall time of ``repeat`` calls and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def compare(name: str, ours: type, theirs: type, n: int, repeat: int) -> dict:
    f, terms, ideals, raw, _dut, raw_dut = make_data(n, known_thru=name == "EightTerm")
    freq = skrf.Frequency.from_f(f, unit="Hz")
    meas = [skrf.Network(frequency=freq, s=s) for s in raw]
    ideal = [skrf.Network(frequency=freq, s=s) for s in ideals]
    switch = (skrf.Network(frequency=freq, s=terms.forward_switch_term),
              skrf.Network(frequency=freq, s=terms.reverse_switch_term))
    dut = skrf.Network(frequency=freq, s=raw_dut)

    def run(cls: type):
        def go():
            cal = cls(measured=meas, ideals=ideal, switch_terms=switch)
            cal.run()
            return cal, cal.apply_cal(dut)
        return go

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_skrf, (cal_skrf, dut_skrf) = best_of(run(theirs), max(1, repeat // 2))
        t_ours, (cal_ours, dut_ours) = best_of(run(ours), repeat)
    coef_rel = max(float(np.max(np.abs(cal_ours.coefs[k] - v)
                                / np.maximum(np.abs(v), 1e-300)))
                   for k, v in cal_skrf.coefs.items())
    return {
        "scikit_rf_s": round(t_skrf, 5),
        "cryochar_s": round(t_ours, 5),
        "ratio": round(t_skrf / t_ours, 1),
        "max_abs_diff_corrected_dut": float(np.max(np.abs(dut_ours.s - dut_skrf.s))),
        "max_rel_diff_coefs": coef_rel,
    }


def budget_timing(repeat: int) -> dict:
    f, terms, _ideals, raw, _dut, raw_dut = make_data(201, known_thru=False, seed=1)
    sources = BudgetSources(noise_sigma=1e-3, switch_sigma=5e-4, path_asymmetry=1e-3,
                            drift={"k": 1e-3})
    t, b = best_of(lambda: uncertainty_budget(
        (*STANDARDS, THRU), raw, raw_dut, f, (terms.forward_switch_term,
                                               terms.reverse_switch_term),
        sources=sources, draws=300), max(1, repeat // 2))
    return {"points": 201, "draws": 300, "seconds": round(t, 4),
            "median_expanded_s21_db": float(np.median(b.expanded_s21_db))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20001)
    parser.add_argument("--repeat", type=int, default=6)
    args = parser.parse_args()
    out = {
        "points": args.points,
        "timed": "construct + run() + apply_cal(dut), best of repeats",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_rf": skrf.__version__,
        "EightTerm": compare("EightTerm", EightTerm, SkrfEightTerm, args.points, args.repeat),
        "UnknownThru": compare("UnknownThru", UnknownThru, SkrfUnknownThru, args.points,
                               args.repeat),
        "uncertainty_budget_monte_carlo": budget_timing(args.repeat),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
