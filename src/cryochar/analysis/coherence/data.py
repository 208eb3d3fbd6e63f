"""Input validation and the scaled, weighted batch the solver works on.

Times are rescaled per trace to ``tau = t / t_scale`` with ``t_scale`` the
largest ``|t|`` of the trace, so every rate the solver sees is of order one.
Points with a non-finite ``t``, ``y`` or ``sigma`` (or ``sigma <= 0``) get zero
weight; traces are sorted by time.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from cryochar.core.errors import FitError

#: Largest deviation (relative to the largest |t|) of a step from the mean
#: step for which a time axis counts as uniform.
UNIFORM_RTOL = 1e-12


@dataclass(frozen=True, eq=False)
class Grid:
    """Scaled time axis ``tau`` ``(1, n)`` (shared) or ``(m, n)`` (per trace).

    When every row is uniformly spaced, ``start`` and ``step`` (shape
    ``(1,)`` or ``(m,)``) describe it, ``tau = start + step * arange(n)``;
    models use this for fast trigonometry. Otherwise they are None.
    """

    tau: np.ndarray
    start: np.ndarray | None = None
    step: np.ndarray | None = None
    #: arrays derived from ``tau`` alone, kept by their users (a shared grid
    #: serves every block of a fit)
    derived: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, tau: np.ndarray) -> Grid:
        """Detect uniform spacing of ``tau`` and make a grid."""
        steps = np.diff(tau, axis=1)
        mean = (tau[:, -1] - tau[:, 0]) / (tau.shape[1] - 1)
        if np.isfinite(tau).all() and np.all(mean > 0) and np.all(
                np.abs(steps - mean[:, None]) <= UNIFORM_RTOL):
            return cls(tau, tau[:, 0].copy(), mean)
        return cls(tau)

    def rows(self, idx: np.ndarray) -> Grid:
        """The grid of traces ``idx`` (a shared grid is returned unchanged)."""
        if self.tau.shape[0] == 1:
            return self
        if self.start is None:
            return Grid(self.tau[idx])
        return Grid(self.tau[idx], self.start[idx], self.step[idx])


@dataclass(frozen=True, eq=False)
class Batch:
    """Traces prepared for fitting (internal; all times scaled by ``t_scale``).

    ``grid.tau`` has shape ``(1, n)`` when all traces share one time axis,
    else ``(m, n)``; ``y``, ``w`` (weights ``1/sigma^2``, 0 for invalid points)
    and ``valid`` have shape ``(m, n)``; the rest shape ``(m,)``. ``syy`` is
    the weighted sum of squares of ``y`` about its weighted mean ``ybar`` and
    ``wyc`` is ``w * (y - ybar)``.
    """

    grid: Grid
    y: np.ndarray
    w: np.ndarray
    valid: np.ndarray
    all_valid: bool
    t_scale: np.ndarray
    sw: np.ndarray
    ybar: np.ndarray
    syy: np.ndarray
    wyc: np.ndarray
    n_valid: np.ndarray
    span: np.ndarray
    dt_min: np.ndarray
    dt_med: np.ndarray
    absolute: bool
    scalar: bool

    @property
    def tau(self) -> np.ndarray:
        """Scaled times, ``(1, n)`` or ``(m, n)``."""
        return self.grid.tau

    @property
    def m(self) -> int:
        """Number of traces."""
        return self.y.shape[0]

    def slice(self, sl: slice | np.ndarray) -> Batch:
        """The traces ``sl`` (a slice gives views, an index array copies)."""
        grid = self.grid
        if grid.tau.shape[0] != 1:
            grid = Grid(grid.tau[sl], None if grid.start is None else grid.start[sl],
                        None if grid.step is None else grid.step[sl])
        per_trace = {name: getattr(self, name)[sl] for name in (
            "y", "w", "valid", "t_scale", "sw", "ybar", "syy", "wyc", "n_valid", "span",
            "dt_min", "dt_med")}
        return Batch(grid=grid, all_valid=self.all_valid, absolute=self.absolute,
                     scalar=self.scalar, **per_trace)

    @property
    def unit_weights(self) -> bool:
        """True when every weight is 1 (no ``sigma``, no invalid point)."""
        return self.all_valid and not self.absolute


def validate(t, y, sigma=None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """Check shapes; return ``t`` ``(1, n)`` or ``(m, n)``, ``y`` ``(m, n)``,
    ``sigma`` ``(m, n)`` or None, and whether ``y`` was 1-D.

    Raises :class:`~cryochar.core.errors.FitError` on bad shapes.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim not in (1, 2) or y.shape[-1] < 2 or y.shape[0] == 0:
        raise FitError(f"y must have shape (n_points,) or (n_traces, n_points), got {y.shape}",
                       fix="pass one trace per row, time along the last axis")
    scalar = y.ndim == 1
    y2 = np.atleast_2d(y)
    t2 = np.asarray(t, dtype=float)
    if t2.ndim == 1 and t2.shape[0] == y2.shape[1]:
        t2 = t2[None, :]
    elif t2.shape != y2.shape and t2.shape != (1, y2.shape[1]):
        raise FitError(f"t has shape {t2.shape}, y has shape {y.shape}",
                       fix="t must be (n_points,) or the shape of y")
    if sigma is None:
        return t2, y2, None, scalar
    try:
        s2 = np.broadcast_to(np.asarray(sigma, dtype=float), y2.shape)
    except ValueError as exc:
        raise FitError(f"sigma has shape {np.shape(sigma)}, y has shape {y.shape}",
                       fix="sigma must be None or broadcastable to y") from exc
    return t2, y2, s2, scalar


def prepare(t, y, sigma=None) -> Batch:
    """Validate ``t`` (s), ``y`` and ``sigma`` and build one :class:`Batch`.

    ``y`` has shape ``(n,)`` or ``(m, n)``; ``t`` shape ``(n,)`` or the shape of
    ``y``; ``sigma`` is None or broadcastable to ``y``.
    """
    return build(*validate(t, y, sigma))


def sorted_by_time(t2: np.ndarray, y2: np.ndarray,
                   s2: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``t2``, ``y2``, ``s2`` (see :func:`validate`) with every row in time
    order (non-finite times last); the inputs themselves when already so."""
    return _sorted(t2, y2, s2)


def _sorted(t2, y2, s2):
    t_key = np.where(np.isfinite(t2), t2, np.inf)
    if not (np.diff(t_key, axis=1) < 0).any():
        return t2, y2, s2
    order = np.argsort(t_key, axis=1, kind="stable")
    t2 = np.take_along_axis(t2, order, axis=1)
    if order.shape[0] == 1:
        return t2, y2[:, order[0]], None if s2 is None else s2[:, order[0]]
    y2 = np.take_along_axis(y2, order, axis=1)
    return t2, y2, None if s2 is None else np.take_along_axis(s2, order, axis=1)


def _shared_axis(t: np.ndarray, m: int) -> dict[str, np.ndarray] | None:
    """:func:`_time_axis` of one finite, sorted time row (no NaN handling)."""
    scale = max(abs(t[0]), abs(t[-1]))
    if not scale > 0:
        return None
    steps = np.diff(t) / scale
    pos = steps[steps > 0]
    out = {"t_scale": scale, "span": (t[-1] - t[0]) / scale,
           "dt_min": pos.min() if pos.size else np.nan,
           "dt_med": np.median(pos) if pos.size else np.nan}
    return {k: np.full(m, v, dtype=float) for k, v in out.items()}


def _time_axis(t2: np.ndarray, m: int) -> dict[str, np.ndarray]:
    if t2.shape[0] == 1 and np.isfinite(t2).all():
        out = _shared_axis(t2[0], m)
        if out is not None:
            return out
    t_fin = np.where(np.isfinite(t2), t2, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t_scale = np.nanmax(np.abs(t_fin), axis=1)
        span = (np.nanmax(t_fin, axis=1) - np.nanmin(t_fin, axis=1)) / t_scale
        steps = np.diff(t_fin, axis=1) / t_scale[:, None]
        pos = np.where(steps > 0, steps, np.nan)
        dt_min = np.nanmin(pos, axis=1)
        dt_med = np.nanmedian(pos, axis=1)
    if not np.all(t_scale > 0):
        raise FitError("no non-zero finite time value", fix="t must be delays in seconds")
    out = {"t_scale": t_scale, "span": span, "dt_min": dt_min, "dt_med": dt_med}
    return {k: np.broadcast_to(v, (m,)).copy() for k, v in out.items()}


class Scratch:
    """Reusable scratch arrays: :meth:`take` hands out the same memory for the
    same name every time (contents undefined). Reusing memory across blocks
    avoids returning it to the operating system and faulting it in again."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
        size = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(size, dtype=dtype)
        return buf[:size].reshape(shape)


def _weights(y2: np.ndarray, s2: np.ndarray | None, t_ok: bool, scratch: Scratch | None):
    """Weights ``1/sigma^2`` (None without ``sigma``), the row sums of ``w * y``
    and the valid mask; ``t_ok`` tells whether every time is finite.

    A row sum of ``w * y`` is finite only if every term is (a NaN or an
    infinity propagates), so when all sums are finite, every ``sigma`` is
    positive and every time finite, the mask is a broadcast ``True`` and
    costs nothing; otherwise it is computed point by point.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if s2 is None:
            w = None
            sums = np.einsum("mn->m", y2)
        else:
            w = np.square(s2, out=None if scratch is None else scratch.take("w", y2.shape))
            np.divide(1.0, w, out=w)
            sums = np.einsum("mn,mn->m", y2, w)
        if t_ok and np.isfinite(sums).all() and (s2 is None or s2.min() > 0):
            return w, sums, np.broadcast_to(np.True_, y2.shape)
        valid = np.isfinite(y2 if w is None else y2 * w)
        if s2 is not None:
            valid &= s2 > 0
    return w, sums, valid


@dataclass(frozen=True, eq=False)
class SharedTime:
    """What :func:`build` derives from a time axis ``(1, n)`` shared by all
    traces, computed once per fit instead of once per block: the sorting
    permutation of the points (None: already sorted), the sorted axis, its
    scale and sampling figures (scalars) and the scaled :class:`Grid`."""

    order: np.ndarray | None
    t2: np.ndarray
    axis: dict[str, float]
    grid: Grid

    @classmethod
    def of(cls, t2: np.ndarray) -> SharedTime | None:
        """None unless ``t2`` is one finite row with a non-zero time."""
        if t2.shape[0] != 1 or not np.isfinite(t2).all():
            return None
        order = None
        if (np.diff(t2[0]) < 0).any():
            order = np.argsort(t2[0], kind="stable")
            t2 = t2[:, order]
        axis = _shared_axis(t2[0], 1)
        if axis is None:
            return None
        scalars = {k: float(v[0]) for k, v in axis.items()}
        return cls(order, t2, scalars, Grid.build(t2 / scalars["t_scale"]))


def build(t2: np.ndarray, y2: np.ndarray, s2: np.ndarray | None, scalar: bool,
          scratch: Scratch | None = None, shared: SharedTime | None = None) -> Batch:
    """Make a :class:`Batch` from validated arrays (see :func:`validate`).

    Without ``sigma`` and with every point valid, ``w`` is a read-only
    broadcast of ones, and ``valid`` one of ``True``. With ``scratch`` the
    ``(m, n)`` arrays of a batch whose points are all valid live in its
    buffers (valid until their next use). ``shared`` is
    ``SharedTime.of(t2)``, when the caller builds many batches on it.
    """
    if shared is None:
        t2, y2, s2 = _sorted(t2, y2, s2)
    elif shared.order is not None:
        t2, y2 = shared.t2, y2[:, shared.order]
        s2 = None if s2 is None else s2[:, shared.order]
    m, n = y2.shape
    if shared is None:
        axis = _time_axis(t2, m)
    else:
        axis = {k: np.full(m, v) for k, v in shared.axis.items()}
    t_ok = shared is not None or bool(np.isfinite(t2).all())
    w, sums, valid = _weights(y2, s2, t_ok, scratch)
    if not t_ok:
        valid &= np.isfinite(t2)
    all_valid = valid.strides == (0, 0) or bool(valid.all())
    if not all_valid:
        y2 = np.where(valid, y2, 0.0)
        w = valid.astype(float) if w is None else np.where(valid, w, 0.0)
        # the same arithmetic as _weights (zeroed points add exact zeros)
        sums = np.einsum("mn->m", y2) if s2 is None else np.einsum("mn,mn->m", y2, w)
        scratch = None
    elif w is None:
        w = np.broadcast_to(np.ones((1, n)), y2.shape)
    sw = np.einsum("mn->m", w) if s2 is not None or not all_valid else np.full(m, float(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        ybar = sums / sw
    ybar = np.where(np.isfinite(ybar), ybar, 0.0)
    yc = np.subtract(y2, ybar[:, None], out=None if scratch is None else scratch.take("yc", (m, n)))
    if s2 is not None or not all_valid:
        wyc = np.multiply(yc, w, out=None if scratch is None else scratch.take("wyc", (m, n)))
    else:
        wyc = yc
    if shared is None:
        scale = axis["t_scale"][: t2.shape[0]]  # a shared time axis stays (1, n)
        grid = Grid.build(np.where(np.isfinite(t2), t2, 0.0) / scale[:, None])
    else:
        grid = shared.grid
    return Batch(
        grid=grid, y=y2, w=w, valid=valid, all_valid=all_valid, sw=sw, ybar=ybar,
        syy=np.einsum("mn,mn->m", wyc, yc), wyc=wyc,
        n_valid=np.full(m, n) if all_valid else valid.sum(axis=1),
        absolute=s2 is not None, scalar=scalar, **axis,
    )


__all__ = ["UNIFORM_RTOL", "Batch", "Grid", "Scratch", "SharedTime", "build", "prepare",
           "sorted_by_time", "validate"]
