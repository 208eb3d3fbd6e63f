"""Data-driven starting values for the nonlinear parameters (scaled units).

No fixed starting points: every guess comes from the trace itself.

* Exponential rate: integral-equation regression. ``y = A e^{-g t} + B``
  obeys ``y(t) - y(t0) = -g S(t) + g B (t - t0)`` with ``S`` the running
  integral of ``y``, which is linear in ``(g, g B)``; the integral smooths the
  noise and works on any sampling grid.
* Two rates: the same with a double integral (``y'' + p y' + q (y - B) = 0``,
  ``p = g1 + g2``, ``q = g1 g2``).
* Ramsey frequency: peak of the 4x zero-padded spectrum (FFT on uniform grids,
  a direct transform otherwise) refined by a parabola through the log power;
  decay from the ratio of the oscillation amplitudes in the two halves of the
  window.
* Envelope exponents: slope of ``log(-log u)`` against ``log t`` where ``u``
  is the normalised envelope.
"""

from __future__ import annotations

import numpy as np

from cryochar.analysis.coherence import tiles
from cryochar.analysis.coherence.data import Batch
from cryochar.analysis.coherence.linalg import separable_linear, solve_small
from cryochar.analysis.coherence.trig import cos_sin

#: Zero padding of the spectrum for the frequency guess (then refined by a
#: parabola through the log power, to a small fraction of a bin).
PAD = 4


def _full_tau(batch: Batch) -> np.ndarray:
    return np.broadcast_to(batch.tau, batch.y.shape)


def _filled(batch: Batch) -> np.ndarray:
    """y with invalid points replaced by the trace's weighted mean."""
    if batch.all_valid:
        return batch.y
    return np.where(batch.valid, batch.y, batch.ybar[:, None])


def _cumtrapz(f: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Running trapezoid integral of ``f`` along the last axis (starts at 0)."""
    inc = f[:, 1:] + f[:, :-1]
    inc *= 0.5 * np.diff(tau, axis=1)
    out = np.empty(f.shape)
    out[:, 0] = 0.0
    np.cumsum(inc, axis=1, out=out[:, 1:])
    return out


def _wsum(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Per-trace sum of ``w * a``; ``a`` may be a shared ``(1, n)`` row."""
    return np.einsum("mn,n->m", w, a[0]) if a.shape[0] == 1 else np.einsum("mn,mn->m", w, a)


def _regress(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted regression of y on columns X (k, m, n) plus an intercept."""
    sw = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = np.einsum("mn,mn->m", w, y) / sw
        coef, *_ = separable_linear(X, y, w, sw, ybar)
    return coef


def _clip_rate(g: np.ndarray, batch: Batch) -> np.ndarray:
    lo = 10 * 1e-4 / batch.span
    hi = 5.0 / np.where(np.isfinite(batch.dt_min), batch.dt_min, batch.span)
    g = np.where(np.isfinite(g), g, 1.0 / batch.span)
    return np.clip(g, lo, hi)


def exponential_rate(batch: Batch) -> np.ndarray:
    """Decay rate of ``A e^{-g tau} + B`` by the integral method, shape ``(m,)``.

    Weighted regression of ``y`` on ``[S, tau - tau_0]`` plus an intercept,
    ``S`` the running trapezoid integral. On a uniform grid (step ``delta``)
    the trapezoid integral equation is exactly the summed linear-prediction
    (Prony) relation ``y[i+1] - B = r (y[i] - B)`` with
    ``r = (2 - g delta) / (2 + g delta)``, so the rate is corrected to
    ``-log(r) / delta``: exact on noiseless data.
    """
    if batch.tau.shape[0] == 1:
        rate = block_prony(batch) if batch.grid.start is not None else None
        if rate is None:
            return _clip_rate(_integral_shared(batch), batch)
        # per trace (results must not depend on the other traces of the block):
        # Prony where every point is valid and the decay is resolved by its blocks
        good = (batch.n_valid == batch.y.shape[1]) & (rate * batch.span > 0.3) & (
            rate * batch.dt_min < 0.3)
        redo = np.flatnonzero(~good)
        if redo.size:
            rate[redo] = _integral_shared(batch.slice(redo))
        return _clip_rate(rate, batch)
    y = _filled(batch)
    w, sw, ybar = batch.w, batch.sw, batch.ybar
    S = _cumtrapz(y, batch.tau)
    d = batch.tau - batch.tau[:, :1]
    wS = w * S
    s_S, s_d = wS.sum(axis=1), _wsum(w, d)
    m_S, m_d = s_S / sw, s_d / sw
    g_ss = np.einsum("mn,mn->m", wS, S) - s_S * m_S
    g_sd = _wsum(wS, d) - s_S * m_d
    g_dd = _wsum(w, d * d) - s_d * m_d
    h_s = np.einsum("mn,mn->m", wS, y) - s_S * ybar
    h_d = _wsum(w * y, d) - s_d * ybar
    with np.errstate(divide="ignore", invalid="ignore"):
        c_s = (g_dd * h_s - g_sd * h_d) / (g_ss * g_dd - g_sd * g_sd)
    return _clip_rate(-c_s, batch)


#: Blocks of the linear-prediction start (:func:`block_prony`).
PRONY_BLOCKS = 16


def block_prony(batch: Batch) -> np.ndarray | None:
    """Decay rate from the linear-prediction (Prony) relation of block sums.

    On a uniform grid ``y = A r^i + B`` makes the sums ``T_b`` of ``K`` blocks of
    ``L`` points geometric, ``T_b - L B = rho^b (T_0 - L B)`` with
    ``rho = r^L``; summed, ``T_b - T_0 = (rho - 1) (sum_{j<b} T_j - b L B)``, a
    linear regression of ``T`` on ``[sum_{j<b} T_j, b]`` whose first
    coefficient is ``rho - 1``. Exact on noiseless data; the sums average the
    noise. One pass over the data, then work on ``(m, K)`` arrays. None when
    the trace is too short (under three points per block).
    """
    n = batch.y.shape[1]
    K = min(PRONY_BLOCKS, n // 3)
    if K < 4:
        return None
    L = n // K
    # block sums straight into the (K, m) layout the algebra runs on (rows
    # contiguous over traces); one einsum, faster than L strided additions
    T = np.einsum("mkl->km", batch.y[:, :K * L].reshape(-1, K, L))
    C = np.empty_like(T)
    C[0] = 0.0
    for i in range(1, K):
        np.add(C[i - 1], T[i - 1], out=C[i])
    T -= T.mean(axis=0)
    C -= C.mean(axis=0)
    b = (np.arange(K) - (K - 1) / 2)[:, None]
    g_cc, g_cb = np.einsum("km,km->m", C, C), np.einsum("km,km->m", C, np.broadcast_to(b, C.shape))
    h_c, h_b = np.einsum("km,km->m", C, T), np.einsum("km,km->m", T, np.broadcast_to(b, T.shape))
    bb = float((b * b).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = (bb * h_c - g_cb * h_b) / (g_cc * bb - g_cb * g_cb)
        return -np.log1p(beta) / (L * batch.grid.step[0])


def _running_sum(inc: np.ndarray) -> np.ndarray:
    """``out[:, i] = sum(inc[:, :i])`` (``out[:, 0] = 0``); a loop over the
    columns, each step vectorised over traces (faster than ``np.cumsum``
    along rows, whose additions are serially dependent)."""
    out = np.empty((inc.shape[0], inc.shape[1] + 1))
    out[:, 0] = 0.0
    out[:, 1] = inc[:, 0]
    for i in range(1, inc.shape[1]):
        np.add(out[:, i], inc[:, i], out=out[:, i + 1])
    return out


def _moments(a: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``a @ basis`` reproducibly (:mod:`.tiles`), else by row dots."""
    if tiles.deterministic():
        return tiles.tiled_matmul(a, basis)
    return np.stack([np.einsum("mn,mn->m", a, np.broadcast_to(b, a.shape)) for b in basis.T], 1)


def _integral_shared(batch: Batch) -> np.ndarray:
    """:func:`exponential_rate` for a time axis shared by all traces: the
    regression from row sums, on the centred ``w (y - ybar)``. Each trace's
    result depends on that trace only (invalid points have weight 0)."""
    tau = batch.tau[0]
    y, wyc, sw, w = _filled(batch), batch.wyc, batch.sw, batch.w
    inc = np.add(y[:, :-1], y[:, 1:])
    uniform = batch.grid.start is not None
    if not uniform:
        inc *= 0.5 * np.diff(tau)
    S = _running_sum(inc)
    d = tau - tau[0]
    basis = np.stack([np.ones_like(d), d, d * d], axis=1)
    wS = w * S
    s_S, g_sd = _moments(wS, basis[:, :2]).T
    s_d, g_dd = _moments(w, basis[:, 1:]).T
    g_ss = np.einsum("mn,mn->m", wS, S) - s_S * s_S / sw
    g_sd = g_sd - s_S * s_d / sw
    g_dd = g_dd - s_d * s_d / sw
    h_s, h_d = np.einsum("mn,mn->m", wyc, S), _moments(wyc, basis[:, 1:2])[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        c_s = (g_dd * h_s - g_sd * h_d) / (g_ss * g_dd - g_sd * g_sd)
        if not uniform:
            return -c_s
        step = batch.grid.step[0]
        exact = 2 / step * np.arctanh(-c_s)  # S = (step / 2) * (running sum of inc)
        return np.where(np.isfinite(exact), exact, -2 * c_s / step)


def double_rates(batch: Batch) -> np.ndarray:
    """Slow and fast rates ``(m, 2)`` from the double-integral regression.

    Where the regression gives no two positive real rates, the single-rate
    estimate is split by a factor 3 either way.
    """
    tau = _full_tau(batch)
    y = _filled(batch)
    d = tau - tau[:, :1]
    S1 = _cumtrapz(y, batch.tau)
    S2 = _cumtrapz(S1, batch.tau)
    coef = _regress(np.stack([d, d * d, S1, S2]), y, batch.w)
    p, q = -coef[:, 2], -coef[:, 3]
    disc = p * p - 4 * q
    good = (p > 0) & (q > 0) & (disc > 0)
    root = np.sqrt(np.where(good, disc, 0.0))
    g_slow, g_fast = 0.5 * (p - root), 0.5 * (p + root)
    good &= g_fast > 1.5 * g_slow
    single = exponential_rate(batch)
    g_slow = np.where(good, g_slow, single / 3)
    g_fast = np.where(good, g_fast, single * 3)
    return np.stack([_clip_rate(g_slow, batch), _clip_rate(g_fast, batch)], axis=1)


def _normalised_envelope(batch: Batch, rate: np.ndarray) -> np.ndarray:
    """``(y - B) / A`` for the exponential fit at ``rate``."""
    phi = np.exp(-rate[:, None] * batch.tau)[None]
    coef, offset, *_ = separable_linear(phi, batch.y, batch.w, batch.sw, batch.ybar)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (batch.y - offset[:, None]) / coef[:, 0:1]


def envelope_power(batch: Batch, rate: np.ndarray, limits: tuple[float, float],
                   known: np.ndarray | None = None) -> np.ndarray:
    """Exponent ``n`` of ``exp(-known t - (g t)^n)`` from a log-log regression.

    Uses the points where the normalised envelope lies in (0.1, 0.9); with
    fewer than three such points it returns the middle of ``limits``.
    """
    tau = _full_tau(batch)
    u = _normalised_envelope(batch, rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        X = -np.log(u)
        if known is not None:
            X = X - known[:, None] * tau
        use = batch.valid & (u > 0.1) & (u < 0.9) & (tau > 0) & (X > 0)
        lx, ly = np.log(np.where(use, tau, 1.0)), np.log(np.where(use, X, 1.0))
    w = use.astype(float)
    slope = _regress(lx[None], ly, w)[:, 0]
    mid = 0.5 * (limits[0] + limits[1])
    slope = np.where((use.sum(axis=1) >= 3) & np.isfinite(slope), slope, mid)
    return np.clip(slope, *limits)


def relaxation_share(batch: Batch, rate: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Share ``s = g_a / g_2`` of the 1/e decay due to relaxation, in [0.05, 0.95].

    Regresses ``-log u = g_a t + (g_p t)^n`` (no intercept) on the envelope.
    """
    tau = _full_tau(batch)
    u = _normalised_envelope(batch, rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        X = -np.log(u)
    use = batch.valid & (u > 0.05) & (u < 0.95)
    X = np.where(use, X, 0.0)
    a, b = np.where(use, tau, 0.0), np.where(use, tau, 0.0) ** n[:, None]
    A = np.stack([np.stack([(a * a).sum(1), (a * b).sum(1)], -1),
                  np.stack([(a * b).sum(1), (b * b).sum(1)], -1)], axis=1)
    c = solve_small(A, np.stack([(a * X).sum(1), (b * X).sum(1)], -1))
    share = c[:, 0] / rate
    return np.clip(np.where(np.isfinite(share), share, 0.5), 0.05, 0.95)


def _is_uniform(tau: np.ndarray) -> bool:
    steps = np.diff(tau, axis=1)
    ref = np.median(steps, axis=1, keepdims=True)
    return bool(np.all(ref > 0) and np.all(np.abs(steps - ref) <= 1e-6 * ref))


def _spectral_peak(batch: Batch, yc: np.ndarray) -> np.ndarray:
    """Frequency (scaled units) of the largest non-DC peak of the spectrum of yc."""
    n = yc.shape[1]
    if _is_uniform(batch.tau):
        nfft = 1 << int(np.ceil(np.log2(PAD * n)))
        spec = np.fft.rfft(yc, nfft, axis=1)
        power = spec.real**2 + spec.imag**2
        step = np.median(np.diff(batch.tau, axis=1), axis=1)
        df = 1.0 / (nfft * step)
        df = np.broadcast_to(df, (yc.shape[0],))
    else:
        power, df = _direct_power(batch, yc)
    power[:, 0] = 0.0
    k = np.argmax(power, axis=1)
    kk = np.clip(k, 1, power.shape[1] - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log(np.take_along_axis(power, np.stack([kk - 1, kk, kk + 1], 1), 1))
        delta = 0.5 * (lp[:, 0] - lp[:, 2]) / (lp[:, 0] - 2 * lp[:, 1] + lp[:, 2])
    delta = np.where(np.isfinite(delta) & (k == kk), np.clip(delta, -0.5, 0.5), 0.0)
    return (k + delta) * df


def _direct_power(batch: Batch, yc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Power on a grid of PAD-times zero-padded resolution for non-uniform sampling."""
    span = float(np.max(batch.span))
    df = 1.0 / (PAD * span)
    fmax = 0.5 / float(np.nanmin(batch.dt_min))
    freqs = np.arange(0.0, fmax + df, df)
    tau = np.broadcast_to(batch.tau, yc.shape)
    power = np.empty((yc.shape[0], freqs.size))
    chunk = max(1, int(2e6 // max(1, yc.shape[1] * freqs.size)))
    for start in range(0, yc.shape[0], chunk):  # blocks of traces bound the memory
        sl = slice(start, start + chunk)
        arg = (2 * np.pi) * tau[sl, :, None] * freqs
        re = np.einsum("mn,mnf->mf", yc[sl], np.cos(arg))
        im = np.einsum("mn,mnf->mf", yc[sl], np.sin(arg))
        power[sl] = re * re + im * im
    return power, np.full(yc.shape[0], df)


def ramsey(batch: Batch, power: int) -> tuple[np.ndarray, np.ndarray]:
    """Rate and detuning guesses ``(m,), (m,)`` for a Ramsey trace."""
    yc = (batch.y - batch.ybar[:, None]) * batch.valid
    freq = _spectral_peak(batch, yc)
    tau = _full_tau(batch)
    phi = np.stack(cos_sin(batch.grid, freq))
    mid = 0.5 * (tau.min(axis=1) + tau.max(axis=1))[:, None]
    amps, centres = [], []
    for half in (tau < mid, tau >= mid):
        w = batch.w * half
        sw = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ybar = np.einsum("mn,mn->m", w, batch.y) / sw
            coef, *_ = separable_linear(phi, batch.y, w, sw, ybar)
            centres.append(np.einsum("mn,mn->m", w, tau) / sw)
        amps.append(np.hypot(coef[:, 0], coef[:, 1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(amps[0] / amps[1])
        if power == 1:
            rate = ratio / (centres[1] - centres[0])
        else:
            rate = np.sqrt(ratio / (centres[1] ** 2 - centres[0] ** 2))
    rate = np.where(ratio > 0, rate, 0.1 / batch.span)
    return _clip_rate(rate, batch), freq


__all__ = ["block_prony", "double_rates", "envelope_power", "exponential_rate", "ramsey",
           "relaxation_share"]
