"""Change points and telegraph (two-state) segmentation of a coherence series.

:func:`detect_changepoints` finds shifts of the mean by seeded binary
segmentation (Kovacs et al., Biometrika 2023): the best split, the one that
most reduces the residual sum of squares ``n1 n2 / n (mean1 - mean2)^2``, is
computed on a deterministic set of intervals of every scale (halving lengths,
half-overlapping), so that short excursions are isolated by some interval.
A segment is split at the best candidate inside it if the reduction exceeds
a penalty, then the cuts are refined: each moved to its best position
between its neighbours, and any cut whose reduction relative to its two
neighbouring segments falls below the penalty removed. The penalty is in
units of ``sigma^2``, with the noise ``sigma`` estimated robustly from the
median absolute first difference so that the steps themselves do not
inflate it: ``"bic"`` is ``2 ln(n)`` (a level and a location per change);
the default ``"mbic"`` is ``3 ln(n)``, which pays for searching the location
over all positions and scales - on white noise it finds a change in ~1 % of
series (``"bic"``: ~20 %) with no loss of power on 3-sigma steps. Everything is
vectorised over candidate points and over the intervals of one scale; loops
run over scales, segments and cuts.

:func:`telegraph` groups the segments into a low and a high state (the best
two-level threshold on the length-weighted segment means) and reports the
switching times, the levels, dwell times and switching rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.core.errors import FitError


@dataclass(frozen=True, eq=False)
class ChangePoints:
    """Mean-shift segmentation of a series.

    ``indices`` are the first samples of each new segment, ``times`` the
    corresponding times (s, or sample index without ``t``); ``levels`` the
    segment means (``len(indices) + 1``), ``bounds`` the ``(start, stop)``
    sample ranges, ``sigma`` the estimated noise and ``penalty`` the
    threshold used (units of ``x`` squared).
    """

    indices: np.ndarray
    times: np.ndarray
    levels: np.ndarray
    bounds: np.ndarray
    sigma: float
    penalty: float


@dataclass(frozen=True, eq=False)
class TelegraphResult:
    """Two-state description of a series.

    ``levels`` = (low, high) state means; ``state`` (0 low, 1 high) per
    sample; ``switch_indices``/``switch_times`` where the state changes;
    ``dwell_low``/``dwell_high`` the completed and censored dwell times (s);
    ``rate_up`` = low->high switches per time spent low, ``rate_down``
    likewise (1/s); ``switching_rate`` = all switches per total time (1/s).
    """

    levels: tuple[float, float]
    state: np.ndarray
    switch_indices: np.ndarray
    switch_times: np.ndarray
    dwell_low: np.ndarray
    dwell_high: np.ndarray
    rate_up: float
    rate_down: float
    switching_rate: float
    changepoints: ChangePoints


def _noise_sigma(x: np.ndarray) -> float:
    d = np.diff(x)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def _gains(csum: np.ndarray, a: np.ndarray, b: np.ndarray, k: np.ndarray) -> np.ndarray:
    """RSS reduction of splitting [a, b) at k (broadcasting arrays)."""
    n, n1 = b - a, k - a
    s_total = csum[b] - csum[a]
    s1 = csum[k] - csum[a]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (s1 - n1 * s_total / n) ** 2 * n / (n1 * (n - n1))


def _best_split(csum: np.ndarray, a: int, b: int, min_size: int) -> tuple[int, float]:
    """Best split point in [a, b) and its RSS reduction (vectorised over points)."""
    k = np.arange(a + min_size, b - min_size + 1)
    if k.size == 0:
        return -1, 0.0
    gain = _gains(csum, a, b, k)
    j = int(np.argmax(gain))
    return int(k[j]), float(gain[j])


def _seeded_candidates(csum: np.ndarray, n: int, min_size: int):
    """Best split and gain in every seeded interval: arrays start, stop, cut, gain."""
    out = []
    length = n
    while length >= 2 * min_size + 2:  # one pass per scale
        step = max(1, length // 2)
        a = np.arange(0, n - length + 1, step)
        b = a + length
        k = a[:, None] + np.arange(min_size, length - min_size + 1)
        gain = _gains(csum, a[:, None], b[:, None], k)
        j = np.argmax(gain, axis=1)
        rows = np.arange(a.size)
        out.append((a, b, k[rows, j], gain[rows, j]))
        length = int(length / 2)
    if not out:
        empty = np.zeros(0, dtype=int)
        return empty, empty, empty, np.zeros(0)
    return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))


def _refine(csum: np.ndarray, cuts: list[int], n: int, min_size: int, pen: float) -> list[int]:
    """Move each cut to its best place between its neighbours; drop weak cuts."""
    cuts = sorted(cuts)
    for _ in range(4 * len(cuts) + 4):  # bounded: each round moves or drops cuts
        edges = np.array([0, *cuts, n])
        if cuts:
            gain = _gains(csum, edges[:-2], edges[2:], edges[1:-1])
            weakest = int(np.argmin(gain))
            if gain[weakest] <= pen:
                cuts.pop(weakest)
                continue
        moved = False
        for i in range(len(cuts)):  # loop over cuts (few), not samples
            k, _ = _best_split(csum, int(edges[i]), int(edges[i + 2]), min_size)
            if k >= 0 and k != cuts[i]:
                cuts[i], edges[i + 1], moved = k, k, True
        if not moved:
            break
    return cuts


PENALTIES = {"bic": 2.0, "mbic": 3.0}


def detect_changepoints(x: Any, t: Any = None, *, penalty: float | str = "mbic",
                        min_size: int = 2, max_changes: int | None = None) -> ChangePoints:
    """Mean-shift change points of ``x`` by seeded binary segmentation.

    ``penalty`` is ``"mbic"`` (``3 ln(n) sigma^2``), ``"bic"``
    (``2 ln(n) sigma^2``) or a number (units of ``x`` squared); ``min_size``
    the shortest segment (samples);
    ``max_changes`` an optional cap. ``t`` (s) labels the samples.
    """
    v = np.asarray(x, dtype=float).ravel()
    if v.size < 2 * min_size + 1 or not np.all(np.isfinite(v)):
        raise FitError("need a finite series longer than two minimum segments")
    times = np.arange(v.size, dtype=float) if t is None else np.asarray(t, dtype=float).ravel()
    if times.shape != v.shape:
        raise FitError(f"t has {times.size} values, x has {v.size}")
    sigma = _noise_sigma(v)
    if isinstance(penalty, str):
        if penalty not in PENALTIES:
            raise FitError(f"unknown penalty {penalty!r}", fix="use 'mbic', 'bic' or a number")
        pen = PENALTIES[penalty] * np.log(v.size) * sigma**2
    else:
        pen = float(penalty)
    csum = np.concatenate([[0.0], np.cumsum(v - v.mean())])
    starts, stops, splits, gains = _seeded_candidates(csum, v.size, min_size)
    cuts: list[int] = []
    stack = [(0, v.size)]
    limit = v.size if max_changes is None else max_changes
    while stack and len(cuts) < limit:  # one pass per segment, not per sample
        a, b = stack.pop()
        inside = np.flatnonzero((starts >= a) & (stops <= b))
        k, gain = _best_split(csum, a, b, min_size)
        if inside.size and gains[inside].max() > gain:
            j = inside[np.argmax(gains[inside])]
            k, gain = int(splits[j]), float(gains[j])
        if k >= 0 and gain > pen:
            cuts.append(k)
            stack.extend([(a, k), (k, b)])
    idx = np.array(_refine(csum, cuts, v.size, min_size, pen), dtype=int)
    edges = np.concatenate([[0], idx, [v.size]])
    levels = (csum[edges[1:]] - csum[edges[:-1]]) / np.diff(edges) + v.mean()
    return ChangePoints(idx, times[idx], levels, np.stack([edges[:-1], edges[1:]], axis=1),
                        sigma, float(pen))


def _two_level_threshold(levels: np.ndarray, sizes: np.ndarray) -> float:
    """Threshold between two groups of segment means (weighted 1-D two-means)."""
    order = np.argsort(levels)
    lv, w = levels[order], sizes[order].astype(float)
    cw, cs, cs2 = np.cumsum(w), np.cumsum(w * lv), np.cumsum(w * lv * lv)
    tot_w, tot_s, tot_s2 = cw[-1], cs[-1], cs2[-1]
    w1, s1, q1 = cw[:-1], cs[:-1], cs2[:-1]
    w2, s2, q2 = tot_w - w1, tot_s - s1, tot_s2 - q1
    within = (q1 - s1**2 / w1) + (q2 - s2**2 / w2)
    j = int(np.argmin(within))
    return float(0.5 * (lv[j] + lv[j + 1]))


def telegraph(x: Any, t: Any = None, **kwargs: Any) -> TelegraphResult:
    """Two-state (telegraph) segmentation of ``x`` sampled at times ``t`` (s).

    Keyword arguments go to :func:`detect_changepoints`. Without ``t`` times
    are sample indices (rates then per sample).
    """
    v = np.asarray(x, dtype=float).ravel()
    cp = detect_changepoints(v, t, **kwargs)
    times = np.arange(v.size, dtype=float) if t is None else np.asarray(t, dtype=float).ravel()
    sizes = np.diff(cp.bounds, axis=1)[:, 0]
    if cp.levels.size < 2:
        state = np.zeros(v.size, dtype=int)
        low = high = float(v.mean())
    else:
        thr = _two_level_threshold(cp.levels, sizes)
        state = np.repeat((cp.levels > thr).astype(int), sizes)
        low, high = float(v[state == 0].mean()), float(v[state == 1].mean())
    switch = np.flatnonzero(np.diff(state)) + 1
    step = np.median(np.diff(times)) if times.size > 1 else 1.0
    edges = np.concatenate([[times[0]], times[switch], [times[-1] + step]])
    dwell = np.diff(edges)
    seg_state = state[np.concatenate([[0], switch])]
    dwell_low, dwell_high = dwell[seg_state == 0], dwell[seg_state == 1]
    up = int(np.sum(np.diff(state) > 0))
    down = int(np.sum(np.diff(state) < 0))
    t_low, t_high = float(dwell_low.sum()), float(dwell_high.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_up = up / t_low if t_low > 0 else float("nan")
        rate_down = down / t_high if t_high > 0 else float("nan")
    total = float(edges[-1] - edges[0])
    return TelegraphResult((low, high), state, switch, times[switch], dwell_low, dwell_high,
                           float(rate_up), float(rate_down), (up + down) / total, cp)


__all__ = ["PENALTIES", "ChangePoints", "TelegraphResult", "detect_changepoints", "telegraph"]
