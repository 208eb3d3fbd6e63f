"""Instrument locks: one run at a time per instrument address, across processes.

A lock is an ``flock`` on a file named after the address in a machine-wide
folder (``CRYOCHAR_LOCK_DIR``, default ``<tmp>/cryochar-locks``), holding who
has it. The kernel drops it when the holder exits, even on SIGKILL, so a
crashed run never leaves an instrument locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from cryochar.core.errors import InstrumentError


class InstrumentBusy(InstrumentError):
    """Another process is using this instrument."""


def lock_dir() -> Path:
    """Folder of the lock files."""
    folder = Path(os.environ.get("CRYOCHAR_LOCK_DIR")
                  or Path(tempfile.gettempdir()) / "cryochar-locks")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_HELD: dict[str, int] = {}  # lock key -> holders in this process
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def instrument_lock(address: str, name: str) -> Iterator[None]:
    """Hold the lock of ``address`` for the duration; raise InstrumentBusy if another
    process holds it. Re-entrant within a process: instruments sharing an address in
    one run (a noise diode driven through its analyser) do not block each other."""
    key = hashlib.sha1(address.strip().lower().encode()).hexdigest()[:16]
    with _HELD_GUARD:
        if _HELD.get(key):
            _HELD[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    with _exclusive(key, address, name):
        yield


@contextlib.contextmanager
def _exclusive(key: str, address: str, name: str) -> Iterator[None]:
    path = lock_dir() / f"{key}.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "{}"
            raise _busy(address, name, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "instrument": name, "address": address,
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        handle.flush()
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
    finally:
        handle.close()  # closing the file releases the lock


def _busy(address: str, name: str, holder: str) -> InstrumentBusy:
    try:
        info = json.loads(holder)
    except ValueError:
        info = {}
    who = f"process {info.get('pid', '?')} on {info.get('host', '?')}"
    since = f" since {info['since']}" if "since" in info else ""
    return InstrumentBusy(f"instrument in use by {who}{since}; no command sent",
                          where=f"{name} at {address}",
                          fix="wait for that run to finish or stop it (cryochar runs)")


__all__ = ["InstrumentBusy", "instrument_lock", "lock_dir"]
