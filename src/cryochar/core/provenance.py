"""Provenance: software versions, git commit, host and operator of a run."""

from __future__ import annotations

import getpass
import importlib.metadata
import platform
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

LIBRARIES = ("numpy", "scipy", "h5py", "xarray", "qcodes", "pyvisa", "pyvisa-py", "scikit-rf",
             "pydantic")


def utc_now() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Python and key library versions."""
    found = {"python": platform.python_version()}
    for name in ("cryochar", *LIBRARIES):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit() -> str:
    """Commit of the cryochar source tree when it is a git checkout, else ''."""
    source = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True,
                             text=True, timeout=5, check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=source, capture_output=True, text=True, timeout=5,
                               check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    if out.returncode != 0:
        return ""
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def operator() -> str:
    """The login name of whoever runs cryochar."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def host() -> str:
    """This machine's host name."""
    return socket.gethostname()


__all__ = ["git_commit", "host", "operator", "utc_now", "versions"]
