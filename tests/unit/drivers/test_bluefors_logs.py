"""Reading Bluefors log folders: layout, time ranges, missing days, garbage lines.

``write_logs`` writes folders the way the Bluefors control software does (a
``YY-MM-DD`` folder per day, ``CH<n> T YY-MM-DD.log`` files, lines
``DD-MM-YY,HH:MM:SS,1.234560E-02`` in the fridge computer's local time).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cryochar.drivers.fridge.bluefors_logs import (
    ChannelLog,
    log_path,
    parse_log_bytes,
    read_channel,
    read_stages,
)

T0 = datetime(2026, 1, 30, 22, 0, tzinfo=UTC).timestamp()


def write_logs(root: Path, channel: int, times: np.ndarray, values: np.ndarray,
               quantity: str = "T", tz=UTC) -> None:
    """Append ``values`` at UNIX ``times`` to the day files of ``channel``."""
    for t, value in zip(times, values, strict=True):
        local = datetime.fromtimestamp(float(t), tz)
        path = log_path(root, channel, local.date(), quantity)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="ascii") as handle:
            handle.write(f" {local:%d-%m-%y,%H:%M:%S},{value:.6E}\n")


@pytest.fixture
def three_days(tmp_path: Path) -> Path:
    """Channel 6 every minute from 22:00 on 30 Jan 2026 for 50 h; channel 2 every 10 min."""
    minutes = np.arange(50 * 60)
    write_logs(tmp_path, 6, T0 + 60.0 * minutes, 0.010 + 1e-6 * minutes)
    write_logs(tmp_path, 2, T0 + 600.0 * minutes[:300], np.full(300, 3.5))
    return tmp_path


def test_the_layout_is_one_folder_per_day(three_days: Path):
    assert sorted(p.name for p in three_days.iterdir()) == ["26-01-30", "26-01-31", "26-02-01"]
    assert (three_days / "26-01-31" / "CH6 T 26-01-31.log").is_file()
    first = (three_days / "26-01-30" / "CH6 T 26-01-30.log").read_text().splitlines()[0]
    assert first == " 30-01-26,22:00:00,1.000000E-02"
    assert log_path("x", 6, date(2026, 2, 1), "R") == Path("x/26-02-01/CH6 R 26-02-01.log")


def test_a_range_across_midnight_is_read_from_both_days(three_days: Path):
    log = read_channel(three_days, 6, T0 + 3600, T0 + 3 * 3600)  # 23:00 .. 01:00
    assert isinstance(log, ChannelLog)
    assert (log.channel, log.quantity, log.skipped, log.missing_days) == (6, "T", 0, ())
    np.testing.assert_array_equal(log.time, T0 + 60.0 * np.arange(60, 181))
    np.testing.assert_allclose(log.value, 0.010 + 1e-6 * np.arange(60, 181), rtol=1e-6)


def test_datetimes_and_timestamps_select_the_same_range(three_days: Path):
    start = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    by_datetime = read_channel(three_days, 6, start, start + timedelta(minutes=30))
    by_number = read_channel(three_days, 6, start.timestamp(), start.timestamp() + 1800)
    np.testing.assert_array_equal(by_datetime.time, by_number.time)
    assert len(by_datetime.time) == 31
    naive = read_channel(three_days, 6, start.replace(tzinfo=None),
                         start.replace(tzinfo=None) + timedelta(minutes=30))
    np.testing.assert_array_equal(naive.time, by_number.time)  # naive: the log's zone


def test_missing_days_are_skipped_and_reported(three_days: Path):
    for path in (three_days / "26-01-31").iterdir():
        path.unlink()
    log = read_channel(three_days, 6, T0, T0 + 50 * 3600)
    assert log.missing_days == ("26-01-31", "26-02-02")  # the stop is 2 Feb 00:00
    assert len(log.time) == 120 + 24 * 60  # 30 Jan from 22:00 and all of 1 Feb
    empty = read_channel(three_days, 6, T0 + 30 * 86400, T0 + 31 * 86400)
    assert empty.time.size == empty.value.size == 0
    assert empty.missing_days == ("26-03-01", "26-03-02")


def test_garbage_and_truncated_lines_are_skipped_and_counted(three_days: Path):
    path = three_days / "26-01-31" / "CH6 T 26-01-31.log"
    with path.open("ab") as handle:
        handle.write(b"\xff\xfe garbage\n\n31-01-26,25:00:00,1.0E-02\n30-02-26,00:00:00,1\n"
                     b" 31-01-26,23:59:59,nan\n 31-01-26,23:59:5")  # a write cut short
    log = read_channel(three_days, 6, T0, T0 + 50 * 3600)
    assert log.skipped == 5  # blank lines do not count
    assert len(log.time) == 50 * 60
    assert np.all(np.diff(log.time) > 0)


def test_parse_handles_crlf_signs_and_exponents():
    data = b"01-02-26,00:00:01,-1.5e-3\r\n01-02-26,00:00:02,+2\r\n01-02-26,00:00:03,.5\r\n"
    times, values, skipped = parse_log_bytes(data)
    assert skipped == 0
    np.testing.assert_array_equal(values, [-1.5e-3, 2.0, 0.5])
    assert times[0] == datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC).timestamp()


def test_local_time_zones_shift_the_timestamps(tmp_path: Path):
    helsinki = ZoneInfo("Europe/Helsinki")  # UTC+2 in winter, +3 in summer
    moments = np.array([datetime(2026, 1, 15, 12, tzinfo=UTC).timestamp(),
                        datetime(2026, 7, 15, 12, tzinfo=UTC).timestamp()])
    write_logs(tmp_path, 6, moments, np.array([0.01, 0.02]), tz=helsinki)
    assert (tmp_path / "26-07-15" / "CH6 T 26-07-15.log").read_text().startswith(
        " 15-07-26,15:00:00")
    for zone in (helsinki, timezone(timedelta(hours=-5))):
        if zone is not helsinki:
            for path in tmp_path.glob("*/*.log"):
                path.unlink()
            write_logs(tmp_path, 6, moments, np.array([0.01, 0.02]), tz=zone)
        log = read_channel(tmp_path, 6, moments[0] - 1, moments[1] + 1, tz=zone)
        np.testing.assert_array_equal(log.time, moments)


def test_read_stages_maps_stage_names_to_channel_logs(three_days: Path):
    logs = read_stages(three_days, {"pt2": 2, "mxc": 6, "still": 5}, T0, T0 + 7200)
    assert list(logs) == ["pt2", "mxc", "still"]
    assert len(logs["pt2"].time) == 13 and np.all(logs["pt2"].value == 3.5)
    assert len(logs["mxc"].time) == 121
    assert logs["still"].time.size == 0 and logs["still"].missing_days == ("26-01-30", "26-01-31")


def test_a_day_of_one_second_logging_parses_quickly(tmp_path: Path):
    seconds = np.arange(86400)
    day = datetime(2026, 3, 1, tzinfo=UTC)
    lines = [f"{(day + timedelta(seconds=int(s))):%d-%m-%y,%H:%M:%S},{1e-2:.6E}\n"
             for s in seconds]
    path = log_path(tmp_path, 6, day.date())
    path.parent.mkdir(parents=True)
    path.write_text("".join(lines))
    start = time.perf_counter()
    log = read_channel(tmp_path, 6, day, day + timedelta(days=1))
    assert time.perf_counter() - start < 1.0
    assert len(log.time) == 86400
    np.testing.assert_array_equal(log.time, day.timestamp() + seconds)
