"""SCPI command parsing for the twin's instruments (IEEE 488.2 / SCPI-1999).

Patterns are written as in programming manuals: upper case is the short form,
``#`` a numeric suffix, ``[...]`` an optional node, a trailing ``?`` a query::

    "SENSe#:FREQuency:STARt"      matches SENS1:FREQ:STAR, sense:frequency:start
    "SOURce#:POWer#[:LEVel][:IMMediate][:AMPLitude]?"

A :class:`ScpiDevice` dispatches each line (``;``-separated compound commands,
relative headers after ``;`` included), keeps the standard error queue, and
answers the common commands. Malformed input queues an error, never raises.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

Reply = str | bytes | None
Handler = Callable[[tuple[int, ...], list[str]], Reply]
N = TypeVar("N", int, float)

_NODE = re.compile(r"(\[)?:?([A-Za-z*]+)(#)?(\])?")
_SUFFIX_UNITS = {"GHZ": 1e9, "MHZ": 1e6, "KHZ": 1e3, "HZ": 1.0, "DBM": 1.0, "DB": 1.0,
                 "S": 1.0, "MS": 1e-3, "US": 1e-6, "NS": 1e-9, "V": 1.0, "MV": 1e-3,
                 "A": 1.0, "MA": 1e-3, "UA": 1e-6, "W": 1.0, "MW": 1e-3}


class ScpiError(Exception):
    """An error to push on the instrument's error queue (code, message)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Regex for a manual-style header pattern (see module docstring)."""
    query = pattern.endswith("?")
    regex = ""
    for index, (optional, name, numbered, _close) in enumerate(_NODE.findall(pattern.rstrip("?"))):
        short = "".join(ch for ch in name if ch.isupper() or ch == "*")
        forms = sorted({re.escape(short.upper()), re.escape(name.upper())}, key=len, reverse=True)
        node = f"(?:{'|'.join(forms)})" + (r"(\d*)" if numbered else "")
        if index == 0:
            regex = f"(?:{node}:)?" if optional else node
        elif optional:
            regex += f"(?::{node})?"
        elif regex.endswith(":)?"):  # the first node was optional: no colon of our own
            regex += node
        else:
            regex += f":{node}"
    return re.compile("^:?" + regex + (r"\?" if query else "") + "$", re.IGNORECASE)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is not inside quotes, each piece stripped."""
    pieces, current, quote = [], [], ""
    for ch in text:
        if ch in "'\"" and (not quote or quote == ch):
            quote = "" if quote else ch
        if ch == separator and not quote:
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current).strip())
    return pieces


def split_arguments(text: str) -> list[str]:
    """Split SCPI arguments at commas outside quotes (an empty last one is dropped)."""
    args = _split_outside_quotes(text, ",")
    return args if args[-1] else args[:-1]


def parse_number(arg: str, *, minimum: float | None = None, maximum: float | None = None,
                 ) -> float:
    """A SCPI numeric argument: ``4e9``, ``4 GHz``, ``MIN``, ``MAX``."""
    token = arg.strip().upper()
    if token in ("MIN", "MINIMUM") and minimum is not None:
        return minimum
    if token in ("MAX", "MAXIMUM") and maximum is not None:
        return maximum
    match = re.fullmatch(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:E[-+]?\d+)?)\s*([A-Z]*)", token)
    if not match or (match.group(2) and match.group(2) not in _SUFFIX_UNITS):
        raise ScpiError(-104, "Data type error")
    value = float(match.group(1)) * _SUFFIX_UNITS.get(match.group(2), 1.0)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ScpiError(-222, "Data out of range")
    return value


def in_range(value: N, low: float, high: float) -> N:
    """``value`` when ``low <= value <= high``; else -222 "Data out of range"."""
    if not low <= value <= high:
        raise ScpiError(-222, "Data out of range")
    return value


def parse_byte_order(arg: str) -> str:
    """A ``FORMat:BORDer`` argument: ``NORM`` (big-endian) or ``SWAP`` (little-endian), in
    short or long form."""
    token = arg.strip().upper()
    if token in ("NORM", "NORMAL"):
        return "NORM"
    if token in ("SWAP", "SWAPPED"):
        return "SWAP"
    raise ScpiError(-224, "Illegal parameter value")


def parse_bool(arg: str) -> bool:
    """A SCPI boolean: ON/OFF/1/0."""
    token = arg.strip().upper()
    if token in ("ON", "1"):
        return True
    if token in ("OFF", "0"):
        return False
    raise ScpiError(-224, "Illegal parameter value")


def unquote(arg: str) -> str:
    """Strip one pair of SCPI string quotes."""
    arg = arg.strip()
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        return arg[1:-1]
    return arg


def ieee_block(values: np.ndarray, fmt: str, byte_order: str) -> bytes:
    """Encode ``values`` (real) as an IEEE 488.2 definite-length block.

    ``fmt``: ``REAL,64``, ``REAL,32`` or ``ASCII,0``; ``byte_order``: ``NORM``
    (big-endian) or ``SWAP`` (little-endian). ASCII returns comma-separated text.
    """
    if fmt == "ASCII,0":
        return ",".join(f"{v:.12e}" for v in values).encode()
    dtype = {"REAL,64": "f8", "REAL,32": "f4"}[fmt]
    payload = np.asarray(values, dtype=(">" if byte_order == "NORM" else "<") + dtype).tobytes()
    length = str(len(payload))
    return f"#{len(length)}{length}".encode() + payload


def format_number(value: float) -> str:
    """A number as instruments print it (``+4.00000000000E+009`` style)."""
    return f"{value:+.11E}"


@dataclass
class _Command:
    regex: re.Pattern[str]
    query: bool
    handler: Handler


class ScpiDevice:
    """Base of the twin's SCPI instruments: dispatch, error queue, common commands."""

    identity = "cryochar,twin,0,0"
    max_errors = 100

    def __init__(self) -> None:
        self._commands: list[_Command] = []
        self.errors: deque[tuple[int, str]] = deque()
        self.add("*IDN?", lambda s, a: self.identity)
        self.add("*RST", lambda s, a: self.reset())
        self.add("*CLS", lambda s, a: self.errors.clear())
        self.add("*OPC?", lambda s, a: "1")
        self.add("*OPC", lambda s, a: None)
        self.add("*WAI", lambda s, a: None)
        self.add("*ESR?", lambda s, a: "0")
        self.add("*OPT?", lambda s, a: '""')
        self.add("SYSTem:ERRor[:NEXT]?", lambda s, a: self._next_error())
        self.add("SYSTem:ERRor:COUNt?", lambda s, a: str(len(self.errors)))

    def reset(self) -> None:
        """Return settings to their defaults (``*RST``)."""

    def add(self, pattern: str, handler: Handler) -> None:
        """Register ``handler(suffixes, args)`` for a header pattern."""
        self._commands.append(_Command(compile_pattern(pattern), pattern.endswith("?"), handler))

    def add_setting(self, pattern: str, target: Callable[[tuple[int, ...]], Any], attr: str,
                    parse: Callable[[str], Any], fmt: Callable[[Any], str] = format_number, *,
                    changed: Callable[[Any], None] | None = None) -> None:
        """Register a setting and its query: ``pattern <arg>`` stores ``parse(arg)`` as
        ``attr`` of ``target(suffixes)`` and then calls ``changed`` with that object;
        ``pattern?`` answers ``fmt`` of the stored value."""

        def setter(suffixes: tuple[int, ...], args: list[str]) -> None:
            obj = target(suffixes)
            setattr(obj, attr, parse(args[0]))
            if changed is not None:
                changed(obj)

        self.add(pattern, setter)
        self.add(pattern + "?", lambda suffixes, _args: fmt(getattr(target(suffixes), attr)))

    def push_error(self, code: int, message: str) -> None:
        """Queue an error (the oldest is dropped past ``max_errors``)."""
        if len(self.errors) >= self.max_errors:
            self.errors.pop()
            self.errors.append((-350, "Queue overflow"))
            return
        self.errors.append((code, message))

    def _next_error(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f'{code:+d},"{message}"'

    def handle(self, line: str) -> list[Reply]:
        """Execute one line; return the replies of its queries, in order."""
        replies: list[Reply] = []
        path = ""
        for unit in _split_units(line):
            header, _, rest = unit.partition(" ")
            if not header:
                continue
            if not header.startswith((":", "*")) and path:
                header = f"{path}:{header}"
            if not header.startswith("*"):
                path = header.lstrip(":").rsplit(":", 1)[0] if ":" in header.lstrip(":") else ""
            reply = self._dispatch(header, split_arguments(rest))
            if reply is not None:
                replies.append(reply)
        return replies

    def _dispatch(self, header: str, args: list[str]) -> Reply:
        query = header.endswith("?")
        for command in self._commands:
            if command.query != query:
                continue
            match = command.regex.match(header)
            if match:
                suffixes = tuple(int(g) if g else 1 for g in match.groups())
                try:
                    return command.handler(suffixes, args)
                except ScpiError as exc:
                    self.push_error(exc.code, exc.message)
                except (IndexError, ValueError, KeyError):
                    self.push_error(-109 if not args else -224,
                                    "Missing parameter" if not args else "Illegal parameter value")
                return None
        self.push_error(-113, "Undefined header")
        return None


def _split_units(line: str) -> list[str]:
    """The ``;``-separated program units of a line (empty ones dropped)."""
    return [unit for unit in _split_outside_quotes(line, ";") if unit]


__all__ = [
    "ScpiDevice",
    "ScpiError",
    "compile_pattern",
    "format_number",
    "ieee_block",
    "in_range",
    "parse_bool",
    "parse_byte_order",
    "parse_number",
    "split_arguments",
    "unquote",
]
