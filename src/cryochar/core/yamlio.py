"""Loading YAML files and turning validation failures into one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cryochar.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses a key written twice in one mapping (YAML requires
    unique keys; PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *base' may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path, *, what: str) -> dict[str, Any]:
    """Read a YAML mapping from ``path``; syntax errors name the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} file is not UTF-8 text (byte {exc.start})", where=str(path),
                          fix="save the file as UTF-8 YAML") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file: {exc.strerror}", where=str(path),
                          fix="check the path and permissions") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"YAML syntax error: {problem}", where=where,
                          fix="check indentation, colons and quotes on that line") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} file must hold a mapping of keys, not {type(data).__name__}",
                          where=str(path), fix="write 'key: value' lines at the top level")
    return data


def validate(model: type[M], data: dict[str, Any], *, source: str, prefix: str = "",
             overridden: set[str] | None = None) -> M:
    """Validate ``data`` with ``model``; failures become one :class:`ConfigError`.

    ``source`` names the file, ``prefix`` the dotted key path of ``data`` inside
    it, and ``overridden`` the dotted keys that came from ``--set`` (so the
    message points at the command line instead of the file).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _as_config_error(exc, source=source, prefix=prefix,
                               overridden=overridden or set()) from None


def _as_config_error(exc: ValidationError, *, source: str, prefix: str,
                     overridden: set[str]) -> ConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    if key in overridden:
        where = f"--set {key.removeprefix('parameters.')}"
    else:
        where = f"{source}: {key or '(top level)'}"
    message, fix = _describe(first, key)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ConfigError(message, where=where, fix=fix)


def _describe(error: dict[str, Any], key: str) -> tuple[str, str]:
    kind = error["type"]
    leaf = next((part for part in reversed(key.split(".")) if not part.isdigit()), key)
    if kind == "extra_forbidden":
        return f"unknown key {leaf!r}", "remove it or correct its spelling"
    if kind == "missing":
        return f"required key {leaf!r} is missing", f"add '{leaf}: ...'"
    message = error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    if not isinstance(got, dict | list) and kind not in ("value_error",):
        message += f" (got {got!r})"
    return message, f"correct the value of {leaf!r}"


__all__ = ["load_yaml", "validate"]
