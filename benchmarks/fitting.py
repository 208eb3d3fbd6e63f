"""Throughput and accuracy of the batched coherence fits against per-trace peers.

Prints one JSON object. For T1 (80-point traces) and Ramsey (100-point
traces) with binomial shot noise (1000 shots), identical data and identical
weights (``sigma`` from the true populations, absolute) are fitted by

* ``cryochar``: :func:`fit_t1` / :func:`fit_ramsey` on all traces at once,
  with the profile-likelihood interval (default), on all cores (one thread
  per CPU, the default);
* ``cryochar_no_profile``: the same with ``profile=False`` (estimates,
  covariance and flags only - the same output as the peers);
* ``cryochar_1_thread``: the default with ``workers=1``: one core, like the
  single-threaded peers;
* ``curve_fit``: a Python loop of ``scipy.optimize.curve_fit`` with the usual
  heuristic start values (computed inside the loop, as a user would);
* ``lmfit`` (if importable): the same loop with ``lmfit.Model``.

Every method is timed ``--repeat`` times round-robin (one timed call of each
method per round, right after an untimed one of the same method, so that load
from other processes hits all alike and each runs warm; lmfit separately,
last, see :func:`bench_lmfit`) and the median is reported: fits per second,
microseconds per fit, the ratio to ``curve_fit`` and the median relative
error of the decay time against the truth (and the fraction of failed fits),
so that speed is compared at matched accuracy; for cryochar also the error on
exactly the traces the curve_fit loop fitted and ``vs_curve_fit``: the
largest relative difference of the decay time and of its standard error from
curve_fit's on those traces (where both found the same minimum), and for
cryochar and curve_fit ``vs_reference``: the same against a tightly
converged curve_fit with the analytic Jacobian on the first
:data:`N_REFERENCE` traces (curve_fit's default covariance comes from a
finite-difference Jacobian and is the less accurate of the two).
``load`` records the load averages and the CPU time other processes used
during the run (``other_cpu_fraction``, in CPUs; from ``/proc/stat``): compare
runs only when it is near zero.

Usage: ``python benchmarks/fitting.py [--traces N] [--peer-traces N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import time
import warnings

import numpy as np
import scipy
from _load import LoadMeter
from scipy.optimize import curve_fit

from cryochar.analysis.coherence import fit_ramsey, fit_t1

SHOTS = 1000
#: Traces refitted to tight tolerance as the accuracy yardstick.
N_REFERENCE = 200


def t1_model(t, A, T1, B):
    return A * np.exp(-t / T1) + B


def ramsey_model(t, A, T2, f, phase, B):
    return A * np.exp(-t / T2) * np.cos(2 * np.pi * f * t + phase) + B


def make_data(kind: str, n: int, seed: int = 0):
    """Identical synthetic traces for every method: t, y, sigma, true decay time."""
    rng = np.random.default_rng(seed)
    if kind == "t1":
        t = np.linspace(0, 300e-6, 80)
        truth = rng.uniform(30e-6, 120e-6, size=(n, 1))
        p = t1_model(t, 0.9, truth, 0.05)
    else:
        t = np.linspace(0, 20e-6, 100)
        truth = rng.uniform(3e-6, 10e-6, size=(n, 1))
        det = rng.uniform(0.4e6, 1.5e6, size=(n, 1))
        p = ramsey_model(t, 0.45, truth, det, rng.uniform(-np.pi, np.pi, (n, 1)), 0.5)
    y = rng.binomial(SHOTS, p) / SHOTS
    sigma = np.sqrt(p * (1 - p) / SHOTS)
    return t, y, sigma, truth[:, 0]


def heuristic_p0(kind: str, t, y):
    """Start values a user would write for a single-trace fit."""
    if kind == "t1":
        return [y[0] - y[-1], (t[-1] - t[0]) / 3, y[-1]]
    spec = np.abs(np.fft.rfft(y - y.mean(), 8 * t.size))
    spec[0] = 0
    freq = np.argmax(spec) / (8 * t.size * (t[1] - t[0]))
    return [(y.max() - y.min()) / 2, (t[-1] - t[0]) / 3, freq, 0.0, y.mean()]


def loop_curve_fit(kind, t, y, sigma):
    """Decay times and their standard errors ``(2, n)`` and all parameters
    ``(n, p)``; NaN where the fit failed."""
    model = t1_model if kind == "t1" else ramsey_model
    out = np.full((2, y.shape[0]), np.nan)
    params = np.full((y.shape[0], 3 if kind == "t1" else 5), np.nan)
    for i in range(y.shape[0]):  # the per-trace loop being benchmarked
        try:
            popt, pcov = curve_fit(model, t, y[i], p0=heuristic_p0(kind, t, y[i]),
                                   sigma=sigma[i], absolute_sigma=True, maxfev=2000)
            out[:, i], params[i] = (popt[1], np.sqrt(pcov[1, 1])), popt
        except (RuntimeError, ValueError):
            pass
    return out, params


def jacobian(kind, t, *p):
    """Analytic Jacobian of :func:`t1_model` / :func:`ramsey_model`, ``(n, p)``."""
    if kind == "t1":
        A, T1, _ = p
        e = np.exp(-t / T1)
        return np.stack([e, A * t / T1**2 * e, np.ones_like(t)], axis=1)
    A, T2, f, phase, _ = p
    e, arg = np.exp(-t / T2), 2 * np.pi * f * t + phase
    c, s = e * np.cos(arg), e * np.sin(arg)
    return np.stack([c, A * t / T2**2 * c, -2 * np.pi * A * t * s, -A * s, np.ones_like(t)],
                    axis=1)


def reference(kind, t, y, sigma, start):
    """Tightly converged curve_fit (analytic Jacobian, tolerances 1e-15) from
    ``start`` (the default curve_fit optimum): decay times and standard
    errors ``(2, n)``, the yardstick for both fits' accuracy (not timed)."""
    model = t1_model if kind == "t1" else ramsey_model
    out = np.full((2, y.shape[0]), np.nan)
    for i in np.flatnonzero(np.isfinite(start).all(axis=1)):
        try:
            popt, pcov = curve_fit(model, t, y[i], p0=start[i], sigma=sigma[i],
                                   absolute_sigma=True, jac=lambda tt, *p: jacobian(kind, tt, *p),
                                   xtol=1e-15, ftol=1e-15, gtol=1e-15, maxfev=2000)
            out[:, i] = popt[1], np.sqrt(pcov[1, 1])
        except (RuntimeError, ValueError):
            pass
    return out


def loop_lmfit(kind, t, y, sigma):
    import lmfit

    model = lmfit.Model(t1_model if kind == "t1" else ramsey_model)
    names = ("A", "T1", "B") if kind == "t1" else ("A", "T2", "f", "phase", "B")
    out = np.full(y.shape[0], np.nan)
    for i in range(y.shape[0]):  # the per-trace loop being benchmarked
        params = model.make_params(**dict(zip(names, heuristic_p0(kind, t, y[i]), strict=True)))
        try:
            res = model.fit(y[i], params, t=t, weights=1 / sigma[i], scale_covar=False)
            out[i] = res.params[names[1]].value
        except (RuntimeError, ValueError):
            pass
    return out


def fit_cryochar(kind, t, y, sigma, **options):
    """Decay times and their standard errors, ``(2, n)``."""
    r = (fit_t1 if kind == "t1" else fit_ramsey)(t, y, sigma, **options)
    return np.stack([r.params[r.time_name], r.stderrs[r.time_name]])


def timed(runs: dict, repeat: int) -> dict:
    """Estimates and the median time of ``repeat`` calls per method, taken
    round-robin (each round times every method once, so that a change in the
    machine's load affects all methods alike); every timed call follows an
    untimed call of the same method, so that each runs warm (its own data and
    memory in the caches and the allocator), as in back-to-back repeats."""
    estimates = {}
    times = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            estimates[label] = run()
            start = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - start)
    return {label: (estimates[label], statistics.median(times[label])) for label in runs}


def summarise(estimate, truth, elapsed):
    rel = np.abs(estimate / truth - 1)
    return {
        "traces": int(truth.size),
        "fits_per_s": round(truth.size / elapsed, 1),
        "us_per_fit": round(1e6 * elapsed / truth.size, 3),
        "median_rel_error": float(np.nanmedian(rel)),
        "failed_fraction": float(np.mean(~np.isfinite(estimate) | (rel > 1))),
    }


def agreement(ours, other) -> dict:
    """Largest relative difference of decay times and standard errors from
    ``other``'s, on the traces where both fits succeeded and found the same
    minimum (decay times within 1e-3; curve_fit also stops in other local
    minima or fails: those are counted, not compared)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(ours / other - 1)
    same = np.isfinite(rel[0]) & (rel[0] < 1e-3)
    return {"traces_compared": int(same.sum()), "traces_elsewhere": int((~same).sum()),
            "max_rel_diff_time": float(rel[0, same].max()),
            "max_rel_diff_stderr": float(rel[1, same].max())}


def bench(kind: str, n_ours: int, n_peer: int, repeat: int) -> dict:
    """cryochar (all cores, one core, no profile) and the curve_fit loop,
    timed round-robin on identical data, with their accuracy."""
    t, y, sigma, truth = make_data(kind, n_ours)
    runs = {
        "cryochar": lambda: fit_cryochar(kind, t, y, sigma),
        "cryochar_no_profile": lambda: fit_cryochar(kind, t, y, sigma, profile=False),
        "cryochar_1_thread": lambda: fit_cryochar(kind, t, y, sigma, workers=1),
        "curve_fit": lambda: loop_curve_fit(kind, t, y[:n_peer], sigma[:n_peer]),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timing = timed(runs, repeat)
        (peer, peer_params), peer_dt = timing.pop("curve_fit")
        n_ref = min(N_REFERENCE, n_peer)  # the reference refits traces the peer fitted
        ref = reference(kind, t, y[:n_ref], sigma[:n_ref], peer_params[:n_ref])
    out = {"curve_fit": summarise(peer[0], truth[:n_peer], peer_dt)}
    out["curve_fit"]["vs_reference"] = agreement(peer[:, :n_ref], ref)
    for label, (est, dt) in timing.items():
        out[label] = summarise(est[0], truth, dt)
        # accuracy on exactly the traces the peers fit, for a matched comparison
        same = np.abs(est[0, :n_peer] / truth[:n_peer] - 1)
        out[label]["median_rel_error_peer_traces"] = float(np.nanmedian(same))
        out[label]["vs_curve_fit"] = agreement(est[:, :n_peer], peer)
        out[label]["vs_reference"] = agreement(est[:, :n_ref], ref)
    out["points_per_trace"] = int(t.size)
    return out


def bench_lmfit(kind: str, n: int, repeat: int) -> dict | None:
    """The lmfit loop on the first ``n`` traces of the same data (None if
    lmfit is missing). Run after everything else: importing lmfit imports
    pandas and pyarrow, after which glibc returns freed memory to the system
    more eagerly and large numpy temporaries cost page faults."""
    if importlib.util.find_spec("lmfit") is None:
        return None
    t, y, sigma, truth = make_data(kind, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est, dt = timed({"lmfit": lambda: loop_lmfit(kind, t, y, sigma)}, repeat)["lmfit"]
    return summarise(est, truth, dt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=20000, help="traces for cryochar")
    parser.add_argument("--peer-traces", type=int, default=1000, help="traces for the loops")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per method")
    args = parser.parse_args()
    load = LoadMeter().start()
    results = {kind: bench(kind, args.traces, args.peer_traces, args.repeat)
               for kind in ("t1", "ramsey")}
    for kind, res in results.items():
        res["lmfit"] = bench_lmfit(kind, max(args.peer_traces // 4, 1), args.repeat)
        base = res["curve_fit"]["fits_per_s"]
        for method in res.values():
            if isinstance(method, dict):
                method["speedup_vs_curve_fit"] = round(method["fits_per_s"] / base, 2)
    report = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "scipy": scipy.__version__, "cpus": os.cpu_count(),
                    "processor": platform.processor() or None},
        "load": load.report(),
        "shots": SHOTS, "repeat": args.repeat, **results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
