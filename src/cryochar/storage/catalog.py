"""The run catalog: an SQLite index of every run (the embedded default).

One row per run: id, sequence, recipe, station, DUT and client labels,
status, start/stop, file, progress and summary results. Safe with several
processes writing (WAL journal, busy timeout, short transactions). A run whose
process has died while ``running`` is reported, and recorded, as
``interrupted``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryochar.core.errors import RunNotFound, StorageError

COLUMNS = ("run_id", "sequence", "recipe", "station", "dut", "client", "operator", "status",
           "started", "stopped", "file", "host", "pid", "points_planned", "points_completed",
           "results", "message", "faults")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, sequence TEXT NOT NULL, recipe TEXT, station TEXT,
    dut TEXT, client TEXT, operator TEXT, status TEXT NOT NULL, started TEXT, stopped TEXT,
    file TEXT, host TEXT, pid INTEGER, points_planned INTEGER, points_completed INTEGER,
    results TEXT, message TEXT, faults TEXT);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started);
"""


def process_alive(pid: int) -> bool:
    """True when ``pid`` is a live (not zombie) process on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class Catalog:
    """The run catalog at ``path`` (created on first use)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(_SCHEMA)
                present = {r["name"] for r in db.execute("PRAGMA table_info(runs)")}
                for column in COLUMNS:  # catalogs made by an older cryochar
                    if column not in present:
                        db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the run catalog: {exc}", where=str(self.path),
                               fix="check CRYOCHAR_HOME points to a writable folder") from exc

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    def add(self, **row: Any) -> None:
        """Insert a new run (``status`` defaults to ``running``, host and pid to ours)."""
        row.setdefault("status", "running")
        row.setdefault("host", socket.gethostname())
        row.setdefault("pid", os.getpid())
        self._write("INSERT INTO runs ({}) VALUES ({})".format(
            ", ".join(row), ", ".join("?" * len(row))), [_cell(v) for v in row.values()])

    def update(self, run_id: str, **fields: Any) -> None:
        """Update columns of one run."""
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self._write(f"UPDATE runs SET {assignments} WHERE run_id = ?",
                    [*(_cell(v) for v in fields.values()), run_id])

    def _write(self, sql: str, params: list[Any]) -> None:
        try:
            with self._connect() as db:
                db.execute("BEGIN IMMEDIATE")
                db.execute(sql, params)
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StorageError(f"run catalog write failed: {exc}", where=str(self.path)) from exc

    def get(self, run: str) -> dict[str, Any]:
        """One run by id, unique id prefix, or ``latest``."""
        with self._connect() as db:
            if run == "latest":
                rows = db.execute("SELECT * FROM runs ORDER BY started DESC, rowid DESC LIMIT 1")
            else:
                rows = db.execute("SELECT * FROM runs WHERE run_id LIKE ? ORDER BY started",
                                  (run.replace("%", "") + "%",))
            found = [dict(r) for r in rows.fetchall()]
        exact = [r for r in found if r["run_id"] == run]
        if exact:
            found = exact
        if not found:
            raise RunNotFound("no such run in the catalog", where=run,
                              fix="list runs with 'cryochar runs' or use 'latest'")
        if len(found) > 1:
            raise RunNotFound(f"{len(found)} runs start with this id", where=run,
                              fix="give more characters of the run id")
        return self._refresh(_decode(found[0]))

    def list(self, limit: int = 50, **filters: str) -> list[dict[str, Any]]:
        """Newest runs first, optionally filtered by column equality."""
        where = " AND ".join(f"{key} = ?" for key in filters) or "1"
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM runs WHERE {where} ORDER BY started DESC, "
                              f"rowid DESC LIMIT ?", [*filters.values(), limit]).fetchall()
        return [self._refresh(_decode(dict(r))) for r in rows]

    def _refresh(self, row: dict[str, Any]) -> dict[str, Any]:
        """Mark a ``running`` row whose process is gone as ``interrupted``."""
        if (row["status"] == "running" and row["host"] == socket.gethostname()
                and row["pid"] and not process_alive(row["pid"])):
            row["status"] = "interrupted"
            self.update(row["run_id"], status="interrupted",
                        message="the process running it ended without finishing")
        return row


def _cell(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for column in ("results", "faults"):
        if row.get(column):
            row[column] = json.loads(row[column])
    return row


__all__ = ["COLUMNS", "Catalog", "process_alive"]
