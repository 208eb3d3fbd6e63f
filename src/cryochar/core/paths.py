"""One resolver for every path cryochar reads or writes.

Default files (stations in ``instruments/``, recipes in ``sequences/``, testbed
definitions in ``sim/``) live at the top of the source tree and ship inside the
wheel under ``cryochar/_data``. User paths are taken relative to the working
directory first; a name such as ``s21_sweep`` or ``sequences/s21_sweep.yaml``
that does not exist there falls back to the default files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from cryochar.core.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_FOLDERS = ("instruments", "sequences", "sim")


def data_root() -> Path:
    """Folder that holds the default ``instruments/``, ``sequences/``, ``sim/``.

    Installed from a wheel: ``cryochar/_data``. From a source checkout (also an
    editable install): the repository root.
    """
    packaged = _PACKAGE_DIR / "_data"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent.parent


def default_file(folder: str, name: str) -> Path:
    """Path of a default file, e.g. ``default_file("instruments", "sim.yaml")``."""
    if folder not in DEFAULT_FOLDERS:
        raise ValueError(f"unknown default folder {folder!r}")
    return data_root() / folder / name


def resolve_input(path: str | os.PathLike[str], folder: str, *, what: str) -> Path:
    """Find a user-named YAML file.

    Tries the path as given (relative to the working directory), then with a
    ``.yaml`` suffix, then the default ``folder``. Raises :class:`ConfigError`
    naming what was looked for when nothing exists.
    """
    given = Path(path).expanduser()
    candidates = [given, given.with_suffix(".yaml") if given.suffix == "" else given]
    if not given.is_absolute():
        stem = given.name if given.suffix else given.name + ".yaml"
        candidates.append(data_root() / folder / stem)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    available = sorted(p.stem for p in (data_root() / folder).glob("*.yaml"))
    raise ConfigError(
        f"{what} file not found",
        where=str(path),
        fix=f"give an existing path, or one of the defaults: {', '.join(available) or 'none'}",
    )


def home() -> Path:
    """Data directory for the run catalog and run files.

    ``CRYOCHAR_HOME`` when set, else the per-user data directory.
    """
    env = os.environ.get("CRYOCHAR_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("cryochar"))
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def catalog_path() -> Path:
    """The SQLite run catalog inside :func:`home`."""
    return home() / "catalog.sqlite"


def runs_dir(out: str | os.PathLike[str] | None = None) -> Path:
    """Where run files go: ``out`` when given, else ``home()/runs``."""
    folder = Path(out).expanduser() if out is not None else home() / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def reports_dir(out: str | os.PathLike[str] | None = None) -> Path:
    """Where reports and the archive page go: ``out`` when given, else ``home()/reports``."""
    folder = Path(out).expanduser() if out is not None else home() / "reports"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the reports folder: {exc.strerror or exc}",
                          where=str(folder), fix="choose a writable folder with --out") from exc
    return folder.resolve()


__all__ = [
    "DEFAULT_FOLDERS",
    "catalog_path",
    "data_root",
    "default_file",
    "home",
    "reports_dir",
    "resolve_input",
    "runs_dir",
]
