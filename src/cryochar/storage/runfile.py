"""HDF5 run files: one per run, written point by point, readable after a crash.

Layout (netCDF-4 compatible, opens with ``xarray.open_dataset(path,
engine="h5netcdf")``): dimension scales for ``point`` and every sweep axis;
per-point variables ``(point, ...)``; a ``completed`` flag per point.

Crash safety by construction: every dataset is contiguous and allocated in
full when the file is created (all planned points), so writing a point
changes raw data only, never HDF5 metadata. A point's data is written first,
its ``completed`` flag last, then the file is flushed: a SIGKILL at any moment
leaves a readable file in which every flagged point is complete. Resuming a
run fills the unflagged slots of the same file. Because metadata never changes
after creation, the writer takes no HDF5 file lock: a notebook may open a run
file while it is being written and sees every flagged point.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from cryochar.core.errors import StorageError
from cryochar.core.locks import lock_dir

POINT = "point"
COMPLETED = "completed"


@dataclass(frozen=True)
class Variable:
    """A per-point variable: shape ``(point, *dims)``."""

    name: str
    dims: tuple[str, ...] = ()
    dtype: str = "float64"
    units: str = ""
    long_name: str = ""


@dataclass(frozen=True)
class Layout:
    """What a run file holds: axes, per-point variables, and the plan."""

    points_planned: int
    variables: tuple[Variable, ...]
    axes: Mapping[str, tuple[np.ndarray, str]] = field(default_factory=dict)
    """Sweep axes (e.g. ``frequency``): name -> (values, units)."""
    plan: Mapping[str, tuple[np.ndarray, str]] = field(default_factory=dict)
    """Planned setpoints per point (e.g. ``power_dbm``): name -> (values, units)."""


def _attr(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | np.number):
        return value
    return json.dumps(value, default=str)


def _early_allocation() -> h5py.h5p.PropDCID:
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_ALLOC)
    return dcpl


class RunWriter:
    """Writes one run file. Use :meth:`create` for a new run, :meth:`reopen` to resume."""

    def __init__(self, path: Path, handle: h5py.File, lock: int | None = None):
        self.path = path
        self._file = handle
        self._completed = handle[COMPLETED]
        self._lock = lock

    @classmethod
    def create(cls, path: str | Path, layout: Layout, attrs: Mapping[str, Any]) -> RunWriter:
        """Create the file with every dataset allocated for ``layout.points_planned`` points."""
        path = Path(path)
        try:
            handle = h5py.File(path, "w", track_order=True, locking=False)
        except OSError as exc:
            raise StorageError(f"cannot create run file: {exc}", where=str(path),
                               fix="check the folder exists and is writable (--out)") from exc
        try:
            lock = lock_run_file(path)
        except StorageError:
            handle.close()
            raise
        try:
            _write_layout(handle, layout)
            for key, value in attrs.items():
                handle.attrs[key] = _attr(value)
            handle.attrs["points_planned"] = layout.points_planned
            handle.attrs["plan_variables"] = json.dumps(list(layout.plan))
            handle.flush()
        except Exception:
            handle.close()
            os.close(lock)
            raise
        return cls(path, handle, lock)

    @classmethod
    def reopen(cls, path: str | Path) -> RunWriter:
        """Open an existing run file to write its remaining points."""
        path = Path(path)
        lock = lock_run_file(path)
        try:
            handle = h5py.File(path, "r+", locking=False)
        except OSError as exc:
            os.close(lock)
            raise StorageError(f"cannot reopen run file: {exc}", where=str(path),
                               fix="check the file exists and is not open elsewhere") from exc
        return cls(path, handle, lock)

    @property
    def points_planned(self) -> int:
        """Number of planned points."""
        return int(self._completed.shape[0])

    def completed_points(self) -> np.ndarray:
        """Indices of the points already written completely."""
        return np.flatnonzero(self._completed[...])

    def write_point(self, index: int, values: Mapping[str, Any]) -> None:
        """Write one point's variables, then flag it complete and flush."""
        for name, value in values.items():
            try:
                dataset = self._file[name]
            except KeyError:
                raise StorageError(f"no variable {name!r} in the run layout",
                                   where=str(self.path)) from None
            dataset[index] = np.asarray(value, dtype=dataset.dtype)
        self._completed[index] = 1
        self._file.flush()

    def plan(self) -> dict[str, tuple[np.ndarray, str]]:
        """The planned setpoints stored at creation: name -> (values, units)."""
        names = json.loads(self._file.attrs.get("plan_variables", "[]"))
        return {name: (self._file[name][...], str(self._file[name].attrs.get("units", "")))
                for name in names}

    def check_layout(self, layout: Layout) -> None:
        """Raise :class:`StorageError` when ``layout`` does not fit this file (resume)."""
        n = self.points_planned
        for var in layout.variables:
            dataset = self._file.get(var.name)
            expected = (n, *(len(layout.axes[d][0]) for d in var.dims))
            if dataset is None or dataset.shape != expected:
                found = None if dataset is None else dataset.shape
                raise StorageError(
                    f"the run file's {var.name!r} has shape {found}, the instruments now give "
                    f"{expected}", where=str(self.path),
                    fix="resume with the same station and instrument settings")
        for name, (values, _units) in layout.axes.items():
            stored = self._file[name][...]
            if stored.dtype.kind in "fc" and not np.allclose(stored, values, rtol=1e-9):
                raise StorageError(f"the {name!r} axis differs from the run file's",
                                   where=str(self.path),
                                   fix="resume with the same instrument settings")

    def has_variable(self, name: str) -> bool:
        """True when the file holds a dataset called ``name``."""
        return name in self._file

    def read(self, name: str) -> np.ndarray:
        """A variable's values at the completed points (in point order)."""
        done = self.completed_points()
        return self._file[name][...][done] if done.size else self._file[name][:0]

    def set_attrs(self, **attrs: Any) -> None:
        """Set root attributes (provenance, status, results) and flush."""
        for key, value in attrs.items():
            self._file.attrs[key] = _attr(value)
        self._file.flush()

    def close(self) -> None:
        """Flush and close the file."""
        if self._file.id.valid:
            self._file.flush()
            self._file.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the writer's lock
            self._lock = None


def lock_run_file(path: str | Path) -> int:
    """Take the writer's lock of a run file: an exclusive ``flock`` on a lock file of its
    own in the lock folder (``CRYOCHAR_LOCK_DIR``), keyed by the file's device and inode,
    held by the returned descriptor (close it to release; the kernel drops it when the
    process dies).

    A run file has one writer at a time (the run, a resume, or a re-analysis writing
    its results back): HDF5 metadata written by two processes at once corrupts the
    file. The run file itself is not locked: HDF5 readers take a shared ``flock`` on
    it, and live readers (a notebook watching a run) must keep working. Raises
    :class:`StorageError` at once when another writer holds it.
    """
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise StorageError(f"cannot open run file: {exc.strerror or exc}", where=str(path),
                           fix="check the file exists") from exc
    lock = lock_dir() / f"runfile-{stat.st_dev}-{stat.st_ino}.lock"
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(descriptor)
        raise StorageError("the run file is being written by another process (a run, a "
                           "resume or a re-analysis)", where=str(path),
                           fix="wait for it to finish ('cryochar runs' shows it)") from exc
    return descriptor


def _write_layout(handle: h5py.File, layout: Layout) -> None:
    n = layout.points_planned
    point = handle.create_dataset(POINT, data=np.arange(n, dtype="int64"))
    point.make_scale(POINT)
    scales = {POINT: point}
    for name, (values, units) in layout.axes.items():
        values = np.asarray(values)
        if values.dtype.kind == "U":  # labels such as stage names: variable-length UTF-8
            axis = handle.create_dataset(name, data=values.astype(object),
                                         dtype=h5py.string_dtype())
        else:
            axis = handle.create_dataset(name, data=values)
        axis.make_scale(name)
        axis.attrs["units"] = units
        scales[name] = axis
    for name, (values, units) in layout.plan.items():
        planned = handle.create_dataset(name, data=np.asarray(values))
        planned.attrs["units"] = units
        planned.dims[0].attach_scale(point)
    variables = (*layout.variables, Variable(COMPLETED, dtype="uint8",
                                             long_name="1 when the point is complete"))
    for var in variables:
        shape = (n, *(len(scales[d]) for d in var.dims))
        dtype = np.dtype(var.dtype)
        fill = {"f": np.nan, "c": complex(np.nan, np.nan)}.get(dtype.kind, 0)
        data = handle.create_dataset(var.name, shape=shape, dtype=dtype, fillvalue=fill,
                                     dcpl=_early_allocation())
        if var.units:
            data.attrs["units"] = var.units
        if var.long_name:
            data.attrs["long_name"] = var.long_name
        for axis_index, dim in enumerate((POINT, *var.dims)):
            data.dims[axis_index].attach_scale(scales[dim])


def decode_attr(value: Any) -> Any:
    """A root attribute as Python: bytes to text, JSON objects/lists decoded, numpy
    scalars to Python scalars."""
    value = value.decode() if isinstance(value, bytes) else value
    if isinstance(value, str) and value[:1] in "{[":
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return value.item() if isinstance(value, np.generic) else value


def read_attrs(path: str | Path) -> dict[str, Any]:
    """Root attributes of a run file (JSON strings decoded)."""
    with h5py.File(path, "r") as handle:
        return {key: decode_attr(value) for key, value in handle.attrs.items()}


__all__ = ["COMPLETED", "POINT", "Layout", "RunWriter", "Variable", "decode_attr", "lock_run_file",
           "read_attrs"]
