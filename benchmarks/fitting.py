"""Throughput and accuracy of the batched coherence fits against per-trace peers.

Prints one JSON object. For T1 (80-point traces) and Ramsey (100-point
traces) with binomial shot noise (1000 shots), identical data and identical
weights (``sigma`` from the true populations, absolute) are fitted by

* ``cryochar``: :func:`fit_t1` / :func:`fit_ramsey` on all traces at once,
  with the profile-likelihood interval (default) and without it
  (``profile=False``: estimates, covariance and flags only - the same output
  as the peers);
* ``curve_fit``: a Python loop of ``scipy.optimize.curve_fit`` with the usual
  heuristic start values (computed inside the loop, as a user would);
* ``lmfit`` (if importable): the same loop with ``lmfit.Model``.

Reported per method: fits per second, the ratio to ``curve_fit`` and the
median relative error of the decay time against the truth (and the fraction
of failed fits), so that speed is compared at matched accuracy; for cryochar
also the error on exactly the traces the curve_fit loop fitted. The run uses
both threads of the pool (``workers`` default) - the peers are single-threaded
loops, so ``cryochar_1_thread`` is reported as well.

Usage: ``python benchmarks/fitting.py [--traces N] [--peer-traces N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np
from scipy.optimize import curve_fit

from cryochar.analysis.coherence import fit_ramsey, fit_t1

SHOTS = 1000


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


def run_curve_fit(kind, t, y, sigma):
    model = t1_model if kind == "t1" else ramsey_model
    out = np.full(y.shape[0], np.nan)
    start = time.perf_counter()
    for i in range(y.shape[0]):  # the per-trace loop being benchmarked
        try:
            popt, _ = curve_fit(model, t, y[i], p0=heuristic_p0(kind, t, y[i]), sigma=sigma[i],
                                absolute_sigma=True, maxfev=2000)
            out[i] = popt[1]
        except (RuntimeError, ValueError):
            pass
    return out, time.perf_counter() - start


def run_lmfit(kind, t, y, sigma):
    import lmfit

    model = lmfit.Model(t1_model if kind == "t1" else ramsey_model)
    out = np.full(y.shape[0], np.nan)
    start = time.perf_counter()
    for i in range(y.shape[0]):  # the per-trace loop being benchmarked
        names = ("A", "T1", "B") if kind == "t1" else ("A", "T2", "f", "phase", "B")
        params = model.make_params(**dict(zip(names, heuristic_p0(kind, t, y[i]), strict=True)))
        try:
            res = model.fit(y[i], params, t=t, weights=1 / sigma[i], scale_covar=False)
            out[i] = res.params[names[1]].value
        except (RuntimeError, ValueError):
            pass
    return out, time.perf_counter() - start


def run_cryochar(kind, t, y, sigma, profile, workers=None):
    fit = fit_t1 if kind == "t1" else fit_ramsey
    fit(t, y[:64], sigma[:64], profile=profile)  # warm-up (imports, caches)
    start = time.perf_counter()
    r = fit(t, y, sigma, profile=profile, workers=workers)
    elapsed = time.perf_counter() - start
    return np.asarray(r.params[r.time_name]), elapsed


def summarise(estimate, truth, elapsed):
    rel = np.abs(estimate / truth - 1)
    return {
        "traces": int(truth.size),
        "fits_per_s": round(truth.size / elapsed, 1),
        "us_per_fit": round(1e6 * elapsed / truth.size, 2),
        "median_rel_error": float(np.nanmedian(rel)),
        "failed_fraction": float(np.mean(~np.isfinite(estimate) | (rel > 1))),
    }


def bench(kind: str, n_ours: int, n_peer: int) -> dict:
    t, y, sigma, truth = make_data(kind, n_ours)
    out = {}
    for label, profile in (("cryochar", True), ("cryochar_no_profile", False)):
        est, dt = run_cryochar(kind, t, y, sigma, profile)
        out[label] = summarise(est, truth, dt)
        # accuracy on exactly the traces the peers fit, for a matched comparison
        same = np.abs(est[:n_peer] / truth[:n_peer] - 1)
        out[label]["median_rel_error_peer_traces"] = float(np.nanmedian(same))
    est, dt = run_cryochar(kind, t, y, sigma, True, workers=1)
    out["cryochar_1_thread"] = summarise(est, truth, dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est, dt = run_curve_fit(kind, t, y[:n_peer], sigma[:n_peer])
        out["curve_fit"] = summarise(est, truth[:n_peer], dt)
        try:
            est, dt = run_lmfit(kind, t, y[: n_peer // 4], sigma[: n_peer // 4])
            out["lmfit"] = summarise(est, truth[: n_peer // 4], dt)
        except ImportError:
            out["lmfit"] = None
    base = out["curve_fit"]["fits_per_s"]
    for res in out.values():
        if res is not None:
            res["speedup_vs_curve_fit"] = round(res["fits_per_s"] / base, 2)
    out["points_per_trace"] = int(t.size)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=20000, help="traces for cryochar")
    parser.add_argument("--peer-traces", type=int, default=1000, help="traces for the loops")
    args = parser.parse_args()
    report = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "cpus": os.cpu_count(), "processor": platform.processor() or None},
        "shots": SHOTS,
        "t1": bench("t1", args.traces, args.peer_traces),
        "ramsey": bench("ramsey", args.traces, args.peer_traces),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
