"""Staged fits of one-rate models (:attr:`.models.Model.one_rate`) over many traces.

A one-rate fit touches the data only twice (:mod:`.exponential`): once for
the Taylor moments at the start, once for the residuals at the optimum.
Everything in between works on a few numbers per trace. The fit is
therefore split into stages:

1. per block of :data:`~.pipeline.CHUNK` traces: weights
   (:func:`.data.build`), start value, moments at the start;
2. all traces of a super-block at once: Taylor model and its minimisation
   (re-evaluating, block by block, only the rare traces whose minimum is not
   settled);
3. per block: basis column at the optimum, residual chi-square and runs
   test;
4. all traces of the super-block at once: covariance, profile interval on
   the Taylor polynomial (evaluating the data again only where it is not
   accurate enough), flags.

Stages 1 and 3 are a few large array operations per block; stages 2 and 4
are many small operations, done once per super-block of up to
:data:`SUPER` traces instead of once per block. With several threads
(:func:`fit_groups`) each thread fits one contiguous group of traces through
all four stages (numpy releases the GIL inside its array loops): measured on
two cores with 20000 T1 traces, a median 22.8 ms against 28.1 ms for block
stages on a pool with the per-trace stages in one thread. Per-trace results
do not depend on the blocking, the grouping or the number of threads.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.analysis.coherence import rate_profile
from cryochar.analysis.coherence.data import Batch, Scratch, SharedTime, build, sorted_by_time
from cryochar.analysis.coherence.diagnostics import runs_z
from cryochar.analysis.coherence.exponential import (
    ORDER,
    Model,
    Sums,
    descend,
    evaluate,
    solution,
)

#: Most traces per super-block (traces are cut into equal super-blocks):
#: the per-trace stages work on this many at once. Fewer, longer numpy calls
#: outweigh the larger working set (measured), but beyond 16384 traces every
#: per-trace temporary exceeds glibc's initial 128 kB mmap threshold: where
#: that threshold is fixed (``MALLOC_MMAP_THRESHOLD_``) each is a fresh
#: mapping, faulted in page by page (20000 traces, one core, threshold fixed:
#: 3.2x the usual time in one super-block, 2.0x in two).
SUPER = 16384


@dataclass(eq=False)
class Meta:
    """The per-trace batch fields :func:`.pipeline.finish` needs, for a super-block."""

    m: int
    n_valid: np.ndarray
    absolute: bool
    syy: np.ndarray
    t_scale: np.ndarray
    span: np.ndarray
    dt_min: np.ndarray
    dt_med: np.ndarray

    @classmethod
    def of(cls, parts: list[Part]) -> Meta:
        fields = {f: np.concatenate([getattr(p, f) for p in parts])
                  for f in ("n_valid", "syy", "t_scale", "span", "dt_min", "dt_med")}
        return cls(m=fields["syy"].size, absolute=parts[0].absolute, **fields)


@dataclass(eq=False)
class Part:
    """A block after stage 1: per-trace numbers only, no ``(m, n)`` array (they
    are rebuilt from the inputs when needed), except the whole batch where
    some point is invalid."""

    rows: slice
    tau: np.ndarray
    batch: Batch | None
    absolute: bool
    n_valid: np.ndarray
    syy: np.ndarray
    t_scale: np.ndarray
    span: np.ndarray
    dt_min: np.ndarray
    dt_med: np.ndarray
    sw: np.ndarray
    ybar: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    start: np.ndarray
    moments: tuple[np.ndarray, np.ndarray, np.ndarray]


def _build(job: Job, rows: slice | np.ndarray, scratch: Scratch | None = None) -> Batch:
    t2 = job.t2 if job.t2.shape[0] == 1 else job.t2[rows]
    return build(t2, job.y2[rows], None if job.s2 is None else job.s2[rows], job.scalar,
                 scratch, job.shared)


def _prepare(job: Job, rows: slice) -> Part:
    """Stage 1 for the traces ``rows``: batch, bounds, start, moments."""
    part_model = job.model.block(rows, job.y2.shape[0])
    scratch = job.scratch()
    batch = _build(job, rows, scratch)
    lo, hi = part_model.bounds(batch)
    start = np.clip(part_model.guess(batch), lo, hi)
    moments = Sums.of(batch).moments(start[:, 0], ORDER, scratch)
    keep = None if batch.all_valid else batch
    return Part(rows, batch.tau, keep, batch.absolute, batch.n_valid, batch.syy, batch.t_scale,
                batch.span, batch.dt_min, batch.dt_med, batch.sw, batch.ybar, lo, hi, start,
                moments)


def _residuals(job: Job, part: Part, k, amplitude, offset):
    """Stage 3 for one block: residual chi-square and runs-test score (the
    same arithmetic whether or not the block has invalid points)."""
    batch = part.batch
    y = job.y2[part.rows] if batch is None else batch.y
    scratch = job.scratch()
    x = np.multiply(np.negative(k)[:, None], part.tau, out=scratch.take("r", y.shape))
    r = np.exp(x, out=x)
    r *= -amplitude[:, None]
    r += y
    r -= offset[:, None]
    q = r
    if job.s2 is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.divide(r, job.s2[part.rows], out=scratch.take("q", y.shape))
    if batch is not None:
        q = np.where(batch.valid, q, 0.0)
    chi2 = np.einsum("mn,mn->m", q, q)
    return chi2, runs_z(r, None if batch is None else batch.valid, batch is None)


class Blocks:
    """The blocks of a super-block, for (rare) further work on some traces,
    given by super-block indices; their data are rebuilt from the inputs."""

    def __init__(self, job: Job, parts: list[Part]):
        self.job, self.parts = job, parts
        self.starts = np.cumsum([0] + [p.sw.size for p in parts])
        self._cache: dict[int, tuple[np.ndarray, Sums]] = {}

    def _rebuilt(self, b: int, local: np.ndarray) -> Sums:
        """The sums of rows ``local`` of block ``b``, rebuilt from the inputs
        (the rows rebuilt last are kept: later requests are mostly subsets)."""
        part = self.parts[b]
        if part.batch is not None:
            return Sums.of(part.batch).rows(local)
        rows, sums = self._cache.get(b, (np.empty(0, int), None))
        if not np.isin(local, rows).all():
            rows = np.union1d(rows, local)
            if rows.size > part.sw.size // 8:  # many: rebuild the whole block once
                rows = np.arange(part.sw.size)
            sums = Sums.of(_build(self.job, rows + part.rows.start))
            self._cache[b] = (rows, sums)
        return sums.rows(np.searchsorted(rows, local))

    def _sums(self, idx: np.ndarray):
        """``(Sums, pos)`` per block for the traces ``idx``."""
        block = np.searchsorted(self.starts, idx, side="right") - 1
        for b in np.unique(block):
            pos = np.flatnonzero(block == b)
            yield self._rebuilt(b, idx[pos] - self.starts[b]), pos

    def model_at(self, idx: np.ndarray, k: np.ndarray) -> Model:
        """Taylor models of traces ``idx`` at rates ``k``."""
        S, Q, H = (np.empty((ORDER + 1, idx.size)) for _ in range(3))
        sw, syy = np.empty(idx.size), np.empty(idx.size)
        for d, pos in self._sums(idx):
            S[:, pos], Q[:, pos], H[:, pos] = d.moments(k[pos], ORDER)
            sw[pos], syy[pos] = d.sw, d.syy
        return Model.from_moments(k, S, Q, H, sw, syy)

    def evaluate(self, idx: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """chi2 and dchi2/dk of traces ``idx`` at rates ``k``."""
        chi2, d1 = np.empty(idx.size), np.empty(idx.size)
        for d, pos in self._sums(idx):
            chi2[pos], d1[pos] = evaluate(d, k[pos])
        return chi2, d1


def _limits(sol, blocks: Blocks, lo, hi) -> Callable:
    def limits(sel: np.ndarray, se: np.ndarray, crit: np.ndarray):
        part = sol if sel.size == sol.chi2.size else rate_profile.subset(sol, sel)
        return rate_profile.profile_interval(part, crit, se, lo[sel, 0], hi[sel, 0],
                                             lambda idx, k: blocks.evaluate(sel[idx], k),
                                             lambda idx, k: blocks.model_at(sel[idx], k))
    return limits


def _equal_parts(rows: slice, most: int) -> list[slice]:
    """``rows`` cut into the fewest equal parts of at most ``most`` traces."""
    size = rows.stop - rows.start
    if size <= 0:
        return []
    step = -(-size // -(-size // most))
    return [slice(i, min(i + step, rows.stop)) for i in range(rows.start, rows.stop, step)]


@dataclass(eq=False)
class Job:
    """A fit's fixed inputs (validated arrays and settings); on construction
    the points of every trace are put in time order, once for all blocks
    (the residual stage reads the inputs)."""

    model: Any
    t2: np.ndarray
    y2: np.ndarray
    s2: np.ndarray | None
    scalar: bool
    level: float
    max_iter: int
    profile: bool
    chunk: int

    def __post_init__(self) -> None:
        self._local = threading.local()
        self.t2, self.y2, self.s2 = sorted_by_time(self.t2, self.y2, self.s2)
        self.shared = SharedTime.of(self.t2)

    def scratch(self) -> Scratch:
        """This thread's scratch buffers (kept for the fit's duration)."""
        if not hasattr(self._local, "scratch"):
            self._local.scratch = Scratch()
        return self._local.scratch

    def stage1(self, rows: slice) -> list[Part]:
        """Batches, start values and moments of the blocks of ``rows``."""
        return [_prepare(self, sl) for sl in _equal_parts(rows, self.chunk)]

    def stage2(self, parts: list[Part]) -> dict[str, Any]:
        """Taylor model and its minimisation for a super-block."""
        lo, hi, theta = (np.concatenate([getattr(p, f) for p in parts])
                         for f in ("lo", "hi", "start"))
        S, Q, H = (np.concatenate([p.moments[i] for p in parts], axis=1) for i in range(3))
        sw, syy, ybar = (np.concatenate([getattr(p, f) for p in parts])
                         for f in ("sw", "syy", "ybar"))
        work = Blocks(self, parts)
        fitted = descend(Model.from_moments(theta[:, 0].copy(), S, Q, H, sw, syy), lo[:, 0],
                         hi[:, 0], syy, self.max_iter, work.model_at)
        sol = solution(*fitted, sw, syy, ybar)
        theta[:, 0] = sol.theta[:, 0]
        sol.theta = theta
        return {"work": work, "sol": sol, "lo": lo, "hi": hi}

    def stage3(self, ctx: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Residual chi-square and runs-test score, block by block."""
        work, sol = ctx["work"], ctx["sol"]
        out = []
        for b, part in enumerate(work.parts):
            rows = slice(work.starts[b], work.starts[b + 1])
            out.append(_residuals(self, part, sol.theta[rows, 0], sol.coef[rows, 0],
                                  sol.offset[rows]))
        return out

    def stage4(self, ctx: dict[str, Any], stats: list) -> dict[str, Any]:
        """Covariance, interval and flags for a super-block."""
        from cryochar.analysis.coherence.pipeline import finish

        work, sol, lo, hi = ctx["work"], ctx["sol"], ctx["lo"], ctx["hi"]
        chi2, z = (np.concatenate([st[i] for st in stats]) for i in range(2))
        return finish(self.model, Meta.of(work.parts), sol, chi2, z, lo, hi, self.level,
                      self.profile, _limits(sol, work, lo, hi))


def fit_all(job: Job, rows: slice | None = None) -> list[dict[str, Any]]:
    """Fit the traces ``rows`` (default: all) in this thread, super-block by
    super-block; one result dictionary per super-block."""
    rows = slice(0, job.y2.shape[0]) if rows is None else rows
    results = []
    for sub in _equal_parts(rows, SUPER):
        ctx = job.stage2(job.stage1(sub))
        results.append(job.stage4(ctx, job.stage3(ctx)))
    return results


def fit_groups(job: Job, pool: Executor, groups: int) -> list[dict[str, Any]]:
    """Fit every trace as ``groups`` contiguous, equal groups of traces, each
    by :func:`fit_all` in a thread of ``pool``; results in trace order."""
    n = job.y2.shape[0]
    edges = [n * i // groups for i in range(groups + 1)]
    parts = [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]
    return [r for group in pool.map(lambda rows: fit_all(job, rows), parts) for r in group]


__all__ = ["SUPER", "Blocks", "Job", "Meta", "Part", "fit_all", "fit_groups"]
