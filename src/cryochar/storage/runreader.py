"""Reading a finished run file, read-only: the input of a re-analysis.

:class:`RunReader` gives the same view of the completed points as the
:class:`~cryochar.storage.RunWriter` a sequence summarises at the end of its
run (``read(name)``, ``completed_points()``), plus the sweep axes (stage
names, frequencies) and the root attributes (provenance: parameters, station
snapshot, recipe), so a sequence can rebuild its summary from the file alone.
The file is opened with HDF5 read-only access: nothing in it can change.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from cryochar.core.errors import StorageError
from cryochar.storage.runfile import COMPLETED, decode_attr


class RunReader:
    """A run file opened read-only; use as a context manager (closes the file)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._file = h5py.File(self.path, "r")
        except (OSError, ValueError) as exc:
            raise StorageError(f"cannot open run file: {exc}", where=str(self.path),
                               fix="check the file exists and is a cryochar run file") from exc
        if COMPLETED not in self._file:
            self._file.close()
            raise StorageError("not a cryochar run file (no 'completed' flags)",
                               where=str(self.path), fix="give a file written by cryochar")
        self._done: np.ndarray | None = None

    def __enter__(self) -> RunReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        if self._file.id.valid:
            self._file.close()

    def completed_points(self) -> np.ndarray:
        """Indices of the points written completely."""
        if self._done is None:
            self._done = np.flatnonzero(self._file[COMPLETED][...])
        return self._done

    def has_variable(self, name: str) -> bool:
        """True when the file holds a dataset called ``name``."""
        return name in self._file

    def read(self, name: str) -> np.ndarray:
        """A variable's values at the completed points (in point order), exactly as
        :meth:`RunWriter.read` returns them."""
        dataset = self._dataset(name)
        done = self.completed_points()
        return dataset[...][done] if done.size else dataset[:0]

    def axis(self, name: str) -> np.ndarray:
        """A sweep axis (``frequency`` in Hz, ``stage`` names...); labels as ``str``."""
        dataset = self._dataset(name)
        if h5py.check_string_dtype(dataset.dtype) is not None:
            return np.array(dataset.asstr()[...], dtype=str)
        return dataset[...]

    def attr(self, name: str, default: Any = None) -> Any:
        """One root attribute, decoded (``default`` when absent)."""
        if name not in self._file.attrs:
            return default
        return decode_attr(self._file.attrs[name])

    @property
    def attrs(self) -> dict[str, Any]:
        """Every root attribute, decoded."""
        return {key: decode_attr(value) for key, value in self._file.attrs.items()}

    def _dataset(self, name: str) -> h5py.Dataset:
        try:
            return self._file[name]
        except KeyError:
            raise StorageError(f"no variable {name!r} in the run file", where=str(self.path),
                               fix="re-analyse with the cryochar version that wrote the run"
                               ) from None


__all__ = ["RunReader", "decode_attr"]
