"""Throughput and accuracy of the batched coherence fits against per-trace peers.

Prints one JSON object. For T1 (80-point traces) and Ramsey (100-point
traces) with binomial shot noise (1000 shots), identical data and identical
weights (``sigma`` from the true populations, absolute) are fitted by

* ``cryochar``: :func:`fit_t1` / :func:`fit_ramsey` on all traces at once,
  with the profile-likelihood interval (default);
* ``cryochar_no_profile``: the same with ``profile=False`` (estimates,
  covariance and flags only - the same output as the peers);
* ``cryochar_1_thread``: the default with ``workers=1`` (the peers are
  single-threaded loops);
* ``curve_fit``: a Python loop of ``scipy.optimize.curve_fit`` with the usual
  heuristic start values (computed inside the loop, as a user would);
* ``lmfit`` (if importable): the same loop with ``lmfit.Model``.

Every method is timed ``--repeat`` times after a warm-up and the median is
reported: fits per second, microseconds per fit, the ratio to ``curve_fit``
and the median relative error of the decay time against the truth (and the
fraction of failed fits), so that speed is compared at matched accuracy; for
cryochar also the error on exactly the traces the curve_fit loop fitted.
``load`` records the load averages and the CPU time other processes used
during the run (``other_cpu_fraction``, in CPUs; from ``/proc/stat``): compare
runs only when it is near zero.

Usage: ``python benchmarks/fitting.py [--traces N] [--peer-traces N] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

import numpy as np
import scipy
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


def loop_curve_fit(kind, t, y, sigma):
    model = t1_model if kind == "t1" else ramsey_model
    out = np.full(y.shape[0], np.nan)
    for i in range(y.shape[0]):  # the per-trace loop being benchmarked
        try:
            popt, _ = curve_fit(model, t, y[i], p0=heuristic_p0(kind, t, y[i]), sigma=sigma[i],
                                absolute_sigma=True, maxfev=2000)
            out[i] = popt[1]
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
    r = (fit_t1 if kind == "t1" else fit_ramsey)(t, y, sigma, **options)
    return np.asarray(r.params[r.time_name])


def timed(run, repeat: int):
    """Estimates of one warm-up call and the median time of ``repeat`` more."""
    estimate = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return estimate, statistics.median(times)


def summarise(estimate, truth, elapsed):
    rel = np.abs(estimate / truth - 1)
    return {
        "traces": int(truth.size),
        "fits_per_s": round(truth.size / elapsed, 1),
        "us_per_fit": round(1e6 * elapsed / truth.size, 3),
        "median_rel_error": float(np.nanmedian(rel)),
        "failed_fraction": float(np.mean(~np.isfinite(estimate) | (rel > 1))),
    }


def bench(kind: str, n_ours: int, n_peer: int, repeat: int) -> dict:
    t, y, sigma, truth = make_data(kind, n_ours)
    out = {}
    for label, options in (("cryochar", {}), ("cryochar_no_profile", {"profile": False}),
                           ("cryochar_1_thread", {"workers": 1})):
        est, dt = timed(lambda o=options: fit_cryochar(kind, t, y, sigma, **o), repeat)
        out[label] = summarise(est, truth, dt)
        # accuracy on exactly the traces the peers fit, for a matched comparison
        same = np.abs(est[:n_peer] / truth[:n_peer] - 1)
        out[label]["median_rel_error_peer_traces"] = float(np.nanmedian(same))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est, dt = timed(lambda: loop_curve_fit(kind, t, y[:n_peer], sigma[:n_peer]), repeat)
        out["curve_fit"] = summarise(est, truth[:n_peer], dt)
        n_lm = max(n_peer // 4, 1)
        try:
            est, dt = timed(lambda: loop_lmfit(kind, t, y[:n_lm], sigma[:n_lm]), repeat)
            out["lmfit"] = summarise(est, truth[:n_lm], dt)
        except ImportError:
            out["lmfit"] = None
    base = out["curve_fit"]["fits_per_s"]
    for res in out.values():
        if res is not None:
            res["speedup_vs_curve_fit"] = round(res["fits_per_s"] / base, 2)
    out["points_per_trace"] = int(t.size)
    return out


def _busy_seconds() -> float | None:
    """CPU seconds all processes have used (None where /proc/stat is missing)."""
    try:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return None
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=20000, help="traces for cryochar")
    parser.add_argument("--peer-traces", type=int, default=1000, help="traces for the loops")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions per method")
    args = parser.parse_args()
    load_before = os.getloadavg()
    busy0, cpu0, wall0 = _busy_seconds(), time.process_time(), time.perf_counter()
    results = {kind: bench(kind, args.traces, args.peer_traces, args.repeat)
               for kind in ("t1", "ramsey")}
    wall = time.perf_counter() - wall0
    busy1 = _busy_seconds()
    other = None if busy0 is None or busy1 is None else (
        (busy1 - busy0) - (time.process_time() - cpu0)) / wall
    report = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "scipy": scipy.__version__, "cpus": os.cpu_count(),
                    "processor": platform.processor() or None},
        "load": {"loadavg_before": [round(v, 2) for v in load_before],
                 "loadavg_after": [round(v, 2) for v in os.getloadavg()],
                 "other_cpu_fraction": None if other is None else round(max(other, 0.0), 3)},
        "shots": SHOTS, "repeat": args.repeat, **results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
