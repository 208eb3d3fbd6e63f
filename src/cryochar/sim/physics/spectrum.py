"""What a swept spectrum analyser reads for noise: couplings and detector statistics.

A swept analyser looks at the spectrum through its resolution filter (noise
bandwidth ``factor x RBW``) and dwells ``sweep time / points`` on each trace
point, so each point averages ``N = ENBW x dwell`` independent samples of an
exponentially distributed noise power (at least one). Detectors:

* ``AVER`` (average): the mean of the N samples, Gamma(N M, P / N M) with M
  averaged traces; the average type scales it: ``RMS`` (power) is unbiased,
  ``LOG`` averages logarithms (-2.51 dB for noise: 10 log10(e) x Euler's
  gamma), ``SCAL`` averages voltage envelopes (pi/4, -1.05 dB);
* ``SAMP``: one sample per point (exponential), then the same trace averaging;
* ``POS`` and ``NORM`` (which shows the peak for noise): the largest of N
  samples, mean ``P H_N`` (harmonic number), exact draws;
* ``NEG``: the smallest of N samples, ``P / N`` on average.

The channel-power measurement integrates the spectrum over its integration
bandwidth with power averaging; a swept analyser sees only one RBW at a time,
so it gathers ``B_int x ENBW x sweep time x M / span`` samples.
"""

from __future__ import annotations

import numpy as np
from scipy.special import polygamma, psi

DETECTORS = ("NORM", "AVER", "POS", "SAMP", "NEG")
AVERAGE_TYPES = ("LOG", "RMS", "SCAL")
LOG_AVERAGE_BIAS = 10 ** (-np.euler_gamma / np.log(10))  # -2.507 dB
VOLTAGE_AVERAGE_BIAS = np.pi / 4  # -1.049 dB
MIN_SWEEP_TIME = 1e-3  # s, swept analysis
MAX_RBW = 8e6  # Hz


def auto_rbw(span: float) -> float:
    """Resolution bandwidth coupled to the span (span / 100, within 1 Hz .. 8 MHz)."""
    return float(np.clip(span / 100.0, 1.0, MAX_RBW))


def auto_sweep_time(span: float, rbw: float, vbw: float) -> float:
    """Sweep time coupled to span, RBW and VBW: ``2 span / (RBW min(RBW, VBW))``, >= 1 ms."""
    return max(MIN_SWEEP_TIME, 2.0 * span / (rbw * min(rbw, vbw)))


def _peak(n: np.ndarray, traces: int, rng: np.random.Generator) -> np.ndarray:
    """Mean over traces of the largest of n unit-mean exponentials (exact per trace)."""
    def one() -> np.ndarray:
        return -np.log1p(-rng.random(n.shape) ** (1.0 / n))

    if traces <= 8:
        return np.mean([one() for _ in range(traces)], axis=0)
    mean = psi(n + 1) + np.euler_gamma  # harmonic number H_n
    variance = np.pi**2 / 6 - polygamma(1, n + 1)
    return rng.normal(mean, np.sqrt(variance / traces))


def detect(power: np.ndarray, samples: float, traces: int, detector: str, average_type: str,
           rng: np.random.Generator) -> np.ndarray:
    """Displayed power, W, of each trace point whose true noise power is ``power`` W.

    ``samples``: independent samples per point and trace (ENBW x dwell);
    ``traces``: number of averaged traces (1 without trace averaging).
    """
    p = np.asarray(power, dtype=float)
    n = np.full(p.shape, max(float(samples), 1.0))
    bias = {"RMS": 1.0, "LOG": LOG_AVERAGE_BIAS, "SCAL": VOLTAGE_AVERAGE_BIAS}[average_type]
    if detector == "AVER":
        return bias * rng.gamma(n * traces, p / (n * traces))
    if detector == "SAMP":
        return bias * rng.gamma(float(traces), p / traces)
    if detector in ("POS", "NORM"):
        return p * _peak(n, traces, rng)
    if detector == "NEG":
        return rng.gamma(float(traces), p / (n * traces))
    raise ValueError(f"unknown detector {detector!r}")


def channel_samples(integration_bandwidth: float, span: float, rbw: float, sweep_time: float,
                    traces: int, noise_bandwidth_factor: float) -> float:
    """Independent samples behind one channel-power reading of a swept analyser."""
    enbw = noise_bandwidth_factor * rbw
    fraction = min(1.0, integration_bandwidth / span) if span > 0 else 1.0
    return max(1.0, enbw * sweep_time * traces * fraction)


__all__ = [
    "AVERAGE_TYPES",
    "DETECTORS",
    "LOG_AVERAGE_BIAS",
    "VOLTAGE_AVERAGE_BIAS",
    "auto_rbw",
    "auto_sweep_time",
    "channel_samples",
    "detect",
]
