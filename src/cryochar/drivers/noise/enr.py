"""Excess-noise-ratio (ENR) tables of noise diodes: reading the calibration files.

A calibration lab ships an ENR table with every 346-series diode, as CSV or
as a Keysight ``.enr`` text file. Both are read by :func:`parse_enr_text`:

* one data row per frequency: ``frequency, ENR dB[, uncertainty dB]``,
  separated by commas, semicolons, tabs or spaces;
* comment lines start with ``#``, ``!``, ``;`` or ``//``; blank lines are skipped;
* header lines before the data may name the frequency unit (``Frequency (GHz)``;
  Hz by default), and give ``Serial``/``Model`` either as ``key: value``,
  ``key,value`` or Keysight's bracketed ``[Serialnumber MY12345678]``,
  ``[Model 346C]`` (other bracketed lines such as ``[Filetype ENR]`` are ignored).

Frequencies must increase strictly, ENR values lie in 0..40 dB. Values between
table frequencies are interpolated linearly in dB (as noise-figure analysers
do); outside the table there is no value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

T0 = 290.0  # K, reference temperature of the ENR definition
_COMMENT = ("#", "!", ";", "//")
_UNITS = {"ghz": 1e9, "mhz": 1e6, "khz": 1e3, "hz": 1.0}
_SPLIT = re.compile(r"[,;\t ]+")
_BRACKET = re.compile(r"^\[\s*(\w+)\s+(.+?)\s*\]$")
_KEY_VALUE = re.compile(r"^\s*(serial(?:\s*number)?|serialnumber|model)\s*[:=,]\s*(.+)$", re.I)


@dataclass(frozen=True)
class EnrTable:
    """An ENR calibration: ``frequency`` Hz (increasing), ``enr_db`` dB, optional
    ``uncertainty_db`` dB (standard uncertainty as given), ``serial``, ``model``."""

    frequency: np.ndarray
    enr_db: np.ndarray
    uncertainty_db: np.ndarray | None = None
    serial: str | None = None
    model: str | None = None

    def enr(self, frequency: np.ndarray | float) -> np.ndarray:
        """ENR at ``frequency`` Hz, dB (linear interpolation in dB).

        Raises ``ValueError`` outside the calibrated range.
        """
        f = np.asarray(frequency, dtype=float)
        low, high = self.frequency[0], self.frequency[-1]
        if np.any((f < low) | (f > high)):
            raise ValueError(f"frequency outside the ENR table ({low:g} .. {high:g} Hz)")
        return np.interp(f, self.frequency, self.enr_db)

    def hot_temperature(self, frequency: np.ndarray | float) -> np.ndarray:
        """Noise temperature of the diode when on, K: ``T0 10^(ENR/10) + T0``."""
        return T0 * 10 ** (self.enr(frequency) / 10) + T0

    def as_dict(self) -> dict[float, float]:
        """Frequency -> ENR dB, for snapshots."""
        return {float(f): float(e) for f, e in zip(self.frequency, self.enr_db, strict=True)}


def table_from_mapping(mapping: dict[float, float], **meta: str | None) -> EnrTable:
    """An :class:`EnrTable` from ``{frequency Hz: ENR dB}`` (validated like a file)."""
    rows = sorted((float(f), float(e)) for f, e in mapping.items())
    return _table(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), None, meta,
                  "table")


def read_enr_file(path: str | Path) -> EnrTable:
    """Read an ENR table file (CSV or ``.enr`` text); raises ``ValueError`` naming the line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read ENR table {file}: {exc}") from exc
    return parse_enr_text(text, source=str(file))


def parse_enr_text(text: str, source: str = "ENR table") -> EnrTable:
    """Parse the text of an ENR table (format in the module docstring)."""
    meta: dict[str, str | None] = {"serial": None, "model": None}
    scale = 1.0
    rows: list[list[float]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(_COMMENT):
            continue
        values = _numbers(line)
        if values is not None:
            if len(values) not in (2, 3):
                raise ValueError(f"{source}:{number}: expected frequency, ENR[, uncertainty]")
            rows.append(values)
        elif rows:
            raise ValueError(f"{source}:{number}: text after the data: {line[:40]!r}")
        else:
            scale = _header(line, meta, scale)
    if not rows:
        raise ValueError(f"{source}: no data rows (frequency, ENR dB)")
    data = np.array([r[:2] for r in rows])
    uncertainty = (np.array([r[2] for r in rows]) if all(len(r) == 3 for r in rows) else None)
    return _table(data[:, 0] * scale, data[:, 1], uncertainty, meta, source)


def _numbers(line: str) -> list[float] | None:
    tokens = [t for t in _SPLIT.split(line) if t]
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def _header(line: str, meta: dict[str, str | None], scale: float) -> float:
    bracket = _BRACKET.match(line)
    key_value = _KEY_VALUE.match(line)
    if bracket:
        key, value = bracket.group(1).lower(), bracket.group(2)
        if key.startswith("serial"):
            meta["serial"] = value
        elif key == "model":
            meta["model"] = value
    elif key_value:
        key = "serial" if key_value.group(1).lower().startswith("serial") else "model"
        meta[key] = key_value.group(2).strip().strip("\"'")
    else:
        for unit, factor in _UNITS.items():  # longest first: GHz before Hz
            if re.search(rf"\b{unit}\b", line, re.I):
                return factor
    return scale


def _table(frequency: np.ndarray, enr_db: np.ndarray, uncertainty: np.ndarray | None,
           meta: dict[str, str | None], source: str) -> EnrTable:
    if np.any(frequency <= 0) or np.any(np.diff(frequency) <= 0):
        raise ValueError(f"{source}: frequencies must be positive and strictly increasing")
    if np.any((enr_db < 0) | (enr_db > 40)):
        raise ValueError(f"{source}: ENR values must lie in 0..40 dB")
    return EnrTable(frequency, enr_db, uncertainty, meta.get("serial"), meta.get("model"))


__all__ = ["T0", "EnrTable", "parse_enr_text", "read_enr_file", "table_from_mapping"]
