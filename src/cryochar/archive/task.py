"""The unit of work of ``cryochar analyze``: one run file re-analysed, in a worker.

:func:`reanalyse_file` is a pure function of its arguments (the file is opened
read-only and nothing else is touched), defined at module level so Dask pickles
it by reference for local process pools and remote workers alike. Workers must
import the same cryochar and see the run files at the same paths.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from cryochar import sequences
from cryochar.core.errors import CryocharError
from cryochar.core.yamlio import validate
from cryochar.storage.runreader import RunReader


def reanalyse_file(path: str, sequence: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """New summary results of the run file at ``path``, from the sequence's own
    :meth:`~cryochar.sequences.base.Sequence.reanalyse` and the run's ``parameters``
    (as stored in the file); JSON-normalised as the run file stores them."""
    cls = sequences.load(sequence, where=f"{path}: sequence")
    params = validate(cls.Parameters, parameters, source=path, prefix="parameters")
    with RunReader(path) as run:
        results = cls.reanalyse(params, run)
    return normalised(results)


def normalised(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` after the JSON round trip the run file and catalog apply to them."""
    return json.loads(json.dumps(results, default=str))


@dataclass(frozen=True)
class TaskOutcome:
    """What a worker sends back: the results, or why there are none; seconds spent."""

    results: dict[str, Any] | None
    error: str | None
    seconds: float


def attempt(path: str, sequence: str, parameters: dict[str, Any]) -> TaskOutcome:
    """:func:`reanalyse_file`, with a failure returned rather than raised, so one bad run
    does not cancel the others' results in a Dask computation."""
    start = time.perf_counter()
    try:
        results = reanalyse_file(path, sequence, parameters)
    except CryocharError as exc:
        return TaskOutcome(None, exc.one_line(), time.perf_counter() - start)
    except Exception as exc:  # a bug or bad data in one run: reported with that run
        return TaskOutcome(None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
    return TaskOutcome(results, None, time.perf_counter() - start)


__all__ = ["TaskOutcome", "attempt", "normalised", "reanalyse_file"]
