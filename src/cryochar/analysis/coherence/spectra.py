"""Welch power spectral density of a coherence series and its noise model.

The one-sided PSD (units^2/Hz) is estimated with Welch's method (Hann
window, 50 % overlap) and fitted with

    S(f) = S_L / (1 + (f / f_c)^2) + K / f^alpha + W

(a Lorentzian from telegraph-like switching with corner ``f_c``, flicker
noise, white noise). The fit maximises the Whittle likelihood of the Welch
estimate, whose values are ``S(f) chi2_nu / nu`` with ``nu`` the equivalent
degrees of freedom, so no log-bias correction is needed; starting values come
from a grid over ``f_c`` with non-negative least squares for the linear
amplitudes. Uncertainties are from the Fisher information of the Whittle
likelihood. For a symmetric telegraph process with switching rate
``gamma`` each way, ``f_c = gamma / pi``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal

from cryochar.core.errors import FitError

NAMES = ("lorentzian", "corner_frequency", "flicker", "white", "alpha")


@dataclass(frozen=True, eq=False)
class PSD:
    """Welch estimate: ``frequency`` (Hz), one-sided ``psd`` (units^2/Hz), ``dof`` per bin."""

    frequency: np.ndarray
    psd: np.ndarray
    dof: float
    n_segments: int


@dataclass(frozen=True, eq=False)
class PSDFit:
    """Lorentzian + 1/f^alpha + white fit of a :class:`PSD`.

    ``lorentzian`` S_L (units^2/Hz), ``corner_frequency`` f_c (Hz),
    ``flicker`` K (units^2 Hz^(alpha-1)), ``white`` W (units^2/Hz),
    ``alpha`` (fixed unless fitted); ``*_stderr`` standard uncertainties.
    ``model`` is the fitted PSD on ``psd.frequency``.
    """

    psd: PSD
    model: np.ndarray
    lorentzian: float
    lorentzian_stderr: float
    corner_frequency: float
    corner_frequency_stderr: float
    flicker: float
    flicker_stderr: float
    white: float
    white_stderr: float
    alpha: float
    alpha_stderr: float
    converged: bool

    @property
    def correlation_time(self) -> float:
        """``1 / (2 pi f_c)`` (s), the correlation time of the Lorentzian process."""
        return 1.0 / (2 * np.pi * self.corner_frequency)


def welch_psd(x, rate: float, nperseg: int | None = None) -> PSD:
    """One-sided Welch PSD of an evenly sampled series at ``rate`` (Hz).

    ``nperseg`` defaults to ``n // 8`` (about 15 averaged segments).
    """
    v = np.asarray(x, dtype=float).ravel()
    if v.size < 16 or not np.all(np.isfinite(v)):
        raise FitError("need at least 16 finite, evenly sampled values")
    if not rate > 0:
        raise FitError(f"rate must be positive (Hz), got {rate}")
    nseg = int(nperseg or max(8, v.size // 8))
    nseg = min(nseg, v.size)
    f, p = signal.welch(v, fs=rate, window="hann", nperseg=nseg, noverlap=nseg // 2,
                        detrend="constant", scaling="density")
    k = max(1, 1 + (v.size - nseg) // (nseg - nseg // 2))
    # equivalent dof of Welch with Hann, 50 % overlap (Percival & Walden 7.31)
    rho2 = 0.0278 if k > 1 else 0.0
    dof = 2 * k / (1 + 2 * rho2 * (1 - 1 / k))
    return PSD(f[1:], p[1:], float(dof), k)


def _model(f, logp, alpha):
    L, fc, K, W = np.exp(logp[:4])
    a = alpha if alpha is not None else logp[4]
    return L / (1 + (f / fc) ** 2) + K / f**a + W


def _grad_log_model(f, logp, alpha):
    """d ln S / d params, shape (n_f, n_params)."""
    L, fc, K, W = np.exp(logp[:4])
    a = alpha if alpha is not None else logp[4]
    lor = L / (1 + (f / fc) ** 2)
    fl = K / f**a
    S = lor + fl + W
    cols = [lor, lor * 2 * (f / fc) ** 2 / (1 + (f / fc) ** 2), fl, np.full_like(f, W)]
    if alpha is None:
        cols.append(-fl * np.log(f))
    return np.stack(cols, axis=1) / S[:, None]


def _start(f, p, alpha):
    """Grid over f_c; non-negative least squares for (S_L, K, W) at each."""
    a = 1.0 if alpha is None else alpha
    best, best_cost = None, np.inf
    for fc in np.geomspace(f[0], f[-1], 24):  # a small grid of candidate corners
        A = np.stack([1 / (1 + (f / fc) ** 2), f**-a, np.ones_like(f)], axis=1) / p[:, None]
        coef, _ = optimize.nnls(A, np.ones_like(f))
        S = A @ coef * p
        if np.all(S > 0):
            cost = np.sum(np.log(S) + p / S)
            if cost < best_cost:
                best, best_cost = (coef, fc), cost
    if best is None:
        raise FitError("PSD too degenerate to fit")
    (L, K, W), fc = best
    floor = 1e-6 * np.median(p)
    start = np.log([max(L, floor), fc, max(K, floor * f[0]), max(W, floor)])
    return start if alpha is not None else np.append(start, a)


def fit_psd(psd: PSD, alpha: float | None = 1.0) -> PSDFit:
    """Fit Lorentzian + K/f^alpha + white to a :class:`PSD` (Whittle likelihood).

    ``alpha=None`` fits the flicker exponent too (bounded to [0.3, 2.5]).
    """
    f, p, nu = psd.frequency, psd.psd, psd.dof
    start = _start(f, p, alpha)

    def nll(q):
        S = _model(f, q, alpha)
        return 0.5 * nu * np.sum(np.log(S) + p / S)

    def grad(q):
        S = _model(f, q, alpha)
        return 0.5 * nu * (_grad_log_model(f, q, alpha).T @ (1 - p / S))

    lo_fc, hi_fc = np.log(f[0] / 10), np.log(f[-1] * 10)
    bounds = [(None, None), (lo_fc, hi_fc), (None, None), (None, None)]
    if alpha is None:
        bounds.append((0.3, 2.5))
    res = optimize.minimize(nll, start, jac=grad, method="L-BFGS-B", bounds=bounds)
    q = res.x
    g = _grad_log_model(f, q, alpha)
    fisher = 0.5 * nu * g.T @ g
    try:
        cov = np.linalg.inv(fisher)
    except np.linalg.LinAlgError:
        cov = np.full(fisher.shape, np.nan)
    sd = np.sqrt(np.abs(np.diag(cov)))
    vals = np.exp(q[:4])
    errs = vals * sd[:4]
    a, a_err = (alpha, 0.0) if alpha is not None else (float(q[4]), float(sd[4]))
    return PSDFit(psd, _model(f, q, alpha), float(vals[0]), float(errs[0]), float(vals[1]),
                  float(errs[1]), float(vals[2]), float(errs[2]), float(vals[3]), float(errs[3]),
                  float(a), float(a_err), bool(res.success))


def noise_spectrum(x, rate: float, nperseg: int | None = None,
                   alpha: float | None = 1.0) -> PSDFit:
    """Welch PSD of a series at ``rate`` (Hz) and its Lorentzian + 1/f + white fit."""
    return fit_psd(welch_psd(x, rate, nperseg), alpha)


__all__ = ["PSD", "PSDFit", "fit_psd", "noise_spectrum", "welch_psd"]
