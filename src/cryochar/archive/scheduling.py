"""Where the re-analysis tasks run: in this process, a local process pool, or a Dask cluster.

Default (``scheduler=None`` or ``"processes"``): Dask's multiprocessing scheduler,
a pool of worker processes on this machine. Chosen over a
``distributed.LocalCluster`` because it starts no scheduler, nannies, TCP
comms or dashboard (a two-worker LocalCluster takes about 3 s to start and run
a first task on a 2-core machine), which would dominate a query of a few runs.
Much of an analysis is Python-level (fit iterations, time-series statistics)
and holds the GIL, hence processes, not threads.

Start-up is what matters for small queries, so on Linux the workers are forked
when this process runs no other thread (the command line): they inherit the
sequence modules the driver has already imported and start in milliseconds;
7 mixed runs took 0.6 s, against 4.5 s with spawned workers that import numpy,
scipy and cryochar afresh. Otherwise (a notebook's kernel threads: forking a
threaded process can deadlock) they are spawned. With one task or one worker
there is nothing to parallelise and the tasks run here without a pool
(``"synchronous"``, also selectable, e.g. to debug).

``"tcp://host:port"`` (any ``scheme://`` address) sends the tasks to that Dask
scheduler through :class:`distributed.Client`; its workers must import the same
cryochar and see the run files at the same paths.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryochar.archive.task import TaskOutcome, attempt
from cryochar.core.errors import ConfigError
from cryochar.core.suggest import suggestion

SYNCHRONOUS = "synchronous"
PROCESSES = "processes"
LOCAL = (PROCESSES, SYNCHRONOUS)
Job = tuple[str, str, dict[str, Any]]
"""(run file path, sequence name, stored parameters): the arguments of :func:`attempt`."""


@dataclass(frozen=True)
class Scheduler:
    """A resolved choice: ``name`` (``processes``, ``synchronous`` or a cluster address)
    and, for the local pool, its number of worker processes."""

    name: str
    workers: int | None = None

    @property
    def remote(self) -> bool:
        """True for a Dask cluster reached by address."""
        return "://" in self.name

    def describe(self) -> dict[str, Any]:
        """What the run file's analysis history records."""
        return {"scheduler": self.name, **({"workers": self.workers} if self.workers else {})}


def resolve(scheduler: str | None, workers: int | None, tasks: int) -> Scheduler:
    """Check the user's choice; size the local pool for ``tasks`` tasks."""
    name = scheduler or PROCESSES
    if "://" in name:
        if workers is not None:
            raise ConfigError("--workers sizes the local process pool; a cluster has its own "
                              "workers", where=f"--scheduler {name}",
                              fix="drop --workers, or drop --scheduler to run locally")
        return Scheduler(name)
    if name not in LOCAL:
        raise ConfigError(f"unknown scheduler {name!r}", where=f"--scheduler {name}",
                          fix=suggestion(name, [*LOCAL, "tcp://HOST:PORT"],
                                         listing="processes, synchronous or tcp://HOST:PORT"))
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {workers}",
                          where="--workers", fix="give a positive number of processes")
    count = min(workers or local_cores(), tasks)
    if name == SYNCHRONOUS or count <= 1:
        return Scheduler(SYNCHRONOUS)
    return Scheduler(PROCESSES, count)


def local_cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(jobs: Sequence[Job], scheduler: Scheduler) -> list[TaskOutcome]:
    """Every job's outcome, in the order of ``jobs``."""
    if not jobs:
        return []
    if scheduler.name == SYNCHRONOUS:
        return [attempt(*job) for job in jobs]
    import dask

    tasks = [dask.delayed(attempt, pure=False)(*job) for job in jobs]
    if scheduler.remote:
        return _on_cluster(tasks, scheduler.name)
    workers = scheduler.workers or 1
    # a few batches per worker: small batches balance a short query across the
    # pool, bigger ones save round trips on a large archive
    chunk = max(1, min(8, len(tasks) // (4 * workers)))
    with dask.config.set({"multiprocessing.context": start_method(),
                          "multiprocessing.initializer": one_blas_thread}):
        return list(dask.compute(*tasks, scheduler="processes", num_workers=workers,
                                 chunksize=chunk))


def one_blas_thread() -> None:
    """Worker initialiser: one BLAS thread in this process (numpy's and scipy's OpenBLAS).

    Each worker already has a core; a BLAS thread pool per worker on top oversubscribes
    them (OpenBLAS threads spin while they wait): with 2 workers on 2 cores a coherence
    re-fit took 120 ms instead of 18 ms. (distributed's nannies do the same through
    OMP/OPENBLAS_NUM_THREADS, which a forked worker would ignore: its BLAS is loaded.)
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def start_method() -> str:
    """``fork`` where it is safe and fast (Linux, no other thread here), else ``spawn``."""
    forkable = sys.platform.startswith("linux") and threading.active_count() == 1
    return "fork" if forkable else "spawn"


def _on_cluster(tasks: list[Any], address: str) -> list[TaskOutcome]:
    import dask
    from distributed import Client

    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler: {exc}", where=address,
                          fix="start it (e.g. 'dask scheduler') and check the address, or "
                          "omit --scheduler to use local processes") from exc
    with client:
        return list(dask.compute(*tasks, scheduler=client))


__all__ = ["PROCESSES", "SYNCHRONOUS", "Job", "Scheduler", "local_cores", "one_blas_thread",
           "resolve", "run", "start_method"]
