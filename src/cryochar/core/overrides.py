"""``--set key=value`` overrides with dotted paths.

Values are parsed as YAML scalars or lists (``--set powers_dbm=[-30,-20]``,
``--set twin.fridge.base_temperature=0.012``, ``--set enabled=true``).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from cryochar.core.errors import ConfigError


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Parse ``["a.b=1", ...]`` into ``{"a.b": 1, ...}``."""
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(part == "" for part in key.split(".")):
            raise ConfigError(f"malformed override {item!r}", where="--set",
                              fix="write --set dotted.key=value, e.g. --set seed=7")
        try:
            result[key] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"cannot parse the value {raw!r}", where=f"--set {key}",
                              fix="quote strings and write lists as [a, b]") from exc
    return result


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists
    (overrides from a notebook often hold them; YAML and JSON need plain types)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return plain(value.tolist())
    return value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of ``data`` with each dotted key set to its value."""
    merged = copy.deepcopy(data)
    for key, value in overrides.items():
        node = merged
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"cannot set {key!r}: {part!r} is not a mapping",
                                  where=f"--set {key}", fix="override the parent key instead")
            node = child
        node[parts[-1]] = value
    return merged


__all__ = ["apply_overrides", "parse_overrides", "plain"]
