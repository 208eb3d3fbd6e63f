"""Bluefors log folders: the fridge computer's record of every thermometer channel.

The Bluefors control software writes one folder per day and one file per
channel and quantity (``T`` temperature in K, ``R`` resistance in ohm)::

    <root>/26-01-31/CH6 T 26-01-31.log       folder YY-MM-DD, file CH<n> <Q> YY-MM-DD.log
     31-01-26,00:00:47,1.021450E-02          line: DD-MM-YY,HH:MM:SS,value

Times are the fridge computer's local clock (``tz``, default UTC). This module
reads a time range of such files into numpy arrays (e.g. the temperatures
during a run, for its provenance). Missing days and lines that do not parse
(truncated writes, garbage) are skipped and counted, never fatal. Parsing is
one regular-expression pass per file plus vectorised numpy date arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import numpy as np

_LINE = re.compile(
    rb"^[ \t]*(\d\d)-(\d\d)-(\d\d),(\d\d):(\d\d):(\d\d),"
    rb"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[ \t]*\r?$", re.MULTILINE)
_NONBLANK = re.compile(rb"^[ \t]*\S", re.MULTILINE)


@dataclass(frozen=True)
class ChannelLog:
    """One channel's logged values in a time range.

    ``time``: UNIX time, s, sorted; ``value``: K for quantity ``T``, ohm for ``R``;
    ``skipped``: lines that did not parse; ``missing_days``: days (YY-MM-DD)
    in the range without a file.
    """

    channel: int
    quantity: str
    time: np.ndarray
    value: np.ndarray
    skipped: int = 0
    missing_days: tuple[str, ...] = ()


def day_name(day: date) -> str:
    """A day as Bluefors names folders and files: ``YY-MM-DD``."""
    return day.strftime("%y-%m-%d")


def log_path(root: str | Path, channel: int, day: date, quantity: str = "T") -> Path:
    """Where the controller writes ``quantity`` of ``channel`` on ``day``."""
    name = day_name(day)
    return Path(root) / name / f"CH{channel} {quantity} {name}.log"


def _local_offsets(seconds: np.ndarray, tz: tzinfo) -> np.ndarray:
    """UTC offset, s, of each local wall-clock time (one lookup per distinct hour)."""
    hours, inverse = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.array([tz.utcoffset(datetime(1970, 1, 1) + timedelta(hours=int(h)))
                        .total_seconds() for h in hours])
    return offsets[inverse]


def parse_log_bytes(data: bytes, tz: tzinfo = UTC) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse one log file's bytes: (UNIX times s, values, number of skipped lines)."""
    rows = _LINE.findall(data)
    nonblank = len(_NONBLANK.findall(data))
    if not rows:
        return np.empty(0), np.empty(0), nonblank
    table = np.array(rows, dtype=bytes)  # (m, 7) byte strings
    day, month, year, hour, minute, second = table[:, :6].astype(np.int64).T
    value = table[:, 6].astype(float)
    months = ((2000 + year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    valid = ((month >= 1) & (month <= 12) & (day >= 1) & (days.astype("datetime64[M]") == months)
             & (hour < 24) & (minute < 60) & (second < 60) & np.isfinite(value))
    local = days.astype(np.int64) * 86400 + hour * 3600 + minute * 60 + second
    local, value = local[valid], value[valid]
    offsets = _local_offsets(local, tz) if len(local) else np.empty(0)
    return local - offsets, value, nonblank - int(valid.sum())


def _as_timestamp(moment: float | datetime, tz: tzinfo) -> float:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()
    return float(moment)


def read_channel(root: str | Path, channel: int, start: float | datetime,
                 stop: float | datetime, quantity: str = "T", tz: tzinfo = UTC) -> ChannelLog:
    """Logged ``quantity`` of ``channel`` with start <= time <= stop.

    ``start``/``stop``: UNIX time, s, or datetimes (naive ones are in ``tz``).
    """
    t0, t1 = _as_timestamp(start, tz), _as_timestamp(stop, tz)
    first = datetime.fromtimestamp(t0, tz).date()
    last = datetime.fromtimestamp(max(t0, t1), tz).date()
    times, values, skipped, missing = [], [], 0, []
    for offset in range((last - first).days + 1):  # one file per day, not per point
        path = log_path(root, channel, first + timedelta(days=offset), quantity)
        try:
            data = path.read_bytes()
        except OSError:
            missing.append(day_name(first + timedelta(days=offset)))
            continue
        time, value, bad = parse_log_bytes(data, tz)
        times.append(time)
        values.append(value)
        skipped += bad
    time = np.concatenate(times) if times else np.empty(0)
    value = np.concatenate(values) if values else np.empty(0)
    order = np.argsort(time, kind="stable")
    time, value = time[order], value[order]
    inside = (time >= t0) & (time <= t1)
    return ChannelLog(channel, quantity, time[inside], value[inside], skipped, tuple(missing))


def read_stages(root: str | Path, channels: dict[str, int], start: float | datetime,
                stop: float | datetime, tz: tzinfo = UTC) -> dict[str, ChannelLog]:
    """Logged temperatures (K) of each stage (``stage -> channel``) in a time range."""
    return {stage: read_channel(root, channel, start, stop, "T", tz)
            for stage, channel in channels.items()}


__all__ = ["ChannelLog", "day_name", "log_path", "parse_log_bytes", "read_channel",
           "read_stages"]
