"""Measurement sequences. A recipe's ``sequence`` (default: its file stem) names a
module here, which defines ``SEQUENCE``, a :class:`~cryochar.sequences.base.Sequence`."""

from __future__ import annotations

import importlib
import pkgutil

from cryochar.core.errors import ConfigError
from cryochar.sequences.base import RunContext, Sequence

_NOT_SEQUENCES = {"base", "runner", "waits", "qubit_common", "amplifier_chain"}


def available() -> list[str]:
    """Names of the sequences cryochar provides."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_") and m.name not in _NOT_SEQUENCES)


def load(name: str, *, where: str = "recipe") -> type[Sequence]:
    """The sequence class called ``name``."""
    if name not in available():
        raise ConfigError(f"unknown sequence {name!r}", where=where,
                          fix=f"set 'sequence:' to one of: {', '.join(available())}")
    return importlib.import_module(f"cryochar.sequences.{name}").SEQUENCE


__all__ = ["RunContext", "Sequence", "available", "load"]
