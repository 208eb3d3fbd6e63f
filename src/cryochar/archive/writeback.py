"""Recording a re-analysis: new results and an audit trail in the run file's root attributes.

Only two root attributes change: ``results`` is replaced and
``analysis_history`` (a JSON list) gains one entry per re-analysis with the
UTC time, the cryochar version, the scheduler and the SHA-256 of the previous
and the new ``results`` text (so the chain of results is checkable). The raw
datasets are never written. The history entry is written first: a crash in
between leaves an entry whose ``previous_results_sha256`` still matches the
results in the file, i.e. a visibly unfinished re-analysis, never new results
without a record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py

from cryochar import __version__
from cryochar.core import provenance
from cryochar.core.errors import StorageError
from cryochar.storage.runfile import decode_attr, lock_run_file

HISTORY = "analysis_history"
RESULTS = "results"


def sha256(text: str | None) -> str | None:
    """Hex SHA-256 of ``text`` (UTF-8), None when there is none."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def results_text(results: dict[str, Any]) -> str:
    """``results`` as the run file stores them (JSON, as the run writer encodes them)."""
    return json.dumps(results, default=str)


def write_back(path: str | Path, results: dict[str, Any], record: dict[str, Any]) -> str | None:
    """Replace the run file's ``results`` and append to its ``analysis_history``
    (``record``: extra fields of the entry, e.g. the scheduler). Returns the
    previous ``results`` text (None when the file had none)."""
    text = results_text(results)
    try:
        # the run writer's convention: no HDF5 file lock (a notebook may hold the file open);
        # the writer's flock keeps a run, a resume and other re-analyses out meanwhile
        with _exclusive(path), h5py.File(path, "r+", locking=False) as handle:
            previous = handle.attrs.get(RESULTS)
            previous = previous.decode() if isinstance(previous, bytes) else previous
            history = decode_attr(handle.attrs[HISTORY]) if HISTORY in handle.attrs else []
            entry = {"time": provenance.utc_now(), "cryochar_version": __version__,
                     "previous_results_sha256": sha256(previous), "results_sha256": sha256(text),
                     **record}
            handle.attrs[HISTORY] = json.dumps([*history, entry], default=str)
            handle.attrs[RESULTS] = text
            handle.flush()
    except OSError as exc:
        raise StorageError(f"cannot record the re-analysis: {exc}", where=str(path),
                           fix="check the run file is writable") from exc
    return previous


@contextlib.contextmanager
def _exclusive(path: str | Path) -> Iterator[None]:
    """The run file's writer lock for the duration (StorageError when a run, a resume or
    another re-analysis is writing it)."""
    descriptor = lock_run_file(path)
    try:
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def analysis_history(path: str | Path) -> list[dict[str, Any]]:
    """The run file's re-analysis history (empty when never re-analysed)."""
    with h5py.File(path, "r") as handle:
        return decode_attr(handle.attrs[HISTORY]) if HISTORY in handle.attrs else []


__all__ = ["HISTORY", "analysis_history", "results_text", "sha256", "write_back"]
