"""Staged fits of one-rate models (:attr:`.models.Model.one_rate`) over many traces.

A one-rate fit touches the data only twice (:mod:`.exponential`): once for
the Taylor moments at the start, once for the residuals at the optimum.
Everything in between works on a few numbers per trace. The fit is
therefore split into stages:

1. per block of :data:`~.pipeline.CHUNK` traces (thread pool): weights
   (:func:`.data.build`), start value, moments at the start;
2. all traces of a super-block at once: Taylor model and its minimisation
   (re-evaluating, block by block, only the rare traces whose minimum is not
   settled);
3. per block (thread pool): basis column at the optimum, residual
   chi-square and runs test;
4. all traces at once: covariance, profile interval on the Taylor polynomial
   (evaluating the data again only where it is not accurate enough), flags.

Stages 1 and 3 are a few large array operations per block, which release
the GIL; stages 2 and 4 are many small operations, done once per super-block
of up to :data:`SUPER` traces, in the calling thread, instead of once per
block: small operations in several threads mostly wait for the GIL.
Per-trace results do not depend on the blocking or the number of threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryochar.analysis.coherence import rate_profile
from cryochar.analysis.coherence.data import Batch, Scratch, build
from cryochar.analysis.coherence.diagnostics import runs_z
from cryochar.analysis.coherence.exponential import (
    ORDER,
    Model,
    Sums,
    descend,
    evaluate,
    solution,
)

#: Traces per super-block: the per-trace stages work on this many at once
#: (measured: fewer, longer numpy calls outweigh the larger working set).
SUPER = 32768


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
                 scratch)


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
    x = np.multiply(k[:, None], part.tau, out=scratch.take("r", y.shape))
    r = np.exp(np.negative(x, out=x), out=x)
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


class _Done:
    """A finished computation with the :class:`concurrent.futures.Future` interface."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _submit(pool, fn, *args):
    return _Done(fn(*args)) if pool is None else pool.submit(fn, *args)


@dataclass(eq=False)
class Job:
    """A fit's fixed inputs (validated arrays and settings)."""

    model: Any
    t2: np.ndarray
    y2: np.ndarray
    s2: np.ndarray | None
    scalar: bool
    level: float
    max_iter: int
    profile: bool
    chunk: int
    threads: int = 1

    def __post_init__(self) -> None:
        self._local = threading.local()

    def scratch(self) -> Scratch:
        """This thread's scratch buffers (kept for the fit's duration)."""
        if not hasattr(self._local, "scratch"):
            self._local.scratch = Scratch()
        return self._local.scratch

    def blocks(self, rows: slice) -> list[slice]:
        """Equal blocks of at most ``chunk`` traces, a multiple of ``threads`` of them."""
        size = rows.stop - rows.start
        count = -(-size // self.chunk)
        count = -(-count // self.threads) * self.threads
        step = -(-size // count)
        return [slice(i, min(i + step, rows.stop)) for i in range(rows.start, rows.stop, step)]

    def stage1(self, pool, rows: slice) -> list:
        return [_submit(pool, _prepare, self, sl) for sl in self.blocks(rows)]

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

    def stage3(self, pool, ctx: dict[str, Any]) -> list:
        work, sol = ctx["work"], ctx["sol"]
        out = []
        for b, part in enumerate(work.parts):
            rows = slice(work.starts[b], work.starts[b + 1])
            out.append(_submit(pool, _residuals, self, part, sol.theta[rows, 0],
                               sol.coef[rows, 0], sol.offset[rows]))
        return out

    def stage4(self, ctx: dict[str, Any], stats: list) -> dict[str, Any]:
        """Covariance, interval and flags for a super-block."""
        from cryochar.analysis.coherence.pipeline import finish

        work, sol, lo, hi = ctx["work"], ctx["sol"], ctx["lo"], ctx["hi"]
        chi2, z = (np.concatenate([f.result()[i] for f in stats]) for i in range(2))
        return finish(self.model, Meta.of(work.parts), sol, chi2, z, lo, hi, self.level,
                      self.profile, _limits(sol, work, lo, hi))


def fit_all(job: Job, pool) -> list[dict[str, Any]]:
    """Fit every trace, super-block by super-block. The block stages (1, 3)
    run on the pool; the per-trace stages (2, 4) in the calling thread, alone:
    overlapping them with block work makes every thread wait for the GIL
    after each of the many small operations."""
    n = job.y2.shape[0]
    results = []
    for start in range(0, n, SUPER):
        rows = slice(start, min(start + SUPER, n))
        ctx = job.stage2([f.result() for f in job.stage1(pool, rows)])
        results.append(job.stage4(ctx, job.stage3(pool, ctx)))
    return results


__all__ = ["SUPER", "Blocks", "Job", "Meta", "Part", "fit_all"]
